"""Between-group gaps in error rates and calibration: is the model fair across groups?

For each grouping variable (sex, age band, site, ...) :func:`fairness_gaps` compares the groups
on the errors a clinician would notice -- sensitivity (missed cases), false-positive rate
(needless work-ups), PPV (how often a positive is right) and calibration-in-the-large (risks
too high or too low on average) -- at the model's operating threshold. Each group is compared
with the reference group (the largest, unless given) with a bootstrap interval of the
difference, resampling within every group x class cell so each group keeps its size; the
largest gap between any two groups gets an interval too. Groups too small to estimate are
named and left out of the gaps.

The result has fairlearn's ``MetricFrame`` shape (``overall``, ``by_group``, ``difference()``,
``group_min()``, ``group_max()``), and :meth:`FairnessGaps.to_metricframe` builds a real
``MetricFrame`` when fairlearn is installed. Re-exported by :mod:`skmed.metrics`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed._json import jsonable
from skmed.metrics._bootstrap import BinaryProblem, quantiles, replicate
from skmed.metrics._checks import (
    Checked,
    check_inputs,
    check_threshold,
    resolve_groups,
)
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, DOCS, MIN_PER_CLASS

#: The compared metrics, in table order.
FAIRNESS_METRICS = ("sensitivity", "false_positive_rate", "ppv", "calibration_intercept")


@dataclass
class FairnessGaps:
    """What :func:`fairness_gaps` found, for one grouping variable or several.

    Attributes
    ----------
    overall : pandas.Series
        Each metric on all patients.
    by_group : pandas.DataFrame
        Index ``(variable, level)``; columns ``n`` and each metric (point estimates), and
        ``too_small``.
    differences : pandas.DataFrame
        Per variable, metric and non-reference level: ``difference`` (level minus reference),
        ``ci_lower``, ``ci_upper``.
    max_gaps : pandas.DataFrame
        Per variable and metric: the largest difference between any two groups large enough
        (``highest`` and ``lowest`` levels, ``gap``, ``ci_lower``, ``ci_upper``).
    warnings : list of str
    settings : dict
    """

    overall: pd.Series
    by_group: pd.DataFrame
    differences: pd.DataFrame
    max_gaps: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def difference(self) -> pd.DataFrame:
        """Largest minus smallest group value per variable and metric (MetricFrame's
        ``difference(method="between_groups")``), over the groups large enough."""
        return self.max_gaps.pivot(index="variable", columns="metric", values="gap")[
            list(FAIRNESS_METRICS)
        ]

    def group_min(self) -> pd.DataFrame:
        """Smallest group value per variable and metric."""
        return self._usable().groupby(level="variable")[list(FAIRNESS_METRICS)].min()

    def group_max(self) -> pd.DataFrame:
        """Largest group value per variable and metric."""
        return self._usable().groupby(level="variable")[list(FAIRNESS_METRICS)].max()

    def _usable(self) -> pd.DataFrame:
        return self.by_group[~self.by_group["too_small"]]

    def to_metricframe(self, y_true: Any, y_pred: Any, variable: str | None = None) -> Any:
        """A fairlearn ``MetricFrame`` of the same metrics for one variable (needs fairlearn).

        Parameters
        ----------
        y_true, y_pred : array-like
            True labels and the predicted labels at the operating threshold.
        variable : str, default=None
            The grouping variable; default the first.
        """
        from fairlearn.metrics import MetricFrame

        from skmed.metrics._scores import ppv_score, sensitivity_score, specificity_score

        variable = variable or self.settings["variables"][0]
        pos = self.settings["pos_label"]
        return MetricFrame(
            metrics={
                "sensitivity": lambda t, p: sensitivity_score(t, p, pos_label=pos),
                "false_positive_rate": lambda t, p: 1 - specificity_score(t, p, pos_label=pos),
                "ppv": lambda t, p: ppv_score(t, p, pos_label=pos),
            },
            y_true=np.asarray(y_true),
            y_pred=np.asarray(y_pred),
            sensitive_features=self.settings["levels"][variable],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content."""
        by_group = self.by_group.reset_index()
        return {
            "overall": {k: float(v) for k, v in self.overall.items()},
            "by_group": by_group.to_dict(orient="records"),
            "differences": self.differences.to_dict(orient="records"),
            "max_gaps": self.max_gaps.to_dict(orient="records"),
            "warnings": list(self.warnings),
            "settings": {k: v for k, v in self.settings.items() if k != "levels"},
        }


