"""skmed.privacy: identifier scan, de-identifying transformers, separation, no leaks on disk."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed.privacy import (
    DEFAULT_KEY_ENV,
    AgeBands,
    DateGeneralizer,
    DropIdentifiers,
    Pseudonymizer,
    RareCategoryMerger,
    check_no_identifiers,
    k_anonymity_report,
    provide_key,
    pseudonymize,
    scan_identifiers,
    split_identifiers,
    split_privacy_steps,
)

KEY = "test-key-7f3a9c0e5b21d4e8a6c3"
OTHER_KEY = "another-key-0b9d8e7f6a5c4b3a2"

# ---------------------------------------------------------------------- generated patients

FIRST = [
    "Alice",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Esther",
    "Farid",
    "Greta",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Mei",
    "Nadia",
    "Oscar",
    "Priya",
    "Rosa",
    "Sven",
]
LAST = [
    "Smith",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "Garcia",
    "Haddad",
    "Larsen",
    "Tanaka",
    "O'Neill",
    "McDonald",
    "Fischer",
    "Rossi",
    "Patel",
    "Dubois",
    "Novak",
    "Silva",
]
STREETS = ["Oak Street", "Maple Avenue", "High Road", "Church Lane", "Mill Drive", "Elm Court"]

#: identifier column -> the kind the scan must report
IDENTIFIERS = {
    "mrn": "record_number",
    "patient_name": "name",
    "phone": "phone",
    "email": "email",
    "nhs_number": "national_id",
    "ssn": "national_id",
    "date_of_birth": "date_of_birth",
    "admission_date": "date",
    "home_address": "street_address",
}
FEATURES = ["age", "sex", "ward", "crp", "systolic_bp"]


def _nhs_number(rng: np.random.Generator) -> str:
    while True:
        digits = [int(d) for d in rng.integers(0, 10, 9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            s = "".join(map(str, [*digits, check]))
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def make_identified_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A patient table with direct identifiers, quasi-identifiers and clinical features."""
    rng = np.random.default_rng(seed)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]
    dob = pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 30000, n), unit="D")
    admission = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    crp = np.abs(rng.normal(20, 15, n)).round(1)
    frame = pd.DataFrame(
        {
            "mrn": [f"MRN{x:07d}" for x in rng.choice(10**7, n, replace=False)],
            "patient_name": names,
            "phone": [
                f"+1 ({rng.integers(200, 999)}) {rng.integers(200, 999)}-{rng.integers(1000, 9999)}"
                for _ in range(n)
            ],
            "email": [f"{nm.split()[0].lower()}.{i}@example.org" for i, nm in enumerate(names)],
            "nhs_number": [_nhs_number(rng) for _ in range(n)],
            "ssn": [
                f"{rng.integers(100, 600)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)}"
                for _ in range(n)
            ],
            "date_of_birth": dob.strftime("%Y-%m-%d"),
            "admission_date": admission.strftime("%d/%m/%Y"),
            "home_address": [f"{rng.integers(1, 200)} {rng.choice(STREETS)}" for _ in range(n)],
            "age": ((admission - dob).days // 365).astype(float),
            "sex": rng.choice(["F", "M"], n),
            "ward": rng.choice(
                ["cardiology", "oncology", "surgery", "icu", "burns"],
                n,
                p=[0.35, 0.3, 0.27, 0.05, 0.03],
            ),
            "crp": crp,
            "systolic_bp": rng.normal(130, 20, n).round(),
        }
    )
    outcome = np.where(crp + rng.normal(0, 8, n) > 25, "sepsis", "no_sepsis")
    return frame, pd.Series(outcome, name="outcome")


@pytest.fixture(scope="module")
def patients():
    return make_identified_frame()


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv(DEFAULT_KEY_ENV, raising=False)


# ---------------------------------------------------------------------- scan


@pytest.mark.parametrize("column", list(IDENTIFIERS))
def test_scan_catches_each_identifier_by_name_and_values(patients, column):
    X, _ = patients
    scan = scan_identifiers(X)
    finding = scan[column]
    assert finding.kind == IDENTIFIERS[column]
    assert finding.confidence >= 0.9
    assert "column name matches" in finding.evidence and "sampled values" in finding.evidence


@pytest.mark.parametrize("column", list(IDENTIFIERS))
def test_scan_catches_each_identifier_by_values_alone(patients, column):
    X, _ = patients
    neutral = X.rename(columns={c: f"field_{i}" for i, c in enumerate(X.columns)})
    name = f"field_{list(X.columns).index(column)}"
    finding = scan_identifiers(neutral)[name]
    expected = {"date_of_birth": "date"}.get(column, IDENTIFIERS[column])
    assert finding.kind == expected
    assert "column name" not in finding.evidence
    assert "% of 300 sampled values match" in finding.evidence


def test_scan_leaves_clinical_features_alone(patients):
    X, _ = patients
    scan = scan_identifiers(X)
    assert scan.flagged_columns == list(IDENTIFIERS)
    assert not set(FEATURES) & set(scan.flagged_columns)


def test_scan_evidence_never_quotes_a_value(patients):
    X, _ = patients
    scan = scan_identifiers(X)
    text = str(scan) + scan.to_frame().to_string()
    for column in IDENTIFIERS:
        for value in X[column].astype(str).head(50):
            assert value not in text
    assert list(scan.to_frame().columns) == [
        "column",
        "kind",
        "description",
        "confidence",
        "evidence",
    ]


def test_scan_samples_and_is_repeatable(patients):
    X, _ = patients
    scan = scan_identifiers(X, sample_size=40)
    assert "of 40 sampled values" in scan["phone"].evidence
    assert scan == scan_identifiers(X, sample_size=40)


def test_scan_other_spellings_and_dtypes():
    n = 120
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "PatientName": [f"{rng.choice(LAST)}, {rng.choice(FIRST)}" for _ in range(n)],
            "DOB": pd.to_datetime("1950-01-01")
            + pd.to_timedelta(rng.integers(0, 20000, n), unit="D"),
            "Tel.": [str(rng.integers(10**9, 10**10)) for _ in range(n)],  # plain digits
            "zip_code": [f"{rng.integers(10000, 99999)}" for _ in range(n)],
            "hospital_number": rng.choice(10**6, n, replace=False),
            "patient_id": np.repeat(np.arange(n // 3), 3),  # repeated visits
            "contact": [f"user{i}@mail.example.com" for i in range(n)],
            "admission_type": rng.choice(["emergency", "elective"], n),  # name only: not flagged
            "year_of_birth": rng.integers(1930, 2000, n),
            "has_phone": rng.random(n) < 0.5,
            "lactate": rng.normal(2, 1, n),
        }
    )
    scan = scan_identifiers(frame)
    kinds = {f.column: f.kind for f in scan}
    assert kinds == {
        "PatientName": "name",
        "DOB": "date_of_birth",
        "Tel.": "phone",
        "zip_code": "postal_code",
        "hospital_number": "record_number",
        "patient_id": "record_number",
        "contact": "email",
    }
    low = scan_identifiers(frame, min_confidence=0.3)
    assert low["admission_type"].confidence < 0.5
    assert "but only 0%" in low["admission_type"].evidence


def test_scan_errors(patients):
    X, _ = patients
    with pytest.raises(TypeError, match="DataFrame"):
        scan_identifiers(X.to_numpy())
    with pytest.raises(
        ValueError, match=r"exclude names column\(s\) \[.nope.\] not found in the frame"
    ):
        scan_identifiers(X, exclude=["nope"])
    assert "mrn" not in scan_identifiers(X, exclude=["mrn"]).flagged_columns


def test_check_no_identifiers_is_the_train_gate(patients):
    X, _ = patients
    with pytest.raises(ValueError) as info:
        check_no_identifiers(X)
    message = str(info.value)
    assert "\n" not in message
    assert f"--drop {','.join(IDENTIFIERS)}" in message and "--keep" in message
    assert "'phone': phone or fax number" in message
    # dealt with: dropped, or kept on purpose
    scan = check_no_identifiers(X, drop=list(IDENTIFIERS)[1:], keep=["mrn"])
    assert scan.flagged_columns == ["mrn"]
    assert not check_no_identifiers(X[FEATURES])
    with pytest.raises(ValueError, match=r"keep names column\(s\) \['nope'\]"):
        check_no_identifiers(X, keep=["nope"])
    with pytest.raises(ValueError, match="both kept and dropped"):
        check_no_identifiers(X, keep=["mrn"], drop=["mrn"])


# ---------------------------------------------------------------------- DropIdentifiers


def test_drop_identifiers_auto_and_explicit(patients):
    X, _ = patients
    drop = DropIdentifiers().fit(X)
    assert drop.columns_ == list(IDENTIFIERS)
    out = drop.transform(X)
    assert list(out.columns) == FEATURES and out.index.equals(X.index)
    assert list(drop.get_feature_names_out()) == FEATURES
    kept = DropIdentifiers(keep=["admission_date"]).fit(X)
    assert "admission_date" in kept.get_feature_names_out()
    explicit = DropIdentifiers(["mrn", "phone"]).fit(X)
    assert explicit.scan_ is None
    assert "mrn" not in explicit.transform(X).columns and "email" in explicit.transform(X).columns
    with pytest.raises(ValueError, match=r"column\(s\) \['mobile'\] not found in X"):
        DropIdentifiers(["mobile"]).fit(X)


def test_drop_identifiers_set_output_from_arrays(patients):
    X, _ = patients
    array = X.to_numpy()
    drop = DropIdentifiers().set_output(transform="pandas").fit(array)
    out = drop.transform(array)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"x{X.columns.get_loc(c)}" for c in FEATURES]
    assert isinstance(DropIdentifiers().fit_transform(array), np.ndarray)


