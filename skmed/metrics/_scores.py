"""Scores of predicted labels at a decision: the one confusion count and the one set of rates.

:func:`binary_counts` counts, :func:`confusion_rates` turns counts into sensitivity,
specificity, PPV, NPV and likelihood ratios; everything else (the public scores here, the
vectorised bootstrap, the threshold scorer of :mod:`skmed.thresholds`, the report) goes through
them. The counts are four numpy sums rather than :func:`sklearn.metrics.confusion_matrix`: the
threshold scorer counts once per candidate threshold and fold (thousands of times per tuning),
where ``confusion_matrix``'s input checks cost some twenty times the count itself.
scikit-learn's ``class_likelihood_ratios`` is not used either: it reports an undefined ratio as
NaN with a warning, where a clinician wants ``inf`` (a test that never misfires).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from skmed._docstrings import fill_doc
from skmed._json import jsonable
from skmed.metrics._params import DOCS


def binary_counts(y_true: Any, y_pred: Any, pos_label: Any) -> tuple[int, int, int, int]:
    """``(tp, fp, fn, tn)`` of labels against ``pos_label`` (every other label is negative).

    ``pos_label`` is taken as given; :func:`resolve_pos_label` checks and defaults it.
    """
    y = np.asarray(y_true)
    pred = np.asarray(y_pred)
    if y.shape != pred.shape:
        raise ValueError(f"y_true and y_pred shapes differ: {y.shape} vs {pred.shape}.")
    pos, hat = y == pos_label, pred == pos_label
    tp = int(np.sum(pos & hat))
    fp = int(np.sum(~pos & hat))
    fn = int(np.sum(pos & ~hat))
    tn = int(np.sum(~pos & ~hat))
    return tp, fp, fn, tn


def resolve_pos_label(y_true: Any, y_pred: Any, pos_label: Any) -> Any:
    """The positive label of a binary scoring: ``pos_label``, or the larger of the two labels.

    Raises a ValueError naming the labels of ``y_true`` and ``y_pred`` when ``pos_label`` is
    not among them, or when it is None and there are not exactly two labels.
    """
    labels = np.unique(np.concatenate([np.ravel(y_true), np.ravel(y_pred)]))
    listed = [jsonable(v) for v in labels.tolist()]
    if pos_label is None:
        if labels.size != 2:
            raise ValueError(
                f"pos_label=None means the larger of two labels, but y_true and y_pred hold "
                f"{labels.size} labels {listed}; pass pos_label= to say which class is positive."
            )
        return labels[1]
    if pos_label not in labels.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the labels {listed} of y_true and y_pred."
        )
    return pos_label


def counts(y_true: Any, y_pred: Any, pos_label: Any) -> tuple[int, int, int, int]:
    """:func:`binary_counts` after :func:`resolve_pos_label` checks or defaults ``pos_label``."""
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    return binary_counts(y, pred, resolve_pos_label(y, pred, pos_label))


def confusion_rates(tp: Any, fp: Any, fn: Any, tn: Any) -> dict[str, np.ndarray]:
    """The rates at a decision from confusion counts: scalars, or arrays (one per replicate).

    Returns ``sensitivity``, ``specificity``, ``ppv``, ``npv``, ``lr_positive``,
    ``lr_negative`` and ``balanced_accuracy`` as float64 arrays of the counts' shape. A rate
    with nothing in its denominator is NaN; a likelihood ratio with a zero denominator is
    ``inf`` (NaN when its numerator is zero too).
    """
    tp, fp, fn, tn = (np.asarray(c, dtype=np.float64) for c in (tp, fp, fn, tn))
    with np.errstate(divide="ignore", invalid="ignore"):
        sens, spec = tp / (tp + fn), tn / (tn + fp)
        return {
            "sensitivity": sens,
            "specificity": spec,
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
            "lr_positive": sens / (1.0 - spec),
            "lr_negative": (1.0 - sens) / spec,
            "balanced_accuracy": (sens + spec) / 2.0,
        }


def net_benefit_from_counts(tp: Any, fp: Any, n: Any, threshold: Any) -> Any:
    """Net benefit ``(TP - FP * pt / (1 - pt)) / n`` of treating when the risk reaches ``pt``.

    Vickers & Elkin (2006); any argument may be an array (thresholds, or replicates).
    """
    return (tp - fp * (threshold / (1 - threshold))) / n


def label_rates(y_true: Any, y_pred: Any, pos_label: Any) -> dict[str, np.ndarray]:
    """:func:`confusion_rates` of true and predicted labels (``pos_label`` as :func:`counts`)."""
    return confusion_rates(*counts(y_true, y_pred, pos_label))


def _rate_score(rate: str, summary: str, example: str) -> Callable[..., float]:
    """The public score of one rate of :func:`label_rates`, with its docstring.

    The four scores differ only in the rate they read, so they are made here once.
    """

    def score(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> float:
        return float(label_rates(y_true, y_pred, pos_label)[rate])

    score.__name__ = score.__qualname__ = f"{rate}_score"
    score.__doc__ = f"""{summary}

    {{{{label_score}}}}

    Examples
    --------
    >>> {example}
    """
    return fill_doc(DOCS)(score)


sensitivity_score = _rate_score(
    "sensitivity",
    "Sensitivity (recall, true-positive rate): TP / (TP + FN); NaN with no positives.",
    "sensitivity_score([1, 1, 0, 0], [1, 0, 0, 1])\n    0.5",
)
specificity_score = _rate_score(
    "specificity",
    "Specificity (true-negative rate): TN / (TN + FP); NaN with no negatives.",
    "specificity_score([1, 1, 0, 0, 0], [1, 0, 0, 0, 1])\n    0.6666666666666666",
)
ppv_score = _rate_score(
    "ppv",
    "Positive predictive value (precision): TP / (TP + FP); NaN with no predicted positives.",
    "ppv_score([1, 1, 0, 0], [1, 1, 1, 0])\n    0.6666666666666666",
)
npv_score = _rate_score(
    "npv",
    "Negative predictive value: TN / (TN + FN); NaN with no predicted negatives.",
    "npv_score([1, 1, 0, 0], [1, 0, 0, 0])\n    0.6666666666666666",
)


@fill_doc(DOCS)
def likelihood_ratios(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> tuple[float, float]:
    """Positive and negative likelihood ratios, LR+ = sens / (1 - spec), LR- = (1 - sens) / spec.

    Parameters
    ----------
    {{labels}}

    Returns
    -------
    (lr_positive, lr_negative) : tuple of float
        ``inf`` when the denominator is zero (e.g. LR+ at specificity 1).

    {{raises_pos_label}}

    Examples
    --------
    >>> likelihood_ratios([1, 1, 0, 0], [1, 0, 0, 1])
    (1.0, 1.0)
    """
    rates = label_rates(y_true, y_pred, pos_label)
    return float(rates["lr_positive"]), float(rates["lr_negative"])
