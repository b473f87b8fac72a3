"""Clinical metrics with stratified bootstrap intervals: overall and per subgroup."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed._json import jsonable
from skmed.metrics._bootstrap import BINARY_METRICS, bootstrap_estimate
from skmed.metrics._checks import (
    COLUMNS,
    Checked,
    check_inputs,
    check_threshold,
    finite_mean,
    problems,
    resolve_groups,
)
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, DOCS, MIN_PER_CLASS


def metric_table(
    checked: Checked,
    threshold: float | None,
    n_bootstraps: int,
    confidence_level: float,
    random_state: Any,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """The long table of :func:`clinical_metrics` for validated inputs.

    ``weights`` (multiclass): the decision's class weights, predictions the arg-max of
    ``weights x proba`` as the exported file's costs rule; ``None`` the most probable class.
    """
    binary = problems(checked, threshold, weights)
    labels = [label for label, _ in binary] + ([] if checked.binary else ["macro"])

    def score(W: np.ndarray) -> np.ndarray:  # (B, len(labels), n_metrics)
        values = [problem.metrics(W) for _, problem in binary]
        out = np.stack([np.column_stack([v[m] for m in BINARY_METRICS]) for v in values], axis=1)
        if checked.binary:
            return out
        # the macro row averages the classes within each replicate
        return np.concatenate([out, finite_mean(out, axis=1)[:, None]], axis=1)

    point, lo, hi, _ = bootstrap_estimate(
        score, checked.y_idx, n_bootstraps, random_state, confidence_level
    )
    rows = [
        (label, m, point[j, i], lo[j, i], hi[j, i])
        for j, label in enumerate(labels)
        for i, m in enumerate(BINARY_METRICS)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["class"] = table["class"].astype(object)
    return table


@fill_doc(DOCS)
@validate_params(BOOTSTRAP_CONSTRAINTS, prefer_skip_nested_validation=True)
def clinical_metrics(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
) -> pd.DataFrame:
    """Clinical metrics, each with a stratified bootstrap confidence interval.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, one column per class in ``classes`` (``predict_proba``
        output). A 1-D array is the probability of the positive class of a binary problem.
    classes : array-like of shape (n_classes,), default=None
        Label of each column of ``y_proba`` (e.g. ``model.classes_``). Defaults to the sorted
        unique labels of ``y_true``.
    threshold : float in [0, 1], default=None
        Binary only: predict the positive class when its probability is ``>= threshold``;
        ``None`` means 0.5. Multiclass predictions are the most probable class.
    pos_label : label, default=None
        Binary only: the positive class; ``None`` means ``classes[1]``.
    {{bootstrap}}

    Returns
    -------
    table : pandas.DataFrame
        Long format with columns ``class``, ``metric``, ``estimate``, ``ci_lower``,
        ``ci_upper``; one row per metric in :data:`METRICS` for the positive class (binary)
        or for each class and ``"macro"`` (multiclass). ``table.attrs`` records the threshold,
        positive label, number of replicates, confidence level and seed. Undefined values
        (e.g. PPV with no predicted positives) are NaN; a likelihood ratio with a zero
        denominator is ``inf``.

    Raises
    ------
    ValueError
        If ``y_proba`` is outside [0, 1], a class in ``classes`` has no samples in ``y_true``,
        ``y_true`` holds labels not in ``classes``, or shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from skmed.metrics import clinical_metrics
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> p = np.array([0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    >>> table = clinical_metrics(y, p, n_bootstraps=200, random_state=0)
    >>> table.set_index("metric").loc["sensitivity", "estimate"]
    np.float64(0.6666666666666666)
    """
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    thr = check_threshold(threshold, checked)
    return clinical_table(checked, thr, n_bootstraps, confidence_level, random_state)


def clinical_table(
    checked: Checked,
    thr: float | None,
    n_bootstraps: int,
    confidence_level: float,
    random_state: Any,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`clinical_metrics` of checked predictions at a checked threshold (the report's;
    ``weights`` as in :func:`metric_table`)."""
    table = metric_table(checked, thr, n_bootstraps, confidence_level, random_state, weights)
    table.attrs.update(
        threshold=thr,
        pos_label=jsonable(checked.classes[checked.pos]) if checked.binary else None,
        classes=[jsonable(c) for c in checked.classes],
        n_bootstraps=int(n_bootstraps),
        confidence_level=float(confidence_level),
        random_state=random_state if isinstance(random_state, (int, type(None))) else "custom",
        n_samples=int(checked.y_idx.size),
    )
    return table


@fill_doc(DOCS)
@validate_params(BOOTSTRAP_CONSTRAINTS, prefer_skip_nested_validation=True)
def subgroup_metrics(
    y_true: Any,
    y_proba: Any,
    groups: Any,
    *,
    X: Any = None,
    classes: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    min_size: int = 50,
    min_per_class: int = MIN_PER_CLASS,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
) -> pd.DataFrame:
    """:func:`clinical_metrics` for each level of one or more grouping variables.

    Groups that are too small to estimate reliably are flagged (``too_small``) and get point
    estimates only (where defined) and no confidence interval; a group that lacks a class gets
    NaN for the metrics that need it.

    Parameters
    ----------
    y_true, y_proba, classes, threshold, pos_label, n_bootstraps, confidence_level, random_state
        As in :func:`clinical_metrics` (computed on the whole data, then per group).
    groups : str, list of str, array-like, pandas Series, DataFrame or dict
        Grouping variable(s): a column name of ``X``, or a list of them when ``X`` is given;
        otherwise an array holding one level per row; a Series
        (its name names the variable); a DataFrame or dict (one variable per column / key).
        Missing values form their own level ``"(missing)"``.
    X : pandas.DataFrame, default=None
        Frame holding the columns named by ``groups``.
    {{group_sizes}}

    Returns
    -------
    table : pandas.DataFrame
        Columns ``variable``, ``level``, ``n``, ``too_small``, ``note``, then those of
        :func:`clinical_metrics`; one block of metric rows per (variable, level).

    Raises
    ------
    ValueError
        If a named grouping column is not in ``X``, lengths disagree, or the inputs are
        invalid as in :func:`clinical_metrics`.

    Examples
    --------
    {{example_patients}}
    >>> from skmed.metrics import subgroup_metrics
    >>> t = subgroup_metrics(y, risk, sex, n_bootstraps=100)
    >>> sorted(t["level"].unique())
    ['F', 'M']
    """
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    thr = check_threshold(threshold, checked)
    return subgroup_table(
        checked,
        thr,
        groups,
        X,
        confidence_level,
        random_state,
        min_size=min_size,
        min_per_class=min_per_class,
        n_bootstraps=n_bootstraps,
    )


def subgroup_table(
    checked: Checked,
    thr: float | None,
    groups: Any,
    X: Any,
    confidence_level: float,
    random_state: Any,
    *,
    min_size: int,
    min_per_class: int,
    n_bootstraps: int,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`subgroup_metrics` of checked predictions at a checked threshold (``weights`` as
    in :func:`metric_table`)."""
    variables = resolve_groups(groups, X, checked.y_idx.size)
    rng = np.random.default_rng(random_state)  # one stream through all the groups
    blocks = []
    for name, levels in variables.items():
        for level in sorted(set(levels.tolist()), key=lambda v: (str(type(v)), str(v))):
            mask = levels == level
            sub = Checked(checked.y_idx[mask], checked.proba[mask], checked.classes, checked.pos)
            notes = _size_notes(sub, min_size, min_per_class)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                boots = 0 if notes else n_bootstraps
                table = metric_table(sub, thr, boots, confidence_level, rng, weights)
            table.insert(0, "note", "; ".join(notes))
            table.insert(0, "too_small", bool(notes))
            table.insert(0, "n", int(mask.sum()))
            table.insert(0, "level", jsonable(level))
            table.insert(0, "variable", name)
            blocks.append(table)
    out = pd.concat(blocks, ignore_index=True)
    out.attrs.update(
        threshold=thr,
        min_size=min_size,
        min_per_class=min_per_class,
        n_bootstraps=int(n_bootstraps),
        confidence_level=float(confidence_level),
    )
    return out


def _size_notes(sub: Checked, min_size: int, min_per_class: int) -> list[str]:
    """Why a subgroup is too small to estimate (empty when it is large enough)."""
    notes = []
    if sub.y_idx.size < min_size:
        notes.append(f"n={sub.y_idx.size} < {min_size}")
    per_class = np.bincount(sub.y_idx, minlength=sub.classes.size)
    low = [f"{jsonable(c)}: {k}" for c, k in zip(sub.classes, per_class) if k < min_per_class]
    if low:
        notes.append(f"fewer than {min_per_class} of class ({', '.join(low)})")
    return notes