# ---------------------------------------------------------------------- Pseudonymizer


def test_pseudonyms_stable_for_one_key_and_differ_across_keys(patients, no_env_key):
    X, _ = patients
    first = Pseudonymizer(["mrn"]).set_key(KEY).fit_transform(X)["mrn"]
    again = Pseudonymizer(["mrn"]).set_key(KEY).fit(X.head(5)).transform(X)["mrn"]
    other = Pseudonymizer(["mrn"]).set_key(OTHER_KEY).fit_transform(X)["mrn"]
    assert first.equals(again)
    assert first.nunique() == X["mrn"].nunique()  # one pseudonym per patient
    assert (first != other).all()
    assert not set(first) & set(X["mrn"])
    assert first.str.fullmatch(r"[0-9a-f]{16}").all()
    assert pseudonymize(X["mrn"].head(3), key=KEY) == first.head(3).tolist()


def test_pseudonyms_from_env_and_canonical_values(monkeypatch):
    monkeypatch.setenv("MY_KEY", KEY)
    ids = pd.DataFrame({"id": [12345, 12345, 777], "as_text": [" 12345", "12345", None]})
    ps = Pseudonymizer(key_env="MY_KEY", length=10, prefix="P-").fit(ids)
    out = ps.transform(ids)
    assert out["id"].iloc[0] == out["id"].iloc[1] == out["as_text"].iloc[0]
    assert out["id"].iloc[0].startswith("P-") and len(out["id"].iloc[0]) == 12
    assert pd.isna(out["as_text"].iloc[2])
    float_ids = pd.DataFrame({"id": [12345.0, np.nan, 777.0], "as_text": ["a", "b", "c"]})
    assert ps.transform(float_ids)["id"].iloc[0] == out["id"].iloc[0]


