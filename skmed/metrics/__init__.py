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

Survival (prognosis) models
---------------------------
For a censored outcome ``(event, time)``: Harrell's and Uno's concordance indices, the
cumulative/dynamic AUC and the (integrated) Brier score as scikit-survival defines them, the
calibration of predicted survival at a horizon by risk group, and :func:`survival_metrics`,
which reports them with bootstrap intervals.
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
from skmed.metrics._survival import (
    brier_score,
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
    survival_metrics,
)
from skmed.metrics._survival_calibration import survival_calibration

__all__ = [
    "METRICS",
    "ModelComparison",
    "brier_score",
    "calibration_intercept_slope",
    "clinical_metrics",
    "compare_models",
    "concordance_index_censored",
    "concordance_index_ipcw",
    "cumulative_dynamic_auc",
    "fairness_gaps",
    "FairnessGaps",
    "integrated_brier_score",
    "likelihood_ratios",
    "net_benefit",
    "npv_score",
    "ppv_score",
    "roc_curve_ci",
    "sensitivity_score",
    "specificity_score",
    "subgroup_metrics",
    "survival_calibration",
    "survival_metrics",
]

#: Names of the metrics reported by :func:`clinical_metrics`, in table order.
METRICS: tuple[str, ...] = BINARY_METRICS
