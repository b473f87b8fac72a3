"""
De-identify patient data inside the pipeline
============================================

Identifiers that reach a model end up in it: a one-hot encoder fitted on a name column stores
every name, and so do the pickled pipeline and the exported ONNX file. :mod:`skmed.privacy`
finds direct identifiers with :func:`~skmed.privacy.scan_identifiers`, removes, pseudonymises
or generalises them with scikit-learn transformers that are part of the fitted pipeline,
measures k-anonymity, and splits a table into an identifier table and a de-identified feature
table joined by a keyed pseudonym. The pseudonymisation key is read at run time and is never
stored in the fitted pipeline or the exported model.
"""

# %%
# An identified patient table
# ---------------------------
# Generated: names, phone numbers, medical record numbers (MRNs), dates of birth and admission.
import pickle
import secrets
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier, to_onnx
from skmed.privacy import (
    AgeBands,
    DateGeneralizer,
    DropIdentifiers,
    Pseudonymizer,
    RareCategoryMerger,
    check_no_identifiers,
    k_anonymity_report,
    provide_key,
    scan_identifiers,
    split_identifiers,
    split_privacy_steps,
)

rng = np.random.default_rng(0)
n = 400
first = ["Alice", "Bruno", "Chloe", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Mei"]
last = ["Smith", "Okafor", "Nguyen", "Kowalski", "Garcia", "Haddad", "O'Neill", "Tanaka"]
born = pd.Timestamp("1935-01-01") + pd.to_timedelta(rng.integers(0, 28000, n), unit="D")
admitted = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
crp = np.abs(rng.normal(20, 15, n)).round(1)
patients = pd.DataFrame(
    {
        "mrn": [f"MRN{x:07d}" for x in rng.choice(10**7, n, replace=False)],
        "patient_name": [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(n)],
        "phone": [
            f"+44 7{rng.integers(100, 999)} {rng.integers(100000, 999999)}" for _ in range(n)
        ],
        "date_of_birth": born.strftime("%Y-%m-%d"),
        "admission_date": admitted.strftime("%Y-%m-%d"),
        "age": ((admitted - born).days // 365).astype(float),
        "sex": rng.choice(["F", "M"], n),
        "ward": rng.choice(
            ["cardiology", "oncology", "surgery", "burns"], n, p=[0.4, 0.3, 0.27, 0.03]
        ),
        "crp": crp,
    }
)
outcome = pd.Series(np.where(crp + rng.normal(0, 8, n) > 25, "sepsis", "none"), name="outcome")

# %%
# Scan for direct identifiers
# ---------------------------
# Column names and sampled values both count; the evidence gives counts, never values.
scan = scan_identifiers(patients)
print(scan.to_frame()[["column", "kind", "confidence"]])
print(scan["phone"].evidence)

# %%
# ``skmed train`` refuses such a table until each flagged column is dropped or kept:
try:
    check_no_identifiers(patients)
except ValueError as exc:
    print(str(exc)[:160], "...")

# %%
# k-anonymity of the quasi-identifiers, before and after generalisation
# ---------------------------------------------------------------------
quasi = ["age", "sex", "ward"]
print(k_anonymity_report(patients, quasi, k=5).summary().splitlines()[0])
generalised = RareCategoryMerger(["ward"], min_frequency=20).fit_transform(
    AgeBands(["age"], bins=[0, 65]).fit_transform(patients)
)
report = k_anonymity_report(generalised, quasi, k=5)
print(report)

# %%
# The rare wards, merged into ``"other"``, still form small groups. Suppress those rows:
released = generalised[~report.at_risk(generalised)]
print(k_anonymity_report(released, quasi, k=5).summary())

# %%
# A pipeline that de-identifies before it learns
# ----------------------------------------------
# The key comes from the environment (``SKMED_PSEUDONYM_KEY``) or, as here, ``provide_key``;
# it is needed to transform, never stored.
key = secrets.token_hex(32)
features = ["date_of_birth", "admission_date", "age", "crp"]
preprocess = ColumnTransformer(
    [
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), features),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), ["sex", "ward"]),
    ]
)
pipe = Pipeline(
    [
        ("dates", DateGeneralizer(["date_of_birth", "admission_date"], mode="year")),
        ("age", AgeBands(["age"])),
        ("rare", RareCategoryMerger(["ward"], min_frequency=20)),
        ("pseudonymize", Pseudonymizer(["mrn"])),
        ("drop", DropIdentifiers()),  # whatever the scan still flags after the steps above
        ("preprocess", preprocess),
        ("classifier", MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=10, random_state=0)),
    ]
)
provide_key(pipe, key)
pipe.fit(patients, outcome)
print("dropped:", pipe.named_steps["drop"].columns_)

# %%
# Export the model part; check that no identifier and no key is on disk
# ---------------------------------------------------------------------
# The privacy steps have no ONNX form (and the key must never go into a deployable file), so
# the exported model takes de-identified rows: run the privacy part where the data lives.
privacy, model = split_privacy_steps(pipe)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "sepsis.onnx"
    to_onnx(model, privacy.transform(patients.head(50)), path=path)
    onnx_bytes = path.read_bytes()
pickled = pickle.dumps(pipe)
identifying = ["mrn", "patient_name", "phone", "date_of_birth", "admission_date"]
for blob, what in ((pickled, "pickle"), (onnx_bytes, "ONNX")):
    leaked = [v for c in identifying for v in patients[c].unique() if v.encode() in blob]
    print(f"{what}: {len(leaked)} identifier values, key present: {key.encode() in blob}")

# %%
# Separate identifiers from features
# ----------------------------------
# The identifier table stays with the data controller; the feature table can be shared. Only
# someone holding both (or the key and an MRN) can link them.
identifiers, feature_table = split_identifiers(
    patients, ["mrn", "patient_name", "phone", "date_of_birth"], id_column="mrn", key=key
)
print(identifiers.columns.tolist())
print(feature_table.head(3))
