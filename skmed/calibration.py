"""Measuring calibration; fixing it is scikit-learn's ``CalibratedClassifierCV``.

Calibration asks whether a predicted risk of 20% comes true for about 20% of such patients.
:func:`assess_calibration` measures it three ways on held-out predictions:

* the **reliability curve** -- observed event rate against mean predicted risk per bin
  (the numbers behind :class:`sklearn.calibration.CalibrationDisplay`);
* **logistic recalibration** -- the calibration slope (1 is ideal; below 1 the risks are too
  extreme, typical of overfitting) and calibration-in-the-large intercept (0 is ideal; above 0
  the risks are too low on average);
* the **Brier score** -- mean squared error of the predicted risk.

When a model is miscalibrated, wrap it -- inside or around the pipeline -- in
``CalibratedClassifierCV``, which refits it on cross-validation folds and learns a mapping of
its probabilities (``method="sigmoid"`` for small data or a slope problem, ``"isotonic"`` with
more than about a thousand events)::

    from sklearn.calibration import CalibratedClassifierCV
    calibrated = CalibratedClassifierCV(pipeline, method="sigmoid", cv=5).fit(X_train, y_train)

Re-assess calibration on held-out data afterwards; a good calibration on the training data
proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from skmed.metrics import _check_inputs, _point_metrics

__all__ = ["CalibrationAssessment", "assess_calibration", "reliability_table"]


def reliability_table(
    y_true: Any,
    y_prob: Any,
    *,
    pos_label: Any = None,
    n_bins: int = 10,
    strategy: str = "quantile",
) -> pd.DataFrame:
    """Observed event rate against mean predicted probability, per bin.

    The bins and values are those of :func:`sklearn.calibration.calibration_curve` (empty bins
    dropped), plus the bin edges and the number of patients per bin.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_prob : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    pos_label : label, default=None
        Positive class; ``None`` means the larger of the two labels.
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        Equal-count bins, or equal-width bins on [0, 1].

    Returns
    -------
    table : pandas.DataFrame
        Columns ``bin_lower``, ``bin_upper``, ``mean_predicted``, ``observed``, ``count``.

    Examples
    --------
    >>> t = reliability_table([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9], n_bins=2)
    >>> t["observed"].tolist()
    [0.0, 1.0]
    """
    if strategy not in ("quantile", "uniform"):
        raise ValueError(f"strategy must be 'quantile' or 'uniform'; got {strategy!r}.")
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    checked = _check_inputs(y_true, np.asarray(y_prob, dtype=np.float64).ravel(), None, pos_label)
    p = checked.proba[:, checked.pos]
    y = (checked.y_idx == checked.pos).astype(np.float64)
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    total = np.bincount(ids, minlength=n_bins)
    keep = total > 0
    sums = np.bincount(ids, weights=p, minlength=n_bins)[keep]
    events = np.bincount(ids, weights=y, minlength=n_bins)[keep]
    return pd.DataFrame(
        {
            "bin_lower": edges[:-1][keep],
            "bin_upper": edges[1:][keep],
            "mean_predicted": sums / total[keep],
            "observed": events / total[keep],
            "count": total[keep],
        }
    )


@dataclass
class CalibrationAssessment:
    """Result of :func:`assess_calibration`.

    Attributes
    ----------
    intercept : float
        Calibration-in-the-large (0 is ideal).
    slope : float
        Calibration slope (1 is ideal).
    brier : float
        Brier score.
    curve : pandas.DataFrame
        :func:`reliability_table` output.
    warnings : list of str
        Plain-language findings (e.g. "slope 0.62 < 0.8: predictions too extreme").
    """

    intercept: float
    slope: float
    brier: float
    curve: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_recalibration(self) -> bool:
        """True when the slope or intercept is outside the tolerance used for ``warnings``."""
        return bool(self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dictionary."""
        return {
            "intercept": self.intercept,
            "slope": self.slope,
            "brier": self.brier,
            "needs_recalibration": self.needs_recalibration,
            "warnings": list(self.warnings),
            "curve": self.curve.to_dict(orient="records"),
        }


def assess_calibration(
    y_true: Any,
    y_prob: Any,
    *,
    pos_label: Any = None,
    n_bins: int = 10,
    strategy: str = "quantile",
    slope_tolerance: float = 0.2,
    intercept_tolerance: float = 0.2,
) -> CalibrationAssessment:
    """Reliability curve, calibration intercept and slope, and Brier score, with a verdict.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels (held-out data).
    y_prob : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    pos_label : label, default=None
        Positive class; ``None`` means the larger of the two labels.
    n_bins, strategy
        Binning of the reliability curve, see :func:`reliability_table`.
    slope_tolerance, intercept_tolerance : float, default=0.2
        ``|slope - 1|`` and ``|intercept|`` above these are reported in ``warnings``.

    Returns
    -------
    CalibrationAssessment

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.02, 0.98, 4000)
    >>> y = rng.random(4000) < p
    >>> assess_calibration(y, p).needs_recalibration
    False
    >>> overfit = 1 / (1 + np.exp(-3 * np.log(p / (1 - p))))  # three times too extreme
    >>> assess_calibration(y, overfit).needs_recalibration
    True
    """
    curve = reliability_table(y_true, y_prob, pos_label=pos_label, n_bins=n_bins, strategy=strategy)
    vals = _point_metrics(y_true, y_prob, pos_label)
    intercept, slope, brier = (
        vals[k] for k in ("calibration_intercept", "calibration_slope", "brier")
    )
    notes = []
    if not np.isfinite(slope):
        notes.append("calibration slope could not be estimated (perfectly separated data?)")
    elif abs(slope - 1) > slope_tolerance:
        kind = "too extreme (overfitting?)" if slope < 1 else "too moderate"
        notes.append(f"calibration slope {slope:.2f}: predicted risks are {kind}")
    if np.isfinite(intercept) and abs(intercept) > intercept_tolerance:
        kind = "underestimated" if intercept > 0 else "overestimated"
        notes.append(f"calibration intercept {intercept:.2f}: risks are {kind} on average")
    if notes:
        notes.append(
            "consider sklearn.calibration.CalibratedClassifierCV (method='sigmoid' or "
            "'isotonic') and re-assess on held-out data"
        )
    return CalibrationAssessment(intercept, slope, brier, curve, notes)
