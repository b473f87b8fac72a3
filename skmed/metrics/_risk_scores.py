"""Scores of predicted risks of a binary outcome: calibration intercept and slope, net benefit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skmed._docstrings import fill_doc
from skmed.metrics._checks import check_risks, problems
from skmed.metrics._params import DOCS
from skmed.metrics._scores import net_benefit_from_counts


@fill_doc(DOCS)
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
    {{risks}}

    Returns
    -------
    (intercept, slope) : tuple of float
        NaN when the fit does not converge (e.g. perfectly separated data).

    Examples
    --------
    {{example_calibrated}}
    >>> a, b = calibration_intercept_slope(y, p)
    >>> bool(abs(a) < 0.1 and abs(b - 1) < 0.1)
    True
    """
    vals = point_metrics(y_true, y_prob, pos_label)
    return vals["calibration_intercept"], vals["calibration_slope"]


def point_metrics(y_true: Any, y_prob: Any, pos_label: Any) -> dict[str, float]:
    """Every binary metric on the data as given (one unresampled replicate)."""
    checked = check_risks(y_true, y_prob, pos_label)
    problem = problems(checked, 0.5)[0][1]
    vals = problem.metrics(np.ones((1, checked.y_idx.size)))
    return {name: float(values[0]) for name, values in vals.items()}


@fill_doc(DOCS)
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
    {{risks}}
    thresholds : array-like of float in [0, 1), default=None
        Threshold probabilities; default ``0.01, 0.02, ..., 0.99``.

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
    y, p = check_risks(y_true, y_prob, pos_label).positive()
    t = np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    if t.ndim != 1 or np.any(t < 0) or np.any(t >= 1):
        raise ValueError("thresholds must be a 1-D array of probabilities in [0, 1).")
    treat = p[None, :] >= t[:, None]
    prevalence = y.mean()
    return pd.DataFrame(
        {
            "threshold": t,
            "model": net_benefit_from_counts(
                (treat & y).sum(axis=1), (treat & ~y).sum(axis=1), y.size, t
            ),
            "treat_all": net_benefit_from_counts(prevalence, 1 - prevalence, 1, t),
            "treat_none": np.zeros_like(t),
        }
    )