@pytest.mark.parametrize("dtype", ["string", "Int64"])
def test_pd_na_identifiers_stay_missing_and_share_no_pseudonym(dtype, no_env_key):
    # pd.NA (pandas "string" and nullable Int64 columns) is missing, like None and NaN: each
    # missing row stays missing instead of all of them getting the pseudonym of "<NA>".
    values = ["1001", None, "1002", None] if dtype == "string" else [1001, None, 1002, None]
    ids = pd.DataFrame({"mrn": pd.array(values, dtype=dtype)})
    assert ids["mrn"].iloc[1] is pd.NA
    out = Pseudonymizer(["mrn"]).set_key(KEY).fit_transform(ids)["mrn"]
    assert out.isna().tolist() == [False, True, False, True]
    assert out.iloc[0] != out.iloc[2]
    listed = pseudonymize(ids["mrn"], key=KEY)
    assert listed[1] is pd.NA and listed[3] is pd.NA
    assert listed[0] == out.iloc[0] and listed[2] == out.iloc[2]


def test_key_is_never_stored(patients, no_env_key):
    X, _ = patients
    ps = Pseudonymizer(["mrn"]).set_key(KEY).fit(X)
    expected = ps.transform(X)
    assert KEY not in repr(ps) and KEY not in repr(ps.get_params())
    for blob in (pickle.dumps(ps), pickle.dumps(copy.deepcopy(ps))):
        assert KEY.encode() not in blob
    restored = pickle.loads(pickle.dumps(ps))
    with pytest.raises(ValueError, match=f"set the environment variable {DEFAULT_KEY_ENV}"):
        restored.transform(X)
    # clone keeps the in-memory key, so grid search in one process works
    assert clone(ps).fit(X).transform(X).equals(expected)
    assert restored.set_key(KEY).transform(X).equals(expected)
    with pytest.raises(ValueError, match="at least 16"):
        Pseudonymizer().set_key("short")


