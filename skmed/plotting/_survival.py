"""Plots of a survival model: predicted survival curves, calibration at a horizon, and the
cumulative/dynamic AUC over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed._fitted import unwrap
from skmed._step_function import values_at
from skmed.metrics import cumulative_dynamic_auc, survival_calibration
from skmed.metrics._survival_calibration import CALIBRATION_CONSTRAINTS, SURVIVAL_DOCS
from skmed.plotting._common import DOCS, AxesText, new_axes, require_matplotlib

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Most patients :func:`plot_survival_curves` draws (it shows example patients, not a cohort).
MAX_CURVES = 20

CURVES_TEXT = AxesText("Predicted survival", "Time", "Survival probability")
CALIBRATION_TEXT = AxesText(
    "Calibration", "Mean predicted survival", "Observed survival (Kaplan-Meier)", "upper left"
)
AUC_TEXT = AxesText("Time-dependent AUC", "Time", "Cumulative/dynamic AUC", "lower right")

_SURVIVAL_DOCS = {
    **DOCS,
    "at_horizon": SURVIVAL_DOCS["at_horizon"],
    "outcomes": """
        y_train : structured array of shape (n_train,)
            Outcome ``(event, time)`` of the training data (its censoring distribution gives
            the inverse probability of censoring weights).
        y_test : structured array of shape (n_samples,)
            Outcome of the evaluated patients, in the same form.""",
}


# ---------------------------------------------------------------------- predictions


def survival_grid(model: Any) -> np.ndarray:
    """``unique_times_`` of the survival network inside ``model`` (alone, a Pipeline's last
    step, or an exported file's :class:`skmed.runtime.OnnxSurvival`): the times at which
    ``predict_survival_function(X, return_array=True)`` is given."""
    if not callable(getattr(model, "predict_survival_function", None)):
        raise ValueError(
            "model must be a fitted MedicalMLPSurvival or a Pipeline ending in one (with a "
            f"predict_survival_function method); got {type(model).__name__}."
        )
    if getattr(model, "unique_times_", None) is not None:  # the network, or an exported file
        return np.asarray(model.unique_times_, dtype=np.float64)
    try:
        layers = list(unwrap(model))
    except ValueError:
        layers = []
    for layer in layers:
        grid = getattr(layer.estimator, "unique_times_", None)
        if grid is not None:
            return np.asarray(grid, dtype=np.float64)
    raise ValueError(
        f"{type(model).__name__} has no fitted survival network with unique_times_: pass a "
        "fitted MedicalMLPSurvival or a Pipeline ending in one (call fit first)."
    )


def check_plot_times(times: Any, name: str = "times") -> np.ndarray:
    """Finite, non-negative, strictly increasing times as a 1-D float array."""
    try:
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers; got {str(times)[:60]} ({exc}).") from exc
    if t.ndim != 1 or t.size == 0 or not np.isfinite(t).all() or (t < 0).any():
        raise ValueError(f"{name} must be a non-empty 1-D array of finite times >= 0; got "
                         f"{t.tolist()[:10]}.")  # fmt: skip
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing; got {t.tolist()[:10]}.")
    return t


# ---------------------------------------------------------------------- survival curves


@fill_doc(_SURVIVAL_DOCS)
@validate_params(
    {"X": ["array-like"], "times": ["array-like", None], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def plot_survival_curves(
    model: Any, X: Any, *, times: Any = None, labels: Any = None, ax: Any = None
) -> Figure:
    """Predicted survival curves of a few patients, as step functions of time.

    Each row of ``X`` is one patient (an example, not a cohort: at most 20 rows). The curve
    starts at 1 at time 0 and steps down at the model's grid ``unique_times_`` (the training
    event times, or an exported file's stored times), or is evaluated at ``times`` when given.

    Parameters
    ----------
    model : fitted estimator
        A fitted :class:`~skmed.MedicalMLPSurvival` or a Pipeline ending in one.
    X : array-like or DataFrame of shape (n_patients, n_features)
        The patients, as the model takes them (1 to 20 rows).
    times : array-like of shape (n_times,), default=None
        Strictly increasing times >= 0 to evaluate the curves at; default the model's time
        grid, from 0.
    labels : array-like of str of shape (n_patients,), default=None
        Legend label of each patient; default ``"patient 1"``, ``"patient 2"``, ...
    {{ax}}

    {{returns_figure}}

    Raises
    ------
    ValueError
        If ``model`` is not a fitted survival network (or a Pipeline ending in one), ``X``
        has no row or more than 20, ``labels`` has another length, or ``times`` are not
        increasing non-negative numbers.

    Examples
    --------
    >>> from skmed.plotting import plot_survival_curves
    >>> fig = plot_survival_curves(model, X_test[:3])  # doctest: +SKIP
    """
    require_matplotlib()
    grid = survival_grid(model)
    n = int(np.shape(X)[0]) if np.ndim(X) else 0
    if not 1 <= n <= MAX_CURVES:
        raise ValueError(
            f"X must hold 1 to {MAX_CURVES} patients (one curve each); got {n} rows. Plot a "
            "few example patients, e.g. X[:3]."
        )
    if labels is None:
        names = [f"patient {i + 1}" for i in range(n)]
    else:
        names = [str(label) for label in np.asarray(labels, dtype=object).reshape(-1)]
        if len(names) != n:
            raise ValueError(f"labels has {len(names)} entries but X has {n} rows; give one "
                             "label per patient.")  # fmt: skip
    t = np.unique(np.r_[0.0, grid]) if times is None else check_plot_times(times)
    values = np.asarray(model.predict_survival_function(X, return_array=True), dtype=np.float64)
    return draw_survival_curves(new_axes(ax), t, values_at(grid, values, t, 1.0), names)


def draw_survival_curves(
    ax: Any, times: np.ndarray, survival: np.ndarray, labels: list[str]
) -> Figure:
    """Step curves of ``survival`` (one row per patient) at ``times`` on ``ax``."""
    for i, (row, label) in enumerate(zip(survival, labels)):
        ax.step(times, row, where="post", label=label, color=f"C{i % 10}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=min(0.0, float(times[0])))
    return CURVES_TEXT.apply(ax)


# ---------------------------------------------------------------------- calibration


@fill_doc(_SURVIVAL_DOCS)
@validate_params(CALIBRATION_CONSTRAINTS, prefer_skip_nested_validation=True)
def plot_survival_calibration(
    y: Any, survival_at_horizon: Any, horizon: float, *, n_groups: int = 5, ax: Any = None
) -> Figure:
    """Predicted against observed survival at a horizon, by group of risk.

    The table of :func:`skmed.metrics.survival_calibration`: one point per risk group at its
    mean predicted survival and its Kaplan-Meier survival at ``horizon``, with the 95%
    pointwise interval as error bars, and the diagonal of perfect calibration. A group whose
    follow-up ends before the horizon has no observed value and no point.

    Parameters
    ----------
    {{at_horizon}}
    {{ax}}

    {{returns_figure}}

    Raises
    ------
    ValueError
        As :func:`skmed.metrics.survival_calibration`: a malformed ``y``, lengths that
        disagree, predictions outside [0, 1], more groups than patients, or a horizon beyond
        the follow-up.

    Examples
    --------
    >>> from skmed.plotting import plot_survival_calibration
    >>> fig = plot_survival_calibration(y_test, survival_at_5y, 5.0)  # doctest: +SKIP
    """
    require_matplotlib()
    table = survival_calibration(y, survival_at_horizon, horizon, n_groups=n_groups)
    return draw_survival_calibration(new_axes(ax), table)


def draw_survival_calibration(ax: Any, table: pd.DataFrame) -> Figure:
    """:func:`plot_survival_calibration` of a :func:`~skmed.metrics.survival_calibration`
    table on ``ax``: the groups as points with error bars, the overall row in the box."""
    groups = table[table["group"] != "overall"]
    observed = groups["observed"].to_numpy(dtype=float)
    below = np.clip(observed - groups["ci_lower"].to_numpy(dtype=float), 0, None)
    above = np.clip(groups["ci_upper"].to_numpy(dtype=float) - observed, 0, None)
    ax.plot([0, 1], [0, 1], color="k", linestyle=":", linewidth=1, label="perfect calibration")
    ax.errorbar(
        groups["predicted"].to_numpy(dtype=float),
        observed,
        yerr=np.vstack([below, above]),
        fmt="o",
        color="C0",
        capsize=3,
        label="risk groups (95% CI)",
    )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    horizon = table.attrs.get("horizon")
    overall = table[table["group"] == "overall"].iloc[0]
    ax.text(
        0.98,
        0.02,
        f"overall: predicted {overall['predicted']:.3f}, observed {overall['observed']:.3f}",
        transform=ax.transAxes,
        va="bottom",
        ha="right",
        fontsize="small",
        bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
    )
    figure = CALIBRATION_TEXT.apply(ax)
    if horizon is not None:
        ax.set_title(f"Calibration at time {horizon:g}")
    return figure


# ---------------------------------------------------------------------- time-dependent AUC


@fill_doc(_SURVIVAL_DOCS)
@validate_params(
    {
        "y_train": ["array-like"],
        "y_test": ["array-like"],
        "risk_score": ["array-like"],
        "times": ["array-like"],
    },
    prefer_skip_nested_validation=True,
)
def plot_time_dependent_auc(
    y_train: Any, y_test: Any, risk_score: Any, times: Any, *, ax: Any = None
) -> Figure:
    """The cumulative/dynamic AUC at each time, with its mean as a dashed line.

    The values of :func:`skmed.metrics.cumulative_dynamic_auc`: at time ``t``, how well the
    risk score separates the patients with an event by ``t`` from those followed past ``t``
    (0.5 is chance, the dotted line).

    Parameters
    ----------
    {{outcomes}}
    risk_score : array-like of shape (n_samples,)
        Predicted risk of each patient of ``y_test`` (higher means an earlier event), such as
        the model's ``predict``.
    times : array-like of shape (n_times,)
        Strictly increasing time points within the follow-up of ``y_test``.
    {{ax}}

    {{returns_figure}}

    Raises
    ------
    ValueError
        As :func:`skmed.metrics.cumulative_dynamic_auc`: a malformed outcome, lengths that
        disagree, or times outside the follow-up.

    Examples
    --------
    >>> from skmed.plotting import plot_time_dependent_auc
    >>> fig = plot_time_dependent_auc(y_train, y_test, risk, [1, 2, 3])  # doctest: +SKIP
    """
    require_matplotlib()
    auc, mean_auc = cumulative_dynamic_auc(y_train, y_test, risk_score, times)
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    return draw_time_dependent_auc(new_axes(ax), t, auc, mean_auc)


def draw_time_dependent_auc(ax: Any, times: np.ndarray, auc: np.ndarray, mean_auc: float) -> Figure:
    """:func:`plot_time_dependent_auc` of computed AUC values on ``ax``."""
    ax.plot(times, auc, marker="o", markersize=3, color="C0", label="AUC(t)")
    ax.axhline(mean_auc, color="C0", linestyle="--", label=f"mean AUC {mean_auc:.3f}")
    ax.axhline(0.5, color="0.4", linestyle=":", linewidth=1, label="chance")
    finite = auc[np.isfinite(auc)]
    low = min(0.45, float(finite.min()) - 0.05) if finite.size else 0.45
    ax.set_ylim(max(0.0, low), 1.01)
    return AUC_TEXT.apply(ax)
