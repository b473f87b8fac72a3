"""The survival (prognosis) report: discrimination and accuracy with intervals, calibration at
each horizon, figures and the model card of a fitted survival network, as HTML and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import Interval, validate_params
from skmed._docstrings import fill_doc
from skmed._step_function import values_at
from skmed._survival_target import check_survival_target
from skmed.metrics import cumulative_dynamic_auc, survival_calibration, survival_metrics
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS
from skmed.metrics._survival_calibration import check_times
from skmed.plotting._survival import survival_grid
from skmed.report._base import DOCS, BaseReport, opening
from skmed.report._card import ModelCard
from skmed.report._survival_html import (
    draw_figures,
    example_curves,
    performance_sentence,
    render_survival_html,
)

#: Default horizons: these quantiles of the event times.
HORIZON_QUANTILES = (0.25, 0.5, 0.75)


@fill_doc(DOCS)
@dataclass
class SurvivalReport(BaseReport):
    """Everything :func:`build_survival_report` computed, as HTML or JSON on request.

    Render with :meth:`SurvivalReport.to_html` / :meth:`SurvivalReport.to_json`.

    Attributes
    ----------
    {{opening_attributes}}
    data_summary : dict
        ``"test"`` and ``"train"``: patients, events, censored, follow-up median and range
        (aggregates only; ``"train"`` is None when the censoring weights come from the
        evaluated rows themselves, as in :func:`skmed.evaluate`); ``n_features`` and
        ``feature_names`` of ``X_test``.
    metrics : pandas.DataFrame
        :func:`~skmed.metrics.survival_metrics` output (indexed by metric).
    calibration : dict of str to pandas.DataFrame
        :func:`~skmed.metrics.survival_calibration` table at each horizon (key ``f"{h:g}"``).
    time_dependent_auc : dict
        ``times``, ``auc`` and ``mean_auc`` of :func:`~skmed.metrics.cumulative_dynamic_auc`
        over the report's ``times``.
    {{closing_attributes}}
    settings : dict
        Horizons, times, bootstrap settings, ``example_patients``, skmed version.
    figure_captions : dict of str to str
    drift : dict or None
        :meth:`skmed.drift.DriftReport.to_dict` of the evaluated rows against the training
        summary in the model file (:func:`skmed.evaluate`); None otherwise.
    """

    title: str
    created: str
    data_summary: dict[str, Any]
    metrics: pd.DataFrame
    calibration: dict[str, pd.DataFrame]
    time_dependent_auc: dict[str, Any]
    figures: dict[str, str]
    model_card: ModelCard
    model_info: dict[str, Any]
    notes: list[str]
    settings: dict[str, Any]
    figure_captions: dict[str, str] = field(default_factory=dict)
    #: :meth:`skmed.drift.DriftReport.to_dict` of these rows against the model's training
    #: summary (``skmed.evaluate``), if computed.
    drift: dict[str, Any] | None = None

    def results(self) -> dict[str, Any]:
        """The prognostic results, by JSON key (:meth:`to_dict` adds the common content)."""
        return {
            "metrics": self.metrics.reset_index(),
            "calibration": self.calibration,
            "time_dependent_auc": self.time_dependent_auc,
            "drift": self.drift,
        }

    def render_html(self) -> str:
        """The HTML page (what :meth:`to_html` writes)."""
        return render_survival_html(self)

    def performance_sentence(self) -> str:
        """One sentence of the metrics with their intervals (model card, CLI)."""
        return performance_sentence(self)


def _outcome_summary(y: Any, name: str) -> dict[str, Any]:
    """Aggregate counts and follow-up of an outcome (no patient row)."""
    event, time = check_survival_target(y, name)
    n, events = int(time.size), int(event.sum())
    return {
        "n_samples": n,
        "n_events": events,
        "n_censored": n - events,
        "event_fraction": events / n,
        "follow_up_median": float(np.median(time)),
        "follow_up_min": float(time.min()),
        "follow_up_max": float(time.max()),
    }


def _data_summary(X: Any, y_train: Any, y_test: Any) -> dict[str, Any]:
    summary = {
        "test": _outcome_summary(y_test, "y_test"),
        "train": _outcome_summary(y_train, "y_train"),
    }
    shape = np.shape(X)
    if len(shape) != 2 or shape[0] != summary["test"]["n_samples"]:
        raise ValueError(
            f"X_test must be 2-D with one row per patient of y_test ({summary['test']['n_samples']}"
            f" rows); got shape {shape}."
        )
    features: dict[str, Any] = {"n_features": int(shape[1])}
    if hasattr(X, "columns"):
        features["feature_names"] = [str(c) for c in X.columns]
    return {**summary, **features}


def default_horizons(event: np.ndarray, time: np.ndarray, test_time: np.ndarray) -> list[float]:
    """The quartiles of the event times of ``(event, time)`` (to three significant digits)
    within the follow-up ``test_time``; its median when no quartile lies within it."""
    rounded = np.array([float(f"{q:.3g}") for q in np.quantile(time[event], HORIZON_QUANTILES)])
    # filtered after rounding: a rounded quartile must still lie within the follow-up
    inside = (rounded >= test_time.min()) & (rounded < test_time.max())
    median = float(f"{np.median(test_time):.3g}")
    if not test_time.min() <= median < test_time.max():
        median = float(np.median(test_time))
    return sorted(set(rounded[inside].tolist())) or [median]


def default_times(y_train: Any, y_test: Any) -> np.ndarray:
    """20 times from the 10th to the 90th percentile of the event times of ``y_test``, below
    the last follow-up time of either outcome (where the censoring weights are known)."""
    event, time = check_survival_target(y_test, "y_test")
    _, train_time = check_survival_target(y_train, "y_train")
    upper = min(float(time.max()), float(train_time.max()))
    t = np.unique(np.percentile(time[event], np.linspace(10, 90, 20)))
    t = t[(t >= time.min()) & (t < upper)]
    if t.size < 2:
        raise ValueError(
            "Too few distinct event times in y_test to choose the times of the integrated "
            "Brier score and the AUC curve; pass times= (at least two, within the follow-up)."
        )
    return t


@validate_params(
    {
        "X_test": ["array-like"],
        "y_train": ["array-like"],
        "y_test": ["array-like"],
        "horizons": ["array-like", Real],
        "times": ["array-like", None],
        **BOOTSTRAP_CONSTRAINTS,
        "n_groups": [Interval(Integral, 1, None, closed="left")],
        "title": [str],
        "example_patients": ["boolean"],
        "plots": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def build_survival_report(
    model: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    *,
    horizons: Any,
    times: Any = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
    n_groups: int = 5,
    title: str = "Survival model evaluation report",
    model_card: ModelCard | dict[str, Any] | None = None,
    example_patients: bool = False,
    plots: bool = True,
) -> SurvivalReport:
    """Evaluate a fitted survival network on held-out patients and assemble a report.

    The report holds a data summary (patients, events, censored, follow-up; aggregates only),
    the metrics of :func:`skmed.metrics.survival_metrics` with bootstrap intervals (Harrell's
    and Uno's C, the integrated Brier score over ``times``, the time-dependent AUC at each
    horizon), the calibration table of :func:`skmed.metrics.survival_calibration` at each
    horizon, figures (time-dependent AUC, calibration at each horizon, training curves, and
    with ``example_patients=True`` the predicted survival curves of three patients) and the
    model card. Without matplotlib the figures are skipped with a note.

    Parameters
    ----------
    model : fitted estimator
        A fitted :class:`~skmed.MedicalMLPSurvival` or a Pipeline ending in one.
    X_test : array-like or DataFrame of shape (n_samples, n_features)
        Held-out patients, as the model takes them. Only its shape and column names are
        reported.
    y_train : structured array of shape (n_train,)
        Outcome ``(event, time)`` of the training data: its censoring distribution gives the
        inverse probability of censoring weights.
    y_test : structured array of shape (n_samples,)
        Outcome of the held-out patients.
    horizons : float or array-like of shape (n_horizons,)
        Strictly increasing prediction horizons within the follow-up of ``y_test``: the
        time-dependent AUC and the calibration are reported at each.
    times : array-like of shape (n_times,), default=None
        Times of the integrated Brier score and the AUC curve (at least two, strictly
        increasing, within the follow-up); default 20 percentiles (10th to 90th) of the event
        times of ``y_test``.
    n_bootstraps : int, default=1000
        Bootstrap replicates of the intervals (resampled within events and censored rows).
    confidence_level : float in (0, 1), default=0.95
        Coverage of the bootstrap intervals.
    random_state : int, numpy Generator or None, default=0
        Seed of the bootstrap.
    n_groups : int, default=5
        Risk groups of the calibration tables.
    title : str, default="Survival model evaluation report"
        Report title.
    model_card : dict or ModelCard, default=None
        Model card text (keys of :class:`ModelCard`; other keys are shown as extra fields).
    example_patients : bool, default=False
        Add the predicted survival curves of three patients (lowest, median and highest
        predicted risk). They are patient-level predictions, so they are left out unless
        asked for, like the classifier report's explanations.
    plots : bool, default=True
        Draw figures (needs matplotlib; skipped with a note when it is missing).

    Returns
    -------
    SurvivalReport
        Call ``.to_html(path)`` and ``.to_json(path)``.

    Raises
    ------
    ValueError
        If ``model`` is not a fitted survival network, the outcomes are malformed, ``X_test``
        and ``y_test`` disagree in length, or horizons or times lie outside the follow-up.

    Examples
    --------
    >>> from skmed.report import build_survival_report
    >>> report = build_survival_report(pipe, X_test, y_train, y_test,
    ...                                horizons=[1.0, 2.0])  # doctest: +SKIP
    >>> report.to_html("survival_report.html")  # doctest: +SKIP
    """
    from skmed import __version__

    grid = survival_grid(model)
    summary = _data_summary(X_test, y_train, y_test)
    _, test_time = check_survival_target(y_test, "y_test")
    t = default_times(y_train, y_test) if times is None else check_times(times, test_time)
    h = check_times(horizons, test_time, "horizons")
    risk = np.asarray(model.predict(X_test), dtype=np.float64).reshape(-1)
    survival = np.asarray(model.predict_survival_function(X_test, return_array=True), dtype=float)
    metrics = survival_metrics(
        y_train, y_test, risk, values_at(grid, survival, t, 1.0), t, h,
        n_bootstraps=n_bootstraps, confidence_level=confidence_level, random_state=random_state,
    )  # fmt: skip
    at_horizons = values_at(grid, survival, h, 1.0)
    calibration = {
        f"{hk:g}": survival_calibration(y_test, at_horizons[:, k], hk, n_groups=n_groups)
        for k, hk in enumerate(h)
    }
    auc, mean_auc = cumulative_dynamic_auc(y_train, y_test, risk, t)
    td_auc = {"times": t.tolist(), "auc": auc.tolist(), "mean_auc": float(mean_auc)}
    short = {k: c.loc[c["observed"].isna(), "group"].tolist() for k, c in calibration.items()}
    notes = [
        f"Calibration at {k}: the follow-up of group(s) {', '.join(g)} ends before the horizon."
        for k, g in short.items()
        if g
    ]
    report = SurvivalReport(
        **opening(title, model_card, model),
        data_summary=summary,
        metrics=metrics,
        calibration=calibration,
        time_dependent_auc=td_auc,
        figures={},
        notes=notes,
        settings={
            "horizons": h.tolist(),
            "times": t.tolist(),
            "n_bootstraps": int(n_bootstraps),
            "confidence_level": float(confidence_level),
            "random_state": metrics.attrs["random_state"],
            "n_groups": int(n_groups),
            "example_patients": bool(example_patients),
            "skmed_version": __version__,
        },
    )
    if plots:
        curves = example_curves(grid, survival, risk) if example_patients else None
        draw_figures(report, model, curves)
    return report