@fill_doc(DOCS)
@validate_params(BOOTSTRAP_CONSTRAINTS, prefer_skip_nested_validation=True)
def fairness_gaps(
    y_true: Any,
    y_proba: Any,
    groups: Any,
    *,
    X: Any = None,
    classes: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    reference: dict[str, Any] | None = None,
    min_size: int = 50,
    min_per_class: int = MIN_PER_CLASS,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
) -> FairnessGaps:
    """Between-group gaps in sensitivity, false-positive rate, PPV and calibration.

    Groups too small to estimate are reported, but left out of the gaps.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (two classes).
    y_proba : array-like of shape (n_samples, 2) or (n_samples,)
        Predicted probabilities.
    groups : str, list of str, array-like, Series, DataFrame or dict
        Grouping variables, as :func:`skmed.metrics.subgroup_metrics` takes them (fairlearn's
        ``sensitive_features``); names refer to columns of ``X``.
    X : pandas.DataFrame, default=None
        Source of named groups.
    classes, threshold, pos_label
        As :func:`skmed.metrics.clinical_metrics` (two classes only).
    reference : dict of str to level, default=None
        The reference level per variable; default the largest group.
    {{group_sizes}}
    {{bootstrap}}

    Returns
    -------
    FairnessGaps

    Raises
    ------
    ValueError
        For several classes, invalid inputs, or an unknown or too small reference level.

    Examples
    --------
    {{example_patients}}
    >>> from skmed.metrics import fairness_gaps
    >>> gaps = fairness_gaps(y, risk, sex, n_bootstraps=200)
    >>> sorted(gaps.by_group.index.get_level_values("level"))
    ['F', 'M']
    """
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    if not checked.binary:
        raise ValueError(
            "fairness_gaps compares error rates at a decision threshold, so it needs two "
            f"classes; got {checked.classes.tolist()}. Compare one class against the rest."
        )
    thr = check_threshold(threshold, checked)
    kw = dict(min_size=min_size, min_per_class=min_per_class, n_bootstraps=n_bootstraps)
    return fairness_table(checked, thr, groups, X, reference, confidence_level, random_state, **kw)