# ---------------------------------------------------------------------- generalisation


def test_age_bands():
    X = pd.DataFrame({"age": [0, 17, 18, 44.5, 89, 90, 104, np.nan], "crp": np.arange(8.0)})
    labels = AgeBands(["age"], output="label").fit_transform(X)["age"]
    assert labels.iloc[:7].tolist() == ["0-17", "0-17", "18-29", "40-49", "80-89", "90+", "90+"]
    assert pd.isna(labels.iloc[7])
    lower = AgeBands(["age"]).fit_transform(X)
    assert lower["age"].iloc[:7].tolist() == [0, 0, 18, 40, 80, 90, 90]
    assert lower["crp"].equals(X["crp"])
    ordinal = AgeBands(["age"], bins=[0, 65], output="ordinal").fit_transform(X)["age"]
    assert ordinal.iloc[:7].tolist() == [0, 0, 0, 0, 1, 1, 1]
    bands = AgeBands(bins=[-np.inf, 0.5, 2.5]).fit(X[["crp"]])
    assert bands.bands_ == ["<0.5", "0.5-<2.5", "2.5+"]
    with pytest.raises(ValueError, match=r"column 'age' has 1 value\(s\) below the first band"):
        AgeBands().fit(pd.DataFrame({"age": [-1, 5]}))
    with pytest.raises(ValueError, match="strictly increasing"):
        AgeBands(bins=[0, 50, 30]).fit(X)
    with pytest.raises(ValueError, match="column 'sex' is not numeric"):
        AgeBands().fit(pd.DataFrame({"sex": ["F", "M"]}))


