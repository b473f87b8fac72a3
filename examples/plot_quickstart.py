"""
Quick start: symptoms and test results to a diagnosis
=====================================================

The reference use case: predict a disease from a patient's symptoms and test results. The
table mixes numeric labs with missing values, 0/1 symptoms and text categories such as sex,
and the classes are imbalanced. The model is a scikit-learn pipeline: imputation, scaling and
one-hot encoding feed :class:`skmed.MedicalMLPClassifier`, a Keras network with its default
recipe (a linear path beside two hidden layers, five cross-fitted members with early stopping)
and balanced class weights as decision costs (the risks stay calibrated).
"""

# %%
# Load the built-in diagnosis table (synthetic, generated from a documented clinical model).
import matplotlib.pyplot as plt
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score, classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier
from skmed.datasets import load_diagnosis

X, y = load_diagnosis(return_X_y=True)
print(X.shape, "\n", y.value_counts(normalize=True).round(2))
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# Numeric columns: median imputation (with missingness indicators: a lab that was not ordered
# is information) and scaling. Text columns: one-hot encoding.
preprocess = ColumnTransformer(
    [
        (
            "numeric",
            make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (
            "categorical",
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_exclude="number"),
        ),
    ]
)
model = make_pipeline(preprocess, MedicalMLPClassifier(class_weight="balanced", random_state=0))
model.fit(X_train, y_train)

# %%
# Balanced accuracy weighs every diagnosis equally, whatever its prevalence.
clf = model[-1]
print(f"stopped after {clf.n_iter_} epochs, kept epoch {clf.best_epoch_}")
print(f"balanced accuracy: {balanced_accuracy_score(y_test, model.predict(X_test)):.3f}")
print(classification_report(y_test, model.predict(X_test), zero_division=0))

# %%
# Training curves: early stopping kept the weights of the epoch with the lowest validation loss.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(clf.history_["loss"], label="training loss")
ax.plot(clf.history_["val_loss"], label="validation loss")
ax.axvline(clf.best_epoch_ - 1, color="grey", linestyle=":", label="kept")
ax.set_xlabel("epoch")
ax.legend()
fig.tight_layout()
