"""Building a report: metrics, operating point, calibration, subgroups, fairness, figures."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import Interval, threshold_pos_label, validate_params
from skmed._json import jsonable
from skmed.calibration import assess_calibration
from skmed.metrics._checks import Checked, check_inputs, check_threshold
from skmed.metrics._clinical import clinical_table, subgroup_table
from skmed.metrics._fairness import fairness_table
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, MIN_PER_CLASS
from skmed.metrics._scores import binary_counts
from skmed.plotting._common import class_curves
from skmed.report._base import opening
from skmed.report._card import ModelCard
from skmed.report._figures import draw_figures, explanation_figures
from skmed.report._report import ClinicalReport
from skmed.thresholds import describe_operating_point


def _data_summary(checked: Checked, X: Any) -> dict[str, Any]:
    counts = np.bincount(checked.y_idx, minlength=checked.classes.size)
    n = int(checked.y_idx.size)
    summary: dict[str, Any] = {
        "n_samples": n,
        "class_counts": {str(c): int(k) for c, k in zip(checked.classes, counts)},
        "class_prevalence": {str(c): float(k / n) for c, k in zip(checked.classes, counts)},
    }
    if X is not None:
        if hasattr(X, "isna") and hasattr(X, "columns"):
            summary["n_features"] = int(X.shape[1])
            summary["feature_names"] = [str(c) for c in X.columns]
            miss = X.isna().mean()
            summary["missing_fraction"] = {
                str(k): float(v) for k, v in miss[miss > 0].sort_values(ascending=False).items()
            }
        else:
            arr = np.asarray(X)
            if arr.ndim == 2:
                summary["n_features"] = int(arr.shape[1])
                if arr.dtype.kind == "f":
                    miss = np.isnan(arr).mean(axis=0)
                    summary["missing_fraction"] = {
                        f"x{i}": float(v) for i, v in enumerate(miss) if v > 0
                    }
        if "n_features" in summary and int(np.shape(X)[0]) != n:
            raise ValueError(f"X has {np.shape(X)[0]} rows but y_true has {n}; they must match.")
    return summary


@validate_params(
    {
        "title": [str],
        **BOOTSTRAP_CONSTRAINTS,
        "min_group_size": [Interval(Integral, 0, None, closed="left")],
        "plots": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def build_report(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    model: Any = None,
    X: Any = None,
    groups: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    title: str = "Clinical evaluation report",
    model_card: ModelCard | dict[str, Any] | None = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    min_group_size: int = 50,
    plots: bool = True,
    random_state: Any = 0,
    importance: pd.DataFrame | None = None,
    explanations: Any = None,
) -> ClinicalReport:
    """Evaluate held-out predictions and assemble a :class:`ClinicalReport`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels of held-out patients.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        ``model.predict_proba(X)`` on those patients.
    classes : array-like, default=None
        Label of each column of ``y_proba``; default ``model.classes_`` if ``model`` is given,
        else the sorted labels of ``y_true``.
    model : fitted estimator, default=None
        Used for the model description, the training curves (``history_`` of a
        :class:`~skmed.MedicalMLPClassifier`, also inside a Pipeline or threshold wrapper) and
        the operating threshold of a ``TunedThresholdClassifierCV``/``FixedThresholdClassifier``.
    X : DataFrame or array-like, default=None
        Held-out features: summarised (size, missing values) and source of named ``groups``.
    groups : str, list of str, array-like, Series, DataFrame or dict, default=None
        Grouping variable(s) for the subgroup table, see
        :func:`skmed.metrics.subgroup_metrics` (names refer to columns of ``X``).
    threshold : float, default=None
        Binary operating threshold. ``None`` takes it from a threshold-wrapper ``model``,
        else 0.5. Must be ``None`` for multiclass problems.
    pos_label : label, default=None
        Binary positive class; default ``classes[1]`` (or the wrapper's ``pos_label``).
    title : str, default="Clinical evaluation report"
        Report title.
    model_card : dict or ModelCard, default=None
        Model card text (keys of :class:`ModelCard`; other keys are shown as extra fields).
    n_bootstraps : int, default=1000
        Bootstrap replicates for the confidence intervals.
    confidence_level : float, default=0.95
        Coverage of the intervals.
    min_group_size : int, default=50
        Subgroups smaller than this (or with fewer than 10 of any class) are flagged.
    plots : bool, default=True
        Draw figures (needs matplotlib; skipped with a note when it is missing).
    random_state : int, default=0
        Seed of every bootstrap.
    importance : DataFrame, default=None
        :func:`skmed.explain.column_importance` output: shown as a table and a bar chart.
    explanations : PatientExplanation or list of them, default=None
        :func:`skmed.explain.explain_patient` outputs: summary sentences and waterfall charts.

    Returns
    -------
    ClinicalReport
        Call ``.to_html(path)`` and ``.to_json(path)``.

    Raises
    ------
    ValueError
        For invalid inputs: probabilities outside [0, 1], a class without samples, a
        grouping column missing from ``X``, a threshold with a multiclass problem.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmed.report import build_report
    >>> X, y = make_classification(n_samples=400, random_state=0)
    >>> model = LogisticRegression().fit(X[:200], y[:200])
    >>> proba = model.predict_proba(X[200:])
    >>> report = build_report(y[200:], proba, model=model, n_bootstraps=100, plots=False)
    >>> "<section id=\\"metrics\\">" in report.to_html()
    True
    """
    from skmed import __version__

    notes: list[str] = []
    if classes is None and model is not None and hasattr(model, "classes_"):
        classes = model.classes_
    op_info = describe_operating_point(model) if model is not None else None
    if pos_label is None and op_info is not None:
        pos_label = threshold_pos_label(model)
    # checked once here; the figures draw from these arrays, the labels go back to the metrics
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    threshold, source = _threshold(checked, threshold, op_info, notes)
    boot = (n_bootstraps, confidence_level, random_state)
    metrics = clinical_table(checked, threshold, *boot)
    subgroups = fairness = None
    if groups is not None:
        sizes = dict(
            min_size=min_group_size, min_per_class=MIN_PER_CLASS, n_bootstraps=n_bootstraps
        )
        subgroups = subgroup_table(
            checked, threshold, groups, X, confidence_level, random_state, **sizes
        )
        small = subgroups.loc[subgroups["too_small"], ["variable", "level"]].drop_duplicates()
        if len(small):
            names = ", ".join(f"{v}={lvl}" for v, lvl in small.itertuples(index=False))
            notes.append(f"Subgroups too small to estimate reliably: {names}.")
        if checked.binary:
            fairness = fairness_table(
                checked, threshold, groups, X, None, confidence_level, random_state, **sizes
            )
    summary = _data_summary(checked, X)
    operating_point = _operating_point(checked, metrics, threshold, source, op_info)
    curves = class_curves(checked)  # the classes the calibration figure draws, in its order
    assessments = [assess_calibration(y_k, p_k, pos_label=True) for _, y_k, p_k in curves]
    calibration = {}
    for (label, _, _), a in zip(curves, assessments):
        calibration[str(label)] = a.to_dict()
        notes.extend(f"Calibration ({label}): {w}." for w in a.warnings[:-1])

    settings = {
        "n_bootstraps": int(n_bootstraps),
        "confidence_level": float(confidence_level),
        "random_state": random_state,
    }
    figures: dict[str, str] = {}
    if plots:
        figures = draw_figures(checked, threshold, assessments, model, settings, notes)
    if explanations is not None and not isinstance(explanations, (list, tuple)):
        explanations = [explanations]
    explanations = list(explanations or [])
    if figures and (importance is not None or explanations):
        figures.update(explanation_figures(importance, explanations))

    return ClinicalReport(
        **opening(title, model_card, model),
        data_summary=summary,
        metrics=metrics,
        operating_point=operating_point,
        calibration=calibration,
        subgroups=subgroups,
        figures=figures,
        notes=notes,
        importance=importance,
        explanations=explanations,
        fairness=fairness.to_dict() if fairness is not None else None,
        settings={
            **settings,
            "random_state": (
                random_state if isinstance(random_state, (int, type(None))) else "custom"
            ),
            "min_group_size": int(min_group_size),
            "skmed_version": __version__,
        },
    )


def _threshold(
    checked: Checked, threshold: float | None, op_info: dict[str, Any] | None, notes: list[str]
) -> tuple[float | None, str]:
    """The operating threshold (None for multiclass) and a sentence on where it comes from."""
    if not checked.binary:
        check_threshold(threshold, checked)  # raises for a threshold with several classes
        return None, "most probable class (multiclass)"
    if threshold is None and op_info is not None:
        return check_threshold(op_info["threshold"], checked), op_info["source"]
    if threshold is None:
        return check_threshold(None, checked), "default probability threshold 0.5 (not tuned)"
    if op_info is not None and not math.isclose(threshold, op_info["threshold"]):
        notes.append(
            f"threshold={threshold} overrides the model's own threshold {op_info['threshold']:.4g}."
        )
    return check_threshold(threshold, checked), "given by the caller"


def _operating_point(
    checked: Checked,
    metrics: pd.DataFrame,
    threshold: float | None,
    source: str,
    op_info: dict[str, Any] | None,
) -> dict[str, Any]:
    """Threshold, its source and, for two classes, the metrics and counts at it."""
    operating_point: dict[str, Any] = {"threshold": threshold, "source": source}
    if not checked.binary:
        return operating_point
    operating_point["pos_label"] = jsonable(checked.classes[checked.pos])
    rows = metrics.set_index("metric")
    operating_point["metrics"] = {
        m: {k: float(rows.loc[m, k]) for k in ("estimate", "ci_lower", "ci_upper")}
        for m in ("sensitivity", "specificity", "ppv", "npv", "lr_positive", "lr_negative")
    }
    p = checked.proba[:, checked.pos]
    tp, fp, fn, tn = binary_counts(checked.y_idx == checked.pos, p >= threshold, True)
    operating_point["confusion"] = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    if op_info is not None:
        operating_point["tuning"] = op_info
    return operating_point