def test_date_generalizer_year(patients):
    X, _ = patients
    dates = DateGeneralizer(["date_of_birth"]).fit(X)
    out = dates.transform(X)
    assert out["date_of_birth"].tolist() == [float(v[:4]) for v in X["date_of_birth"]]
    assert list(dates.get_feature_names_out()) == list(X.columns)
    uk = DateGeneralizer(["admission_date"], date_format="%d/%m/%Y").fit_transform(X)
    assert set(uk["admission_date"]) <= {2022.0, 2023.0}
    with pytest.raises(ValueError, match=r"value\(s\) of column 'patient_name' are not dates"):
        DateGeneralizer(["patient_name"]).fit(X)
    with pytest.raises(ValueError, match="column 'crp' is numeric"):
        DateGeneralizer(["crp"]).fit(X)


def test_date_generalizer_shift_keeps_intervals_per_patient(no_env_key):
    visits = pd.DataFrame(
        {
            "mrn": ["A1", "A1", "B2", "C3", "C3"],
            "admitted": pd.to_datetime(
                ["2023-01-05", "2023-06-01", "2023-03-03", "2022-12-30", None]
            ),
            "discharged": pd.to_datetime(
                ["2023-01-09", "2023-06-02", "2023-03-10", "2023-01-02", None]
            ),
        }
    )
    shift = DateGeneralizer(mode="shift", id_column="mrn", max_shift_days=30).set_key(KEY)
    out = shift.fit_transform(visits)
    delta = (out[["admitted", "discharged"]] - visits[["admitted", "discharged"]]).apply(
        lambda c: c.dt.days
    )
    assert (delta["admitted"].iloc[:4] == delta["discharged"].iloc[:4]).all()
    assert delta["admitted"].iloc[0] == delta["admitted"].iloc[1]  # same patient, same offset
    assert ((delta.abs() <= 30) & (delta != 0)).iloc[:4].all().all()
    assert out["admitted"].isna().iloc[4]
    assert (out["mrn"] == visits["mrn"]).all()
    other = DateGeneralizer(mode="shift", id_column="mrn", max_shift_days=30).set_key(OTHER_KEY)
    assert not other.fit_transform(visits)["admitted"].equals(out["admitted"])
    assert KEY.encode() not in pickle.dumps(shift)
    with pytest.raises(ValueError, match="needs a secret key"):
        pickle.loads(pickle.dumps(shift)).transform(visits)
    with pytest.raises(ValueError, match="needs id_column"):
        DateGeneralizer(mode="shift").fit(visits)


def test_rare_category_merger():
    X = pd.DataFrame(
        {"ward": ["a"] * 6 + ["b"] * 5 + ["c", "d", None], "n": np.arange(14.0)},
    )
    merger = RareCategoryMerger(min_frequency=5).fit(X)
    assert merger.columns_ == ["ward"]  # numbers left alone
    assert merger.categories_ == {"ward": ["a", "b"]} and merger.merged_ == {"ward": 2}
    out = merger.transform(pd.DataFrame({"ward": ["a", "c", "zzz", None], "n": [1.0] * 4}))
    assert out["ward"].tolist()[:3] == ["a", "other", "other"] and pd.isna(out["ward"].iloc[3])
    share = RareCategoryMerger(["ward"], min_frequency=0.4, other_label="rare").fit(X)
    assert share.categories_ == {"ward": ["a"]}
    assert set(share.transform(X)["ward"].dropna()) == {"a", "rare"}


# ---------------------------------------------------------------------- k-anonymity


def test_k_anonymity_report_names_the_smallest_groups():
    X = pd.DataFrame(
        {
            "age_band": ["40-49"] * 6 + ["50-59"] * 3 + ["90+"],
            "sex": ["F"] * 6 + ["M"] * 3 + ["F"],
            "crp": np.arange(10.0),
        }
    )
    report = k_anonymity_report(X, ["age_band", "sex"], k=5)
    assert not report.satisfied
    assert (report.n_groups, report.min_group_size) == (3, 1)
    assert (report.n_groups_below_k, report.n_rows_below_k) == (2, 4)
    smallest = report.smallest_groups
    assert smallest.iloc[0].tolist() == ["90+", "F", 1]
    assert list(smallest.columns) == ["age_band", "sex", "size"]
    assert "NOT satisfied" in str(report) and "90+" in str(report)
    assert report.at_risk(X).tolist() == [False] * 6 + [True] * 4
    assert k_anonymity_report(X[~report.at_risk(X)], ["age_band", "sex"], k=5).satisfied
    assert k_anonymity_report(X, ["sex"], k=3).satisfied
    with pytest.raises(ValueError, match=r"\['zip'\] not found"):
        k_anonymity_report(X, ["zip"])


