"""Operating thresholds chosen under a clinical constraint, with scikit-learn's own machinery.

"Maximise specificity subject to sensitivity >= 0.95" is expressed as a scorer and handed to
:class:`sklearn.model_selection.TunedThresholdClassifierCV`, which scores every candidate
threshold on out-of-fold predictions and keeps the best. The result is a genuine
``TunedThresholdClassifierCV`` (or, via :func:`freeze_threshold`, a
``FixedThresholdClassifier``), so anything that understands those wrappers -- pickling,
``skmed.to_onnx`` -- applies the same threshold in deployment.

How the constraint is enforced
------------------------------
The scorer returns the objective (e.g. specificity) at thresholds where the constraint holds,
and a large negative penalty where it fails or where every patient gets the same label.
``TunedThresholdClassifierCV`` averages the fold scores at each threshold, so a threshold wins
only if it satisfies the constraint **in every fold**; the pooled out-of-fold value then
satisfies it too. Candidate thresholds are a fixed grid (dense near 0 and 1, where
well-separated models put most probabilities) so the fold scores are compared at exactly the
same points. After fitting, ``best_score_`` is the mean out-of-fold objective; a negative
``best_score_`` means no threshold met the constraint (:func:`tune_threshold` raises).
"""

from skmed.thresholds._rule import decision_rule
from skmed.thresholds._scorer import CLINICAL_RATES, constrained_scorer, default_threshold_grid
from skmed.thresholds._tuning import (
    describe_operating_point,
    freeze_threshold,
    make_constrained_threshold_classifier,
    tune_threshold,
)

__all__ = [
    "CLINICAL_RATES",
    "constrained_scorer",
    "decision_rule",
    "default_threshold_grid",
    "describe_operating_point",
    "freeze_threshold",
    "make_constrained_threshold_classifier",
    "tune_threshold",
]
