"""
Why did the model say this? Population and patient explanations
===============================================================

A clinician does not act on a score they cannot question. :mod:`skmed.explain` answers two
questions about a fitted diagnosis pipeline:

* **for the population** -- which input columns the model relies on (permutation importance on
  the original clinical columns, with intervals), and how the predicted probability moves with
  one column (partial dependence and ICE curves);
* **for one patient** -- which of *this* patient's values raised or lowered *their* score,
  compared with the average patient: integrated gradients through the trained network, summed
  back to the raw columns, adding up exactly to the difference in probability.
"""

# %%
# Train the standard clinical pipeline on the built-in (synthetic) diagnosis table.
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from skmed.datasets import load_diagnosis
from skmed.explain import (
    column_importance,
    explain_patient,
    partial_dependence_plot,
    plot_importance,
    plot_waterfall,
)
from skmed.pipeline import infer_column_types, make_clinical_pipeline, prepare_features

X, y = load_diagnosis(n_samples=1000, return_X_y=True)
types = infer_column_types(X)
X = prepare_features(X, types)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_clinical_pipeline(
    types,
    add_indicator=True,
    hidden_layer_sizes=(16,),
    learning_rate=0.02,
    epochs=30,
    early_stopping=False,
    class_weight="balanced",
    random_state=0,
)
model.fit(X_train, y_train)

# %%
# Population: shuffle each raw column of the held-out patients (a categorical column's one-hot
# features move together) and measure the loss of one-vs-rest ROC AUC. Each repeat uses a
# bootstrap resample of the patients, so the intervals reflect which patients were sampled.
importance = column_importance(
    model, X_test, y_test, scoring="roc_auc_ovr", n_repeats=10, random_state=0
)
print(importance.head(8).round(4).to_string(index=False))
plot_importance(importance, top=12)
plt.tight_layout()

# %%
# How the probability of bacterial pneumonia moves with CRP: the average (partial dependence)
# and one line per patient (ICE).
partial_dependence_plot(
    model, X_test, ["crp_mg_l", "smoking"], target="bacterial_pneumonia", subsample=50
)
plt.tight_layout()

# %%
# One patient: the held-out patient the model finds most likely to have bacterial pneumonia,
# compared with the average training patient.
k = list(model.classes_).index("bacterial_pneumonia")
patient = X_test.iloc[[model.predict_proba(X_test)[:, k].argmax()]]
explanation = explain_patient(model, patient, class_="bacterial_pneumonia", baseline=X_train, top=4)
print(explanation.summary(units={"crp_mg_l": "mg/L", "temperature_c": "°C"}))
print(f"completeness error: {explanation.completeness_error:.1e}")

# %%
# The waterfall walks from the baseline probability to the patient's, one column at a time.
plot_waterfall(explanation, top=8)
plt.tight_layout()
