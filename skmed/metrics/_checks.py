"""Input checks shared by the metrics: labels, probabilities, thresholds, groups."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from skmed._columns import require_columns
from skmed._missing import missing_mask
from skmed.metrics._bootstrap import BinaryProblem

COLUMNS = ["class", "metric", "estimate", "ci_lower", "ci_upper"]


class Checked:
    """Validated inputs: integer labels, a probability matrix and the class labels."""

    def __init__(self, y_idx: np.ndarray, proba: np.ndarray, classes: np.ndarray, pos: int | None):
        self.y_idx = y_idx
        self.proba = proba
        self.classes = classes
        self.pos = pos  # index of the positive class for binary problems, else None

    @property
    def binary(self) -> bool:
        return self.classes.size == 2

    def positive(self) -> tuple[np.ndarray, np.ndarray]:
        """Binary problems: ``(y, p)``, True where a row is positive and its risk of being so."""
        return self.y_idx == self.pos, self.proba[:, self.pos]


def check_proba(y_proba: Any) -> np.ndarray:
    proba = np.asarray(y_proba, dtype=np.float64)
    if proba.ndim not in (1, 2):
        raise ValueError(f"y_proba must be 1-D or 2-D; got an array with {proba.ndim} dimensions.")
    if not np.all(np.isfinite(proba)):
        raise ValueError("y_proba contains NaN or infinite values; probabilities must be finite.")
    if proba.size and (proba.min() < 0.0 or proba.max() > 1.0):
        raise ValueError(
            "y_proba must hold probabilities in [0, 1]; got values from "
            f"{proba.min():.4g} to {proba.max():.4g}. Pass predict_proba output, not "
            "decision_function scores or logits."
        )
    return proba


def check_inputs(y_true: Any, y_proba: Any, classes: Any = None, pos_label: Any = None) -> Checked:
    """Labels as column indices of ``y_proba``, probabilities as an ``(n, n_classes)`` matrix.

    Every class must have a sample; ``pos_label`` (binary only) defaults to ``classes[1]``.
    """
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-D; got shape {y.shape}.")
    proba = check_proba(y_proba)
    if proba.shape[0] != y.shape[0]:
        raise ValueError(
            f"y_true has {y.shape[0]} rows but y_proba has {proba.shape[0]}; they must match."
        )
    if y.shape[0] == 0:
        raise ValueError("y_true is empty; at least one sample per class is needed.")
    if classes is None:
        classes_arr = np.unique(y)
        if proba.ndim == 2 and proba.shape[1] != classes_arr.size:
            raise ValueError(
                f"y_true contains {classes_arr.size} classes {classes_arr.tolist()} but y_proba "
                f"has {proba.shape[1]} columns; pass classes= (e.g. model.classes_) to say which "
                "column is which class."
            )
    else:
        classes_arr = np.asarray(classes)
        if classes_arr.ndim != 1:
            raise ValueError("classes must be a 1-D sequence of labels.")
        if np.unique(classes_arr).size != classes_arr.size:
            raise ValueError(f"classes contains duplicates: {classes_arr.tolist()}.")
    if classes_arr.size < 2:
        raise ValueError(
            f"Need at least two classes to evaluate a classifier; got {classes_arr.tolist()}."
        )
    if proba.ndim == 2 and proba.shape[1] != classes_arr.size:
        raise ValueError(
            f"y_proba has {proba.shape[1]} columns but {classes_arr.size} classes were given "
            f"({classes_arr.tolist()}); there must be one column per class."
        )
    if proba.ndim == 1 and classes_arr.size != 2:
        raise ValueError(
            "A 1-D y_proba is the probability of the positive class of a binary problem, but "
            f"{classes_arr.size} classes were given; pass the full predict_proba matrix."
        )
    # map labels to column indices
    lookup = {label: i for i, label in enumerate(classes_arr.tolist())}
    try:
        y_idx = np.fromiter((lookup[v] for v in y.tolist()), dtype=np.intp, count=y.size)
    except KeyError:
        unknown = sorted({v for v in y.tolist() if v not in lookup}, key=str)
        raise ValueError(
            f"y_true contains labels {unknown} that are not in classes {classes_arr.tolist()}."
        ) from None
    counts = np.bincount(y_idx, minlength=classes_arr.size)
    if np.any(counts == 0):
        missing = classes_arr[counts == 0].tolist()
        raise ValueError(
            f"y_true has no samples of class(es) {missing}; every class needs at least one "
            "sample to estimate sensitivity, specificity and AUC."
        )
    pos = None
    if classes_arr.size == 2:
        if pos_label is None:
            pos = 1
        else:
            matches = np.flatnonzero(classes_arr == pos_label)
            if matches.size == 0:
                raise ValueError(
                    f"pos_label={pos_label!r} is not one of the classes {classes_arr.tolist()}."
                )
            pos = int(matches[0])
        if proba.ndim == 1:
            proba = (
                np.column_stack([1.0 - proba, proba])
                if pos == 1
                else np.column_stack([proba, 1.0 - proba])
            )
    elif pos_label is not None:
        raise ValueError(
            f"pos_label={pos_label!r} only applies to binary problems; this one has "
            f"{classes_arr.size} classes and is scored one-vs-rest for each class."
        )
    return Checked(y_idx, proba, classes_arr, pos)


def check_risks(y_true: Any, y_prob: Any, pos_label: Any) -> Checked:
    """:func:`check_inputs` for the predicted risk of a binary outcome (a 1-D probability)."""
    return check_inputs(y_true, np.asarray(y_prob, dtype=np.float64).ravel(), None, pos_label)


def check_threshold(threshold: Any, checked: Checked) -> float | None:
    if not checked.binary:
        if threshold is not None:
            raise ValueError(
                "threshold applies to binary problems only; multiclass predictions use the most "
                "probable class."
            )
        return None
    if threshold is None:
        return 0.5
    if not isinstance(threshold, Real) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a probability in [0, 1]; got {threshold!r}.")
    return float(threshold)


def predicted_index(
    checked: Checked, threshold: float | None, weights: np.ndarray | None = None
) -> np.ndarray:
    """The class (column of ``checked.proba``) the decision picks for each row.

    Binary: the positive class when its risk is ``>= threshold``; otherwise the arg-max of
    ``weights x proba`` (``weights`` ``None``: the most probable class) -- the exported file's
    operations (:class:`skmed.runtime.DecisionRule`), so counts here are the file's labels.
    """
    if checked.binary:
        pos = checked.pos
        assert pos is not None and threshold is not None  # set for every binary problem
        return np.where(checked.proba[:, pos] >= threshold, pos, 1 - pos)
    scores = checked.proba if weights is None else checked.proba * weights
    return np.argmax(scores, axis=1)


def problems(
    checked: Checked, threshold: float | None, weights: np.ndarray | None = None
) -> list[tuple[Any, BinaryProblem]]:
    """One BinaryProblem per reported class (the positive class only, for binary)."""
    if checked.binary:
        y, p = checked.positive()
        return [(checked.classes[checked.pos], BinaryProblem(y, p, p >= threshold))]
    predicted = predicted_index(checked, None, weights)
    return [
        (label, BinaryProblem(checked.y_idx == k, checked.proba[:, k], predicted == k))
        for k, label in enumerate(checked.classes)
    ]


def finite_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over the finite values along ``axis`` (NaN where there are none): macro averages."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no finite value -> NaN
        return np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=axis)


def resolve_groups(groups: Any, X: Any, n: int) -> dict[str, np.ndarray]:
    """Map grouping variable name -> array of levels (length n)."""
    if isinstance(groups, str) or (
        X is not None
        and isinstance(groups, (list, tuple))
        and groups
        and all(isinstance(g, str) for g in groups)
    ):
        names = [groups] if isinstance(groups, str) else list(groups)
        if X is None or not hasattr(X, "columns"):
            raise ValueError(
                f"groups={names!r} names columns, so X must be a pandas DataFrame holding them."
            )
        require_columns(names, X.columns, what="Grouping column(s)", where="X")
        out = {g: np.asarray(X[g].to_numpy(), dtype=object) for g in names}
    elif isinstance(groups, pd.DataFrame):
        out = {str(c): np.asarray(groups[c].to_numpy(), dtype=object) for c in groups.columns}
    elif isinstance(groups, pd.Series):
        out = {
            str(groups.name) if groups.name is not None else "group": np.asarray(
                groups.to_numpy(), dtype=object
            )
        }
    elif isinstance(groups, dict):
        out = {str(k): np.asarray(v, dtype=object) for k, v in groups.items()}
    else:
        arr = np.asarray(groups, dtype=object)
        if arr.ndim != 1:
            raise ValueError("groups must be 1-D, a DataFrame, a dict, or column name(s) of X.")
        out = {"group": arr}
    for name, arr in out.items():
        if arr.shape[0] != n:
            raise ValueError(
                f"Grouping variable {name!r} has {arr.shape[0]} values but y_true has {n}."
            )
        out[name] = np.where(missing_mask(arr), np.array("(missing)", dtype=object), arr)
    return out