def test_generalisation_reaches_k_anonymity(patients):
    X, _ = patients
    raw = k_anonymity_report(X, ["age", "sex", "ward"], k=3)
    banded = AgeBands(["age"], bins=[0, 65]).fit_transform(X)
    merged = RareCategoryMerger(["ward"], min_frequency=30).fit_transform(banded)
    done = k_anonymity_report(merged, ["age", "sex", "ward"], k=3)
    assert not raw.satisfied and done.satisfied
    assert done.min_group_size >= 3 > raw.min_group_size


# ---------------------------------------------------------------------- separation


def test_split_identifiers(patients, no_env_key):
    X, _ = patients
    ids = list(IDENTIFIERS)[:6] + ["home_address"]
    identifiers, features = split_identifiers(X, ids, id_column="mrn", key=KEY)
    assert list(features.columns) == ["pseudonym", *[c for c in X.columns if c not in ids]]
    assert list(identifiers.columns) == ["pseudonym", *ids]
    assert features.index.equals(X.index)
    assert features["pseudonym"].tolist() == pseudonymize(X["mrn"], key=KEY)
    for column in ids:  # no identifier value in the feature table
        assert not features.isin(set(X[column])).any().any()
    joined = features.merge(identifiers, on="pseudonym", how="left", validate="many_to_one")
    pd.testing.assert_frame_equal(joined[ids], X[ids], check_dtype=False)  # str vs object
    _, again = split_identifiers(X, ids, id_column="mrn", key=KEY)
    _, other = split_identifiers(X, ids, id_column="mrn", key=OTHER_KEY)
    assert again["pseudonym"].equals(features["pseudonym"])
    assert not set(other["pseudonym"]) & set(features["pseudonym"])
    # without id_column: one pseudonym per combination of identifier values
    rows = pd.DataFrame({"name": ["Ann Lee", "Ann Lee", "Bo Kim"], "phone": ["1", "1", "2"]})
    identifiers, features = split_identifiers(rows, ["name", "phone"], key=KEY, key_name="pid")
    assert len(identifiers) == 2 and features["pid"].nunique() == 2
    with pytest.raises(ValueError, match="already a column"):
        split_identifiers(rows, ["name"], key=KEY, key_name="phone")
    with pytest.raises(ValueError, match="needs a secret key"):
        split_identifiers(rows, ["name"])


# ---------------------------------------------------------------------- pipeline, pickle, ONNX


def privacy_pipeline() -> Pipeline:
    from skmed import MedicalMLPClassifier

    numeric = ["age", "date_of_birth", "admission_date", "crp", "systolic_bp"]
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                ["sex", "ward"],
            ),
        ]
    )
    return Pipeline(
        [
            ("dates", DateGeneralizer(["date_of_birth", "admission_date"], date_format="mixed")),
            ("age", AgeBands(["age"])),
            ("rare", RareCategoryMerger(["ward"], min_frequency=20)),
            ("pseudonymize", Pseudonymizer(["mrn"])),
            ("drop", DropIdentifiers()),
            ("preprocess", preprocess),
            (
                "classifier",
                MedicalMLPClassifier(
                    hidden_layer_sizes=(8,), epochs=5, early_stopping=False, random_state=0
                ),
            ),
        ]
    )


