"""
Class imbalance: class weights, sample weights and resampling
=============================================================

In the diagnosis table ``healthy`` is 45 % of the patients and ``anaemia`` 8 %. A network
trained on the plain loss learns the common classes first; rare diagnoses are missed. This
example fits the same :class:`skmed.MedicalMLPClassifier` six ways and compares them with
balanced accuracy (the mean per-class sensitivity):

* no correction;
* ``class_weight="balanced"``;
* ``sample_weight`` passed through the pipeline (here: balanced weights computed by hand; unlike
  ``class_weight``, which only sets the decision costs of ``predict`` and keeps the risks
  calibrated, sample weights change the loss and so the risks);
* imbalanced-learn samplers in an :class:`imblearn.pipeline.Pipeline`: random over-sampling,
  random under-sampling and SMOTE (synthetic minority rows, made after encoding).

Samplers act only during ``fit``: prediction, and :func:`skmed.to_onnx`, skip them.
"""

# %%
# Data and preprocessing
# ----------------------
import matplotlib.pyplot as plt
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skmed import MedicalMLPClassifier
from skmed.datasets import load_diagnosis

ds = load_diagnosis(n_samples=1500, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    ds.data, ds.target, test_size=0.3, stratify=ds.target, random_state=0
)
print(y_train.value_counts())


def preprocess():
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                ds.numeric_features + ds.binary_features,
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ds.categorical_features,
            ),
        ]
    )


def mlp(**params):
    # a small, fixed budget so the six fits take seconds
    return MedicalMLPClassifier(
        hidden_layer_sizes=(16,), epochs=40, early_stopping=False, random_state=0, **params
    )


# %%
# Six ways to fit
# ---------------
# ``make_pipeline`` names the last step ``medicalmlpclassifier``, so a sample weight is routed
# to it as ``medicalmlpclassifier__sample_weight``.
weights = compute_sample_weight("balanced", y_train)
models = {
    "none": (make_pipeline(preprocess(), mlp()), {}),
    "class_weight": (make_pipeline(preprocess(), mlp(class_weight="balanced")), {}),
    "sample_weight": (
        make_pipeline(preprocess(), mlp()),
        {"medicalmlpclassifier__sample_weight": weights},
    ),
    "over-sampling": (
        make_imb_pipeline(preprocess(), RandomOverSampler(random_state=0), mlp()),
        {},
    ),
    "under-sampling": (
        make_imb_pipeline(preprocess(), RandomUnderSampler(random_state=0), mlp()),
        {},
    ),
    "SMOTE": (make_imb_pipeline(preprocess(), SMOTE(random_state=0), mlp()), {}),
}

rows = []
for name, (model, fit_params) in models.items():
    model.fit(X_train, y_train, **fit_params)
    pred = model.predict(X_test)
    rows.append(
        {
            "method": name,
            "balanced accuracy": balanced_accuracy_score(y_test, pred),
            "anaemia sensitivity": recall_score(y_test, pred, labels=["anaemia"], average="macro"),
        }
    )
results = pd.DataFrame(rows).set_index("method")
print(results.round(3))

# %%
# Balanced accuracy on held-out patients
# --------------------------------------
# Every correction trades some accuracy on the common classes for sensitivity on the rare
# ones. Which one wins depends on the data: compare them by cross-validation on yours
# (see the tuning page), and choose the operating threshold afterwards.
fig, ax = plt.subplots(figsize=(6, 3.6))
results[["balanced accuracy", "anaemia sensitivity"]].plot.barh(ax=ax)
ax.set_xlim(0, 1)
ax.set_xlabel("held-out score")
ax.invert_yaxis()
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)
fig.tight_layout()