def fairness_table(
    checked: Checked,
    thr: float | None,
    groups: Any,
    X: Any,
    reference: dict[str, Any] | None,
    confidence_level: float,
    random_state: Any,
    *,
    min_size: int,
    min_per_class: int,
    n_bootstraps: int,
) -> FairnessGaps:
    """:func:`fairness_gaps` of checked binary predictions at a checked threshold."""
    y, p = checked.positive()
    if thr is None:
        raise ValueError("fairness gaps need a decision threshold (a binary problem).")
    pred = p >= thr
    resolved = resolve_groups(groups, X, y.size)
    rng = np.random.default_rng(random_state)  # one stream through all the variables
    overall = _values(BinaryProblem(y, p, pred), np.ones((1, y.size)))[0]
    rows: list[tuple[Any, ...]] = []
    diffs: list[tuple[Any, ...]] = []
    gaps: list[tuple[Any, ...]] = []
    notes: list[str] = []
    for variable, levels in resolved.items():
        names = list(dict.fromkeys(levels.tolist()))
        masks = {lvl: levels == lvl for lvl in names}
        scored = {lvl: BinaryProblem(y[m], p[m], pred[m]) for lvl, m in masks.items()}
        point = {lvl: _values(scored[lvl], np.ones((1, int(masks[lvl].sum()))))[0] for lvl in names}
        small = [
            lvl
            for lvl, m in masks.items()
            if m.sum() < min_size or min(y[m].sum(), (~y[m]).sum()) < min_per_class
        ]
        rows.extend(
            (variable, lvl, int(masks[lvl].sum()), *point[lvl], lvl in small) for lvl in names
        )
        if small:
            notes.append(
                f"{variable}: groups too small to compare (< {min_size} patients or < "
                f"{min_per_class} of a class): {small}."
            )
        usable = [lvl for lvl in names if lvl not in small]
        ref = _reference(variable, names, small, masks, (reference or {}).get(variable))
        if len(usable) < 2:
            continue
        score = partial(_group_values, [scored[v] for v in usable], [masks[v] for v in usable])
        # resample within every group x class cell, so each replicate keeps the group sizes
        cells = np.unique(levels.astype(str) + "\x00" + y.astype(str), return_inverse=True)[1]
        reps = replicate(score, cells, n_bootstraps, rng)
        for k, lvl in enumerate(usable):
            if lvl == ref:
                continue
            lo, hi = quantiles(reps[:, k] - reps[:, usable.index(ref)], confidence_level)
            for i, metric in enumerate(FAIRNESS_METRICS):
                diff = point[lvl][i] - point[ref][i]
                diffs.append((variable, metric, lvl, ref, diff, lo[i], hi[i]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN metric -> NaN spread
            spread = np.nanmax(reps, axis=1) - np.nanmin(reps, axis=1)
        lo, hi = quantiles(spread, confidence_level)
        values = np.array([point[lvl] for lvl in usable])
        for i, metric in enumerate(FAIRNESS_METRICS):
            top, bottom = (
                usable[int(np.nanargmax(values[:, i]))],
                usable[int(np.nanargmin(values[:, i]))],
            )
            gap = float(np.nanmax(values[:, i]) - np.nanmin(values[:, i]))
            gaps.append((variable, metric, top, bottom, gap, lo[i], hi[i]))
    by_group = pd.DataFrame(
        rows, columns=["variable", "level", "n", *FAIRNESS_METRICS, "too_small"]
    ).set_index(["variable", "level"])
    return FairnessGaps(
        overall=pd.Series(overall, index=list(FAIRNESS_METRICS)),
        by_group=by_group,
        differences=pd.DataFrame(
            diffs,
            columns=[
                "variable",
                "metric",
                "level",
                "reference",
                "difference",
                "ci_lower",
                "ci_upper",
            ],
        ),
        max_gaps=pd.DataFrame(
            gaps, columns=["variable", "metric", "highest", "lowest", "gap", "ci_lower", "ci_upper"]
        ),
        warnings=notes,
        settings={
            "threshold": thr,
            "pos_label": jsonable(checked.classes[checked.pos]),
            "variables": list(resolved),
            "levels": resolved,
            "n_bootstraps": int(n_bootstraps),
            "confidence_level": float(confidence_level),
            "min_size": int(min_size),
        },
    )


def _reference(
    variable: str, names: list[Any], small: list[Any], masks: dict[Any, np.ndarray], given: Any
) -> Any:
    """The reference level of a variable: ``given``, or the largest group large enough."""
    if given is None:
        usable = [lvl for lvl in names if lvl not in small]
        return max(usable, key=lambda lvl: int(masks[lvl].sum())) if usable else None
    if given not in masks:
        raise ValueError(f"reference level {given!r} is not a level of {variable!r}: {names}.")
    if given in small and len(names) - len(small) >= 2:
        raise ValueError(
            f"reference level {given!r} of {variable!r} is too small to compare with; choose "
            f"one of {[lvl for lvl in names if lvl not in small]}."
        )
    return given


def _group_values(
    problems: list[BinaryProblem], masks: list[np.ndarray], W: np.ndarray
) -> np.ndarray:
    """The compared metrics of each group for each row of weights: (B, n_groups, n_metrics)."""
    return np.stack([_values(problem, W[:, m]) for problem, m in zip(problems, masks)], axis=1)


def _values(problem: BinaryProblem, W: np.ndarray) -> np.ndarray:
    """The compared metrics for each row of weights: shape (B, len(FAIRNESS_METRICS))."""
    v = problem.metrics(W)
    return np.column_stack(
        [v["sensitivity"], 1.0 - v["specificity"], v["ppv"], v["calibration_intercept"]]
    )
