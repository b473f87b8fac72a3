"""
The evidence a reviewer asks for first
======================================

Before a clinical prediction model is trusted, TRIPOD+AI and PROBAST ask: is the performance
estimate optimistic on this few patients? Is the network better than a logistic regression on
the same predictors? Are its risks calibrated, and are its errors spread fairly across groups?
Was there enough data? This example answers each on scikit-learn's breast cancer table
(569 patients) with :mod:`skmed.validation`, :func:`skmed.metrics.compare_models`,
:func:`skmed.calibration.flexible_calibration`, :func:`skmed.metrics.fairness_gaps` and
:mod:`skmed.sample_size`.
"""

# %%
# Validate the whole pipeline on all the data
# -------------------------------------------
# 5 x 2-fold cross-validation of scaling + network, and of the same scaling + logistic
# regression; the final models are fitted on all rows.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmed import MedicalMLPClassifier
from skmed.calibration import flexible_calibration
from skmed.metrics import compare_models, fairness_gaps
from skmed.plotting import plot_calibration, plot_model_comparison
from skmed.sample_size import check_sample_size
from skmed.validation import internal_validation

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
y = np.where(y == 0, "malignant", "benign")
network = make_pipeline(StandardScaler(), MedicalMLPClassifier(random_state=0))
baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
options = dict(method="cv", n_splits=5, n_repeats=2, random_state=0)
net = internal_validation(network, X, y, **options)
lr = internal_validation(baseline, X, y, **options)
print(net.sentence())
print(net.table.round(3))

# %%
# Is the network better than the logistic regression?
# ----------------------------------------------------
# Both models' out-of-fold risks, on the same patients and bootstrap replicates.
classes = net.estimator.classes_  # ['benign', 'malignant']
comparison = compare_models(
    y,
    {"LogisticRegression": lr.held_out_proba, "network": net.held_out_proba},
    classes=classes,
    pos_label="malignant",
    threshold=0.2,
    n_bootstraps=500,
)
print(comparison.sentences()[0])

# %%
# Calibration, fairness and sample size
# -------------------------------------
# The flexible calibration curve of the out-of-fold risks; the gaps between two groups of
# tumour size (a stand-in for a patient group: the table has no demographics); Riley et al.'s
# minimum sample size for 30 candidate predictors.
risk = net.held_out_proba[:, 1]
calibration = flexible_calibration(y, risk, pos_label="malignant")
print(f"ICI {calibration.ici:.3f}, E50 {calibration.e50:.3f}, E90 {calibration.e90:.3f}")
size = np.where(X["mean area"] > X["mean area"].median(), "larger", "smaller")
gaps = fairness_gaps(
    y, net.held_out_proba, size, classes=classes, pos_label="malignant", n_bootstraps=300
)
print(gaps.differences[["metric", "level", "reference", "difference", "ci_lower", "ci_upper"]])
print(check_sample_size(y, 30, proba=net.held_out_proba, classes=classes).sentence())

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
plot_calibration(y, net.held_out_proba, classes=classes, pos_label="malignant", ax=axes[0])
plot_model_comparison(comparison, ax=axes[1])
plt.show()
