"""
Export a clinical pipeline to ONNX and predict without scikit-learn
===================================================================

A :class:`~skmed.MedicalMLPClassifier` with its preprocessing (imputation, scaling, one-hot
encoding of text columns) becomes one ONNX graph with :func:`skmed.to_onnx`. The file carries its
class labels, input types and versions as metadata, and :class:`skmed.runtime.OnnxClassifier`
runs it with numpy and onnxruntime only, like the Python model.
"""

# %%
# A small mixed-type clinical frame
# ---------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier, to_onnx
from skmed.runtime import OnnxClassifier

rng = np.random.default_rng(0)
n = 400
X = pd.DataFrame(
    {
        "age": rng.integers(20, 90, n),
        "bmi": rng.normal(27, 5, n),
        "sex": rng.choice(["F", "M"], n).astype(object),
        "smoker": rng.choice(["never", "former", "current"], n).astype(object),
    }
)
X.loc[::9, "bmi"] = np.nan
X.loc[::11, "smoker"] = np.nan
risk = 0.05 * (X["age"] - 55) + 1.0 * (X["smoker"] == "current") + rng.normal(0, 1, n)
y = np.where(risk > 0.5, "readmitted", "home")

# %%
# Fit a pipeline, with a decision threshold favouring sensitivity
# ---------------------------------------------------------------
prep = ColumnTransformer(
    [
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "bmi"]),
        (
            "cat",
            make_pipeline(
                SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
            ),
            ["sex", "smoker"],
        ),
    ]
)
clf = MedicalMLPClassifier(
    hidden_layer_sizes=(16,), epochs=30, early_stopping=False, random_state=0
)
model = FixedThresholdClassifier(
    make_pipeline(prep, clf), threshold=0.3, pos_label="readmitted"
).fit(X, y)

# %%
# Export, with our own metadata
# -----------------------------
path = Path(tempfile.mkdtemp()) / "readmission.onnx"
onx = to_onnx(model, X, path=path, metadata={"model_owner": "cardiology", "auc_holdout": 0.81})
print([(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input])

# %%
# Predict from the file, from records as a web service receives them
# ------------------------------------------------------------------
runtime = OnnxClassifier(path)
records = [
    {"age": 71, "bmi": 31.5, "sex": "F", "smoker": "current"},
    {"age": 34, "bmi": None, "sex": "M", "smoker": None},
]
print(runtime.classes_, runtime.threshold)
print(runtime.decision.describe())  # the rule behind the labels, as skmed inspect says it
print(runtime.predict_proba(records))
print(runtime.predict(records))

# %%
# What the file says about each patient's values
# ----------------------------------------------
# The second patient's BMI and smoking status were imputed; a BMI of 95 lies far outside the
# training data (beyond Tukey's outer fences of its quartiles). ``sex`` was never missing in
# the training rows, so the file requires it, and an integer column cannot be left out.
for warnings in runtime.input_warnings([*records, {**records[0], "bmi": 95.0}]):
    print([(w["column"], w["kind"]) for w in warnings])
for bad in ({**records[0], "sex": None}, {**records[0], "age": None}):
    try:
        runtime.predict([bad])
    except ValueError as error:
        print(type(error).__name__, "-", error)

# %%
# The graph reproduces the Python model
# -------------------------------------
diff = np.abs(runtime.predict_proba(X) - model.predict_proba(X)).max()
print(f"max |ONNX - Python| probability: {diff:.1e}")
print("labels identical:", bool((runtime.predict(X) == model.predict(X)).all()))

# %%
# Each patient's probability of readmission from the ONNX file against the Python model's:
# the points lie on the diagonal, and the dotted line is the exported decision threshold.
p_onnx = runtime.predict_proba(X)[:, list(runtime.classes_).index("readmitted")]
p_python = model.predict_proba(X)[:, list(model.classes_).index("readmitted")]
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(p_python, p_onnx, s=8, alpha=0.6)
ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
ax.axvline(runtime.threshold["value"], color="grey", linestyle=":")
ax.set_xlabel("P(readmitted), Python pipeline")
ax.set_ylabel("P(readmitted), ONNX runtime")
fig.tight_layout()
