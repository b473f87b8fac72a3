"""
Symptom lists as a model input, from Python to ONNX
===================================================

Clinical tables often hold a free-text list of symptoms per patient, typed inconsistently:
``"fever; dry cough; headache"``, ``"SOB, Fatigue"``, ``"pyrexia / cough "``. The
:class:`~skmed.preprocessing.SymptomEncoder` parses such a column inside the pipeline (separators,
case, whitespace, synonyms), learns a vocabulary, and gives one 0/1 column per symptom plus a
count of unknown ones. The whole pipeline then exports to one ONNX graph that takes the raw text.
"""

# %%
# The diagnosis table with its free-text symptoms
# -----------------------------------------------
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier, to_onnx
from skmed.datasets import load_diagnosis
from skmed.preprocessing import SymptomEncoder, looks_like_symptom_list
from skmed.runtime import OnnxClassifier

bunch = load_diagnosis(n_samples=600, include_symptom_text=True)
X, y = bunch.data, bunch.target
print(X["symptoms"].head(6).tolist())
print({c: looks_like_symptom_list(X[c]) for c in ["sex", "smoking", "symptoms"]})

# %%
# Encoding the lists
# ------------------
# Synonyms fold the clinician's words onto one name; ``""`` marks words that are not symptoms.
# Symptoms seen in fewer than 3 patients count in the ``other`` column, as do unseen ones.
synonyms = {
    "pyrexia": "fever",
    "febrile": "fever",
    "high temp": "fever",
    "temp": "fever",
    "sob": "dyspnoea",
    "dyspnea": "dyspnoea",
    "short of breath": "dyspnoea",
    "dry cough": "cough",
    "productive cough": "cough",
    "coughing": "cough",
    "none": "",
    "nil": "",
    "no complaints": "",
    "asymptomatic": "",
}
encoder = SymptomEncoder(synonyms=synonyms, min_frequency=3)
encoder.set_output(transform="pandas")
encoded = encoder.fit_transform(X[["symptoms"]])
print(encoded.sum().sort_values(ascending=False).head(8))
print(encoder.transform(pd.DataFrame({"symptoms": ["PYREXIA ;  Dry Cough", "rash, itch", None]})))

# %%
# A pipeline with numeric, categorical and symptom columns
# --------------------------------------------------------
numeric = [*bunch.numeric_features, *bunch.binary_features]
preprocess = ColumnTransformer(
    [
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        (
            "cat",
            make_pipeline(
                SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
            ),
            bunch.categorical_features,
        ),
        ("sym", SymptomEncoder(synonyms=synonyms, min_frequency=3), ["symptoms"]),
    ]
)
model = Pipeline(
    [
        ("preprocess", preprocess),
        (
            "classifier",
            MedicalMLPClassifier(
                hidden_layer_sizes=(16,), epochs=15, early_stopping=False, random_state=0
            ),
        ),
    ]
).fit(X, y)

# %%
# One ONNX graph that reads the raw text
# --------------------------------------
# Parsing, normalisation and the vocabulary lookup are ONNX string operators, so a service
# sends the symptoms exactly as typed (``None`` for missing).
onx = to_onnx(model, X.iloc[:100])  # checks the graph against the pipeline
runtime = OnnxClassifier(onx.SerializeToString())
patients = X.iloc[:3].to_dict("records")
patients[0]["symptoms"] = "Fièvre; TOUX"  # unseen words: counted as unknown
patients[1]["symptoms"] = "  FEVER ;; sob\tcough"  # odd spacing and case
patients[2]["symptoms"] = None
frame = pd.DataFrame(patients)
gap = np.abs(runtime.predict_proba(patients) - model.predict_proba(frame)).max()
print(runtime.predict(patients), f"largest probability gap: {gap:.1e}")
