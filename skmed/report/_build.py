"""Building a report: metrics, operating point, calibration, subgroups, fairness, figures."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import Interval, validate_params
from skmed._decision import DecisionRule
from skmed._json import jsonable
from skmed.calibration import assess_calibration
from skmed.metrics._checks import Checked, check_inputs, check_threshold, predicted_index
from skmed.metrics._clinical import clinical_table, subgroup_table
from skmed.metrics._fairness import fairness_table
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, MIN_PER_CLASS
from skmed.metrics._scores import binary_counts
from skmed.plotting._common import class_curves
from skmed.report._base import opening
from skmed.report._card import ModelCard
from skmed.report._figures import draw_figures, explanation_figures
from skmed.report._report import ClinicalReport
from skmed.thresholds import decision_rule, describe_operating_point


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
        "decision": [DecisionRule, None],
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
    decision: DecisionRule | None = None,
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
        its decision rule (:func:`skmed.thresholds.decision_rule`: the threshold of a
        ``TunedThresholdClassifierCV``/``FixedThresholdClassifier``, the costs of
        ``class_weight``), which the exported file applies too.
    X : DataFrame or array-like, default=None
        Held-out features: summarised (size, missing values) and source of named ``groups``.
    groups : str, list of str, array-like, Series, DataFrame or dict, default=None
        Grouping variable(s) for the subgroup table, see
        :func:`skmed.metrics.subgroup_metrics` (names refer to columns of ``X``).
    threshold : float, default=None
        Binary operating threshold, overriding the rule of ``decision`` or ``model``. Must be
        ``None`` for multiclass problems.
    decision : skmed.runtime.DecisionRule, default=None
        The rule that turns probabilities into labels (e.g. ``OnnxClassifier.decision``, the
        exported file's). ``None`` takes ``model``'s rule, else the most probable class (0.5
        for two classes). Every threshold metric, count and figure is computed at this rule.
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
    if decision is None and model is not None:
        decision = decision_rule(model)
    if pos_label is None and decision is not None and decision.rule == "threshold":
        pos_label = decision.pos_label  # (costs and the arg-max state classes[1], the default)
    # checked once here; the figures draw from these arrays, the labels go back to the metrics
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    rule = operating_rule(checked, threshold, decision, notes)
    threshold = rule.threshold
    weights = _weights(checked, rule)
    boot = (n_bootstraps, confidence_level, random_state)
    metrics = clinical_table(checked, threshold, *boot, weights)
    subgroups = fairness = None
    if groups is not None:
        sizes = dict(
            min_size=min_group_size, min_per_class=MIN_PER_CLASS, n_bootstraps=n_bootstraps
        )
        subgroups = subgroup_table(
            checked, threshold, groups, X, confidence_level, random_state, **sizes, weights=weights
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
    op_info = describe_operating_point(model) if model is not None else None
    operating_point = _operating_point(checked, metrics, rule, op_info)
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
        figures = draw_figures(checked, rule, assessments, model, settings, notes)
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


def operating_rule(
    checked: Checked, threshold: float | None, decision: DecisionRule | None, notes: list[str]
) -> DecisionRule:
    """The rule the report computes at, in terms of ``checked``'s classes and positive class.

    A caller's ``threshold`` overrides ``decision`` (with a note when they differ); without
    either, the most probable class. For two classes the rule's ``threshold`` is always set
    (the equivalent threshold of costs or the arg-max), on the risk of ``checked``'s positive
    class.
    """
    classes = checked.classes.tolist()
    pos = classes[checked.pos] if checked.pos is not None else None
    if threshold is not None:
        threshold = check_threshold(threshold, checked)  # raises with several classes
        assert threshold is not None  # a binary problem
        if decision is not None and not math.isclose(threshold, decision.threshold or -1.0):
            notes.append(
                f"threshold={threshold} overrides the model's own rule: {decision.describe()}."
            )
        return DecisionRule.build(
            classes, threshold=threshold, pos_label=pos, source="given by the caller"
        )
    if decision is None:
        return DecisionRule.build(classes, source="no model or rule given")
    if decision.rule == "threshold" and not checked.binary:
        raise ValueError(f"The decision {decision.describe()!r} needs two classes.")
    if decision.weights is not None and len(decision.weights) != len(classes):
        raise ValueError(
            f"The decision's class weights {list(decision.weights)} do not match the "
            f"{len(classes)} classes {classes}."
        )
    if checked.binary and str(decision.pos_label) != str(pos):
        # the same rule on the other class's risk: p_other >= 1 - t (ties aside)
        t = 1.0 - float(decision.threshold)  # type: ignore[arg-type]
        notes.append(
            f"The rule is stated for {decision.pos_label!r}; the report's positive class "
            f"{pos!r} is predicted when its risk is >= {t:.4g}."
        )
        return DecisionRule("threshold", pos, t, None, decision.source)
    return decision


def _operating_point(
    checked: Checked,
    metrics: pd.DataFrame,
    rule: DecisionRule,
    op_info: dict[str, Any] | None,
) -> dict[str, Any]:
    """The rule, where it comes from, the confusion counts at it and, for two classes, the
    metrics at it."""
    predicted = predicted_index(checked, rule.threshold, _weights(checked, rule))
    k = checked.classes.size
    confusion = np.bincount(checked.y_idx * k + predicted, minlength=k * k).reshape(k, k)
    operating_point: dict[str, Any] = {
        "rule": rule.rule,
        "threshold": rule.threshold if checked.binary else None,
        "weights": list(rule.weights) if rule.weights is not None else None,
        "source": rule.source,
        "description": rule.describe(),
        # rows: true class, columns: predicted class, in the order of "classes"
        "confusion_matrix": confusion.tolist(),
        "classes": [jsonable(c) for c in checked.classes],
    }
    if op_info is not None:
        operating_point["tuning"] = op_info
    if not checked.binary:
        return operating_point
    operating_point["pos_label"] = jsonable(checked.classes[checked.pos])
    rows = metrics.set_index("metric")
    operating_point["metrics"] = {
        m: {k: float(rows.loc[m, k]) for k in ("estimate", "ci_lower", "ci_upper")}
        for m in ("sensitivity", "specificity", "ppv", "npv", "lr_positive", "lr_negative")
    }
    p = checked.proba[:, checked.pos]
    tp, fp, fn, tn = binary_counts(checked.y_idx == checked.pos, p >= rule.threshold, True)
    operating_point["confusion"] = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    return operating_point


def _weights(checked: Checked, rule: DecisionRule) -> np.ndarray | None:
    return None if rule.weights is None or checked.binary else np.asarray(rule.weights)
