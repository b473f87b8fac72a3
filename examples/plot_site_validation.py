"""
Validate an exported model at a new site, and recalibrate it there
==================================================================

A model is trained at one hospital and used at another, where the outcome is more common and
the case mix differs. From the ONNX file alone (no training data, no scikit-learn pipeline):
:func:`skmed.drift.check_drift` compares the site's rows and outcome rate with the aggregate
training summary the file stores, :func:`skmed.recalibrate` fits an update of the risks on half
of the site's rows and writes it into a new file, and :func:`skmed.evaluate` compares both
files on the other half with paired bootstrap intervals.
"""

# %%
# Train at hospital A and export, with the training rows' summary
# ---------------------------------------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import skmed
from skmed.datasets import load_diagnosis
from skmed.drift import check_drift
from skmed.pipeline import make_clinical_pipeline
from skmed.plotting import plot_calibration
from skmed.runtime import OnnxClassifier

X, y = load_diagnosis(n_samples=1500, random_state=0, return_X_y=True)
y = np.where(y == "bacterial_pneumonia", "pneumonia", "other")  # one question: pneumonia?
model = make_clinical_pipeline(X, random_state=0).fit(X, y)
folder = Path(tempfile.mkdtemp())
skmed.to_onnx(model, X.head(50), path=folder / "model.onnx", reference_data=X, reference_target=y)

# %%
# Hospital B: three times as many pneumonias among its patients
# --------------------------------------------------------------
X_b, y_b = load_diagnosis(n_samples=3000, random_state=1, return_X_y=True)
y_b = np.where(y_b == "bacterial_pneumonia", "pneumonia", "other")
rng = np.random.default_rng(1)
keep = (y_b == "pneumonia") | (rng.random(len(y_b)) < 0.35)
X_b, y_b = X_b[keep].reset_index(drop=True), y_b[keep]

drift = check_drift(folder / "model.onnx", X_b, y_b)
for o in drift.outcome:
    print(f"{o.class_}: {o.share_reference:.1%} in training, {o.share_new:.1%} here"
          f"{'  (flagged)' if o.flagged else ''}")  # fmt: skip
print("columns flagged:", drift.flagged)

# %%
# Recalibrate on half of hospital B's rows, compare on the other half
# -------------------------------------------------------------------
fit = np.arange(len(y_b)) % 2 == 0
result = skmed.recalibrate(folder / "model.onnx", X_b[fit], y_b[fit], method="intercept")
result.save(folder / "model-b.onnx")
print(f"logit p' = {result.recalibration.intercept:+.2f} + logit p")

report = skmed.evaluate(
    {"original": folder / "model.onnx", "recalibrated": folder / "model-b.onnx"},
    X_b[~fit],
    y_b[~fit],
    n_bootstraps=300,
    plots=False,
)
for sentence in report.comparison["sentences"]:
    print(sentence)
for row in report.comparison["metrics"]:
    if row["metric"] == "calibration_intercept":  # 0 is ideal
        print(f"{row['model']}: calibration intercept {row['estimate']:+.2f} "
              f"({row['ci_lower']:+.2f} to {row['ci_upper']:+.2f})")  # fmt: skip

# %%
# Calibration on the held-out half, before and after
# --------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
for ax, name in zip(axes, ("model.onnx", "model-b.onnx")):
    proba = OnnxClassifier(folder / name).predict_proba(X_b[~fit])
    plot_calibration(y_b[~fit], proba, classes=["other", "pneumonia"], ax=ax)
    ax.set_title(name)
plt.show()