@pytest.fixture(scope="module")
def fitted_privacy_pipeline(patients):
    X, y = patients
    pipe = privacy_pipeline()
    assert provide_key(pipe, KEY) == 2  # Pseudonymizer and DateGeneralizer
    return pipe.fit(X, y)


def _leaks(blob: bytes, frame: pd.DataFrame, columns) -> dict[str, list[str]]:
    found = {}
    for column in columns:
        hits = [v for v in frame[column].astype(str).unique() if v.encode("utf-8") in blob]
        if hits:
            found[column] = hits
    return found


def test_pipeline_pickle_and_onnx_hold_no_identifier_and_no_key(
    patients, fitted_privacy_pipeline, tmp_path, no_env_key
):
    import skmed

    X, _ = patients
    pipe = fitted_privacy_pipeline
    assert pipe.named_steps["drop"].columns_ == ["mrn", *list(IDENTIFIERS)[1:6], "home_address"]
    blob = pickle.dumps(pipe)
    assert _leaks(blob, X, IDENTIFIERS) == {}
    assert KEY.encode() not in blob

    # the privacy steps have no ONNX form: exporting the whole pipeline names the first one
    with pytest.raises(ValueError, match=r"Step 'dates' \(DateGeneralizer\) cannot be exported"):
        skmed.to_onnx(pipe, X.head(20))
    privacy, model = split_privacy_steps(pipe)
    assert [n for n, _ in model.steps] == ["preprocess", "classifier"]
    sample = privacy.transform(X.head(40))
    assert list(sample.columns) == ["date_of_birth", "admission_date", *FEATURES]
    path = tmp_path / "model.onnx"
    onx = skmed.to_onnx(model, sample, path=path)
    onnx_bytes = path.read_bytes()
    assert onnx_bytes == onx.SerializeToString()
    assert _leaks(onnx_bytes, X, IDENTIFIERS) == {}
    assert KEY.encode() not in onnx_bytes
    # the deployed model takes the de-identified columns (dates as years, age as bands)
    assert [i.name for i in onx.graph.input] == list(sample.columns)

    # the reloaded pipeline needs the key again, and then predicts as before
    restored = pickle.loads(blob)
    with pytest.raises(ValueError, match="needs a secret key"):
        restored.predict(X.head(5))
    provide_key(restored, KEY)
    np.testing.assert_allclose(restored.predict_proba(X), pipe.predict_proba(X))


def test_grep_finds_identifiers_in_a_naive_pipeline(patients):
    # the control: without de-identification, a fitted encoder does store identifier values
    X, _ = patients
    naive = OneHotEncoder(handle_unknown="ignore").fit(X[["patient_name", "sex"]])
    assert "patient_name" in _leaks(pickle.dumps(naive), X, IDENTIFIERS)


def test_split_privacy_steps_errors():
    with pytest.raises(ValueError, match="no skmed privacy step"):
        split_privacy_steps(Pipeline([("scale", StandardScaler())]))
    with pytest.raises(ValueError, match="ends with a privacy step"):
        split_privacy_steps(Pipeline([("scale", StandardScaler()), ("drop", DropIdentifiers())]))
    with pytest.raises(ValueError, match="expected a Pipeline"):
        split_privacy_steps(StandardScaler())


def test_frames_stay_frames_and_names_out(patients):
    X, _ = patients
    for step in (AgeBands(["age"]), RareCategoryMerger(), DateGeneralizer(["date_of_birth"])):
        out = step.fit_transform(X)
        assert isinstance(out, pd.DataFrame) and out.index.equals(X.index)
        assert list(step.get_feature_names_out()) == list(X.columns)
        with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
            step.get_feature_names_out(["a"] * X.shape[1])
        with pytest.raises(ValueError, match="Feature names"):  # columns renamed after fit
            step.transform(X.rename(columns={"age": "AGE", "ward": "WARD"}))


# scikit-learn's estimator checks of these transformers: tests/test_common.py
