"""Measuring calibration; fixing it is scikit-learn's ``CalibratedClassifierCV``.

Calibration asks whether a predicted risk of 20% comes true for about 20% of such patients.
:func:`assess_calibration` measures it three ways on held-out predictions:

* the **reliability curve** -- observed event rate against mean predicted risk per bin
  (the numbers behind :class:`sklearn.calibration.CalibrationDisplay`);
* **logistic recalibration** -- the calibration slope (1 is ideal; below 1 the risks are too
  extreme, typical of overfitting) and calibration-in-the-large intercept (0 is ideal; above 0
  the risks are too low on average);
* the **Brier score** -- mean squared error of the predicted risk;
* a **flexible calibration curve** (:func:`flexible_calibration`): the observed risk as a
  smooth function of the predicted risk -- a logistic regression of the outcome on a
  restricted cubic spline of the predicted log-odds -- with a confidence band, summarised by
  the integrated calibration index ``ICI`` (the mean absolute difference between the curve
  and the predicted risks over the patients), ``E50`` and ``E90`` (its median and 90th
  percentile) and ``Emax`` (Austin & Steyerberg, Stat Med 2019).

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
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from skmed._compat import Interval, Options, StrOptions, validate_params
from skmed._docstrings import fill_doc
from skmed._splines import fit_logistic, knots_at_quantiles, rcs_basis
from skmed.metrics._checks import check_risks
from skmed.metrics._params import DOCS
from skmed.metrics._risk_scores import point_metrics

__all__ = [
    "CalibrationAssessment",
    "FlexibleCalibration",
    "assess_calibration",
    "flexible_calibration",
    "reliability_table",
]

#: Predicted risks are clipped to [_CLIP, 1 - _CLIP] before the log-odds.
_CLIP = 1e-6

#: ``validate_params`` constraints of the reliability curve's bins.
_BINNING = {
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"quantile", "uniform"})],
}


@dataclass
class FlexibleCalibration:
    """Result of :func:`flexible_calibration`.

    Attributes
    ----------
    grid : ndarray
        Predicted risks at which the curve is tabulated (from the 1st to the 99th percentile
        of the predictions).
    observed, lower, upper : ndarray
        The calibration curve (observed risk) at ``grid`` and its pointwise confidence band.
    ici, e50, e90, emax : float
        Mean, median, 90th percentile and maximum of ``|curve(p_i) - p_i|`` over the patients.
    n_knots : int
        Knots of the spline actually used (2 means a straight line on the log-odds scale).
    confidence_level : float
    """

    grid: np.ndarray = field(repr=False)
    observed: np.ndarray = field(repr=False)
    lower: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)
    ici: float
    e50: float
    e90: float
    emax: float
    n_knots: int
    confidence_level: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dictionary (the curve at 25 points of the grid)."""
        take = np.linspace(0, self.grid.size - 1, min(25, self.grid.size)).round().astype(int)
        return {
            "ici": self.ici,
            "e50": self.e50,
            "e90": self.e90,
            "emax": self.emax,
            "n_knots": self.n_knots,
            "confidence_level": self.confidence_level,
            "curve": {
                "predicted": self.grid[take].tolist(),
                "observed": self.observed[take].tolist(),
                "lower": self.lower[take].tolist(),
                "upper": self.upper[take].tolist(),
            },
        }


