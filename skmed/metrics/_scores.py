"""Single metrics at a decision: sensitivity and friends, calibration, net benefit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skmed._json import jsonable
from skmed.metrics._checks import check_inputs, problems


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
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    return binary_counts(y, pred, resolve_pos_label(y, pred, pos_label))


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def sensitivity_score(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> float:
    """Sensitivity (recall, true-positive rate): TP / (TP + FN).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : label, default=None
        The positive class, every other label negative; ``None`` means the larger of the two
        labels of ``y_true`` and ``y_pred`` (``classes[1]``).

    Returns
    -------
    float
        NaN when there are no positives.

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or is None with other than two labels.

    Examples
    --------
    >>> sensitivity_score([1, 1, 0, 0], [1, 0, 0, 1])
    0.5
    """
    tp, _, fn, _ = counts(y_true, y_pred, pos_label)
    return ratio(tp, tp + fn)


def specificity_score(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> float:
    """Specificity (true-negative rate): TN / (TN + FP).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : label, default=None
        The positive class, every other label negative; ``None`` means the larger of the two
        labels of ``y_true`` and ``y_pred`` (``classes[1]``).

    Returns
    -------
    float
        NaN when there are no negatives.

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or is None with other than two labels.

    Examples
    --------
    >>> specificity_score([1, 1, 0, 0, 0], [1, 0, 0, 0, 1])
    0.6666666666666666
    """
    _, fp, _, tn = counts(y_true, y_pred, pos_label)
    return ratio(tn, tn + fp)


def ppv_score(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> float:
    """Positive predictive value (precision): TP / (TP + FP); NaN with no predicted positives.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : label, default=None
        The positive class, every other label negative; ``None`` means the larger of the two
        labels of ``y_true`` and ``y_pred`` (``classes[1]``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or is None with other than two labels.

    Examples
    --------
    >>> ppv_score([1, 1, 0, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    tp, fp, _, _ = counts(y_true, y_pred, pos_label)
    return ratio(tp, tp + fp)


def npv_score(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> float:
    """Negative predictive value: TN / (TN + FN); NaN with no predicted negatives.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : label, default=None
        The positive class, every other label negative; ``None`` means the larger of the two
        labels of ``y_true`` and ``y_pred`` (``classes[1]``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or is None with other than two labels.

    Examples
    --------
    >>> npv_score([1, 1, 0, 0], [1, 0, 0, 0])
    0.6666666666666666
    """
    _, _, fn, tn = counts(y_true, y_pred, pos_label)
    return ratio(tn, tn + fn)


def likelihood_ratios(y_true: Any, y_pred: Any, *, pos_label: Any = None) -> tuple[float, float]:
    """Positive and negative likelihood ratios, LR+ = sens / (1 - spec), LR- = (1 - sens) / spec.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : label, default=None
        The positive class, every other label negative; ``None`` means the larger of the two
        labels of ``y_true`` and ``y_pred`` (``classes[1]``).

    Returns
    -------
    (lr_positive, lr_negative) : tuple of float
        ``inf`` when the denominator is zero (e.g. LR+ at specificity 1).

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or is None with other than two labels.

    Examples
    --------
    >>> likelihood_ratios([1, 1, 0, 0], [1, 0, 0, 1])
    (1.0, 1.0)
    """
    tp, fp, fn, tn = counts(y_true, y_pred, pos_label)
    sens, spec = ratio(tp, tp + fn), ratio(tn, tn + fp)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr_pos = float(np.float64(sens) / np.float64(1.0 - spec))
        lr_neg = float(np.float64(1.0 - sens) / np.float64(spec))
    return lr_pos, lr_neg


def calibration_intercept_slope(
    y_true: Any, y_prob: Any, *, pos_label: Any = None
) -> tuple[float, float]:
    """Calibration intercept and slope by logistic recalibration.

    The slope ``b`` is fitted in ``logit P(y=1) = a + b * logit(p)``; the intercept is
    calibration-in-the-large, ``c`` in ``logit P(y=1) = c + logit(p)`` (slope fixed at 1).
    A perfectly calibrated model has intercept 0 and slope 1; a slope below 1 means the
    predicted risks are too extreme (typical of overfitting), an intercept above 0 that risks
    are underestimated on average.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_prob : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    pos_label : label, default=None
        Positive class; ``None`` means the larger of the two labels.

    Returns
    -------
    (intercept, slope) : tuple of float
        NaN when the fit does not converge (e.g. perfectly separated data).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 5000)
    >>> y = rng.random(5000) < p
    >>> a, b = calibration_intercept_slope(y, p)
    >>> bool(abs(a) < 0.1 and abs(b - 1) < 0.1)
    True
    """
    vals = point_metrics(y_true, y_prob, pos_label)
    return vals["calibration_intercept"], vals["calibration_slope"]


def point_metrics(y_true: Any, y_prob: Any, pos_label: Any) -> dict[str, float]:
    """Every binary metric on the data as given (one unresampled replicate)."""
    checked = check_inputs(y_true, np.asarray(y_prob, dtype=np.float64).ravel(), None, pos_label)
    problem = problems(checked, 0.5)[0][1]
    vals = problem.metrics(np.ones((1, checked.y_idx.size)))
    return {name: float(values[0]) for name, values in vals.items()}


def net_benefit(
    y_true: Any,
    y_prob: Any,
    thresholds: Any = None,
    *,
    pos_label: Any = None,
) -> pd.DataFrame:
    """Net benefit of the model, of treating all and of treating none (decision curve analysis).

    At threshold probability ``pt``, net benefit = ``TP/n - FP/n * pt / (1 - pt)`` where the
    model treats patients with ``p >= pt`` (Vickers & Elkin, 2006).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_prob : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    thresholds : array-like of float in [0, 1), default=None
        Threshold probabilities; default ``0.01, 0.02, ..., 0.99``.
    pos_label : label, default=None
        Positive class; ``None`` means the larger of the two labels.

    Returns
    -------
    curve : pandas.DataFrame
        Columns ``threshold``, ``model``, ``treat_all``, ``treat_none``.

    Examples
    --------
    >>> nb = net_benefit([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], thresholds=[0.5])
    >>> float(nb["model"].iloc[0])
    0.0
    """
    checked = check_inputs(y_true, np.asarray(y_prob, dtype=np.float64).ravel(), None, pos_label)
    p = checked.proba[:, checked.pos]
    y = checked.y_idx == checked.pos
    t = np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    if t.ndim != 1 or np.any(t < 0) or np.any(t >= 1):
        raise ValueError("thresholds must be a 1-D array of probabilities in [0, 1).")
    n = y.size
    treat = p[None, :] >= t[:, None]
    tp = (treat & y).sum(axis=1) / n
    fp = (treat & ~y).sum(axis=1) / n
    odds = t / (1 - t)
    prevalence = y.mean()
    return pd.DataFrame(
        {
            "threshold": t,
            "model": tp - fp * odds,
            "treat_all": prevalence - (1 - prevalence) * odds,
            "treat_none": np.zeros_like(t),
        }
    )
