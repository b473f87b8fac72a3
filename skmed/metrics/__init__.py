"""Clinical performance metrics with stratified bootstrap confidence intervals.

Every metric is reported as a point estimate with a percentile confidence interval from a
stratified (within-class), seeded bootstrap. The bootstrap is vectorised (see
``skmed.metrics._bootstrap``): 1,000 replicates over 10,000 rows take well under two seconds.

Binary problems use a probability threshold on the positive class; multiclass problems are
scored one-vs-rest, with predictions from the most probable class, plus a ``"macro"`` row that
averages the per-class values within each replicate.

Metric names
------------
``sensitivity`` (recall, TPR), ``specificity`` (TNR), ``ppv`` (precision), ``npv``,
``lr_positive`` (sensitivity / (1 - specificity)), ``lr_negative``
((1 - sensitivity) / specificity), ``balanced_accuracy``, ``roc_auc``, ``pr_auc`` (average
precision, as :func:`sklearn.metrics.average_precision_score`), ``brier`` (mean squared error of
the probability), ``calibration_intercept`` (calibration-in-the-large: ``a`` in
``logit P(y=1) = a + logit(p)``; 0 is ideal) and ``calibration_slope`` (``b`` in
``logit P(y=1) = a + b logit(p)``; 1 is ideal, < 1 means predictions are too extreme).
"""

from skmed.metrics._bootstrap import BINARY_METRICS
from skmed.metrics._clinical import clinical_metrics, subgroup_metrics
from skmed.metrics._comparison import ModelComparison, compare_models
from skmed.metrics._curves import roc_curve_ci
from skmed.metrics._fairness import FairnessGaps, fairness_gaps
from skmed.metrics._risk_scores import calibration_intercept_slope, net_benefit
from skmed.metrics._scores import (
    likelihood_ratios,
    npv_score,
    ppv_score,
    sensitivity_score,
    specificity_score,
)

__all__ = [
    "METRICS",
    "ModelComparison",
    "calibration_intercept_slope",
    "clinical_metrics",
    "compare_models",
    "fairness_gaps",
    "FairnessGaps",
    "likelihood_ratios",
    "net_benefit",
    "npv_score",
    "ppv_score",
    "roc_curve_ci",
    "sensitivity_score",
    "specificity_score",
    "subgroup_metrics",
]

#: Names of the metrics reported by :func:`clinical_metrics`, in table order.
METRICS: tuple[str, ...] = BINARY_METRICS