@fill_doc(DOCS)
@validate_params(
    {
        "n_knots": [Options(Integral, {3, 4, 5}), None],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def flexible_calibration(
    y_true: Any,
    y_prob: Any,
    *,
    pos_label: Any = None,
    n_knots: int | None = None,
    confidence_level: float = 0.95,
    n_grid: int = 100,
) -> FlexibleCalibration:
    """Smooth calibration curve with a confidence band, and the ICI, E50, E90 and Emax.

    The observed risk is modelled as ``expit(f(logit p))`` with ``f`` a restricted cubic spline
    (Harrell's knots at quantiles of the predicted log-odds), fitted by maximum likelihood; the
    band is the pointwise Wald interval of ``f``. The summary statistics are those of Austin &
    Steyerberg (2019), computed with this curve in place of their loess smoother (they show the
    two agree closely).

    Parameters
    ----------
    {{risks}}
    n_knots : {3, 4, 5}, default=None
        Spline knots; default 4, or 3 when the rarer outcome has fewer than 100 patients.
        Fewer are used when the predictions take too few distinct values (down to a straight
        line, i.e. logistic recalibration).
    confidence_level : float, default=0.95
        Coverage of the band.
    n_grid : int, default=100
        Points of the tabulated curve.

    Returns
    -------
    FlexibleCalibration

    Raises
    ------
    ValueError
        For invalid inputs (as :func:`skmed.metrics.clinical_metrics`) or ``n_knots``.

    Examples
    --------
    {{example_calibrated}}
    >>> flexible_calibration(y, p).ici < 0.02
    True
    """
    positive, p = check_risks(y_true, y_prob, pos_label).positive()
    p = np.clip(p, _CLIP, 1 - _CLIP)
    y = positive.astype(np.float64)
    x = logit(p)
    if n_knots is None:
        n_knots = 4 if min(y.sum(), y.size - y.sum()) >= 100 else 3
    fit, knots = None, np.array([])
    for k in range(n_knots, 1, -1):  # fewer knots when the spline cannot be fitted
        knots = knots_at_quantiles(x, k) if k >= 3 else np.array([])
        if k >= 3 and knots.size < k:
            continue
        fit = fit_logistic(rcs_basis(x, knots), y)
        if fit is not None:
            break
    grid = np.quantile(p, np.linspace(0.01, 0.99, n_grid))
    if fit is None:
        nan = np.full(n_grid, np.nan)
        return FlexibleCalibration(
            grid, nan, nan, nan, *(float("nan"),) * 4, 0, float(confidence_level)
        )
    beta, cov = fit
    gap = np.abs(expit(rcs_basis(x, knots) @ beta) - p)
    design = rcs_basis(logit(grid), knots)
    eta = design @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", design, cov, design), 0.0))
    z = norm.ppf(0.5 + confidence_level / 2)
    return FlexibleCalibration(
        grid=grid,
        observed=expit(eta),
        lower=expit(eta - z * se),
        upper=expit(eta + z * se),
        ici=float(gap.mean()),
        e50=float(np.median(gap)),
        e90=float(np.quantile(gap, 0.9)),
        emax=float(gap.max()),
        n_knots=int(max(knots.size, 2)),
        confidence_level=float(confidence_level),
    )


@fill_doc(DOCS)
@validate_params(_BINNING, prefer_skip_nested_validation=True)
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
    {{risks}}
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
    y, p = check_risks(y_true, y_prob, pos_label).positive()
    # one pass over the rows: edges, sizes and means together (calibration_curve returns only
    # the means, and its edges are the same rule; tests compare the two)
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    total = np.bincount(ids, minlength=n_bins)
    keep = total > 0
    sums = np.bincount(ids, weights=p, minlength=n_bins)[keep]
    events = np.bincount(ids, weights=y.astype(np.float64), minlength=n_bins)[keep]
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
    flexible : FlexibleCalibration or None
        The smooth curve and ICI, E50, E90 (:func:`flexible_calibration`).
    """

    intercept: float
    slope: float
    brier: float
    curve: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    flexible: FlexibleCalibration | None = None

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
            "flexible": self.flexible.to_dict() if self.flexible is not None else None,
        }


@fill_doc(DOCS)
@validate_params(_BINNING, prefer_skip_nested_validation=True)
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
    {{risks}}
    n_bins, strategy
        Binning of the reliability curve, see :func:`reliability_table`.
    slope_tolerance, intercept_tolerance : float, default=0.2
        ``|slope - 1|`` and ``|intercept|`` above these are reported in ``warnings``.

    Returns
    -------
    CalibrationAssessment

    Examples
    --------
    {{example_calibrated}}
    >>> assess_calibration(y, p).needs_recalibration
    False
    >>> overfit = 1 / (1 + np.exp(-3 * np.log(p / (1 - p))))  # three times too extreme
    >>> assess_calibration(y, overfit).needs_recalibration
    True
    """
    curve = reliability_table(y_true, y_prob, pos_label=pos_label, n_bins=n_bins, strategy=strategy)
    vals = point_metrics(y_true, y_prob, pos_label)
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
    flexible = flexible_calibration(y_true, y_prob, pos_label=pos_label)
    return CalibrationAssessment(intercept, slope, brier, curve, notes, flexible)
