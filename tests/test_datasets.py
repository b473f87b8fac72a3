"""skmed.datasets: scikit-learn-style loaders, the synthetic diagnosis generator."""

import re

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
from pandas.api.types import is_float_dtype, is_integer_dtype, is_string_dtype
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import Bunch
from sklearn.utils._param_validation import InvalidParameterError

from skmed.datasets import load_breast_cancer, load_diagnosis

CLASSES = ["healthy", "viral_infection", "bacterial_pneumonia", "heart_failure", "anaemia"]
LABS = [
    "temperature_c",
    "heart_rate_bpm",
    "resp_rate_min",
    "spo2_pct",
    "systolic_bp_mmhg",
    "wbc_10e9_l",
    "crp_mg_l",
    "haemoglobin_g_dl",
    "mcv_fl",
    "ntprobnp_pg_ml",
]
SYMPTOMS = [
    "fever",
    "cough",
    "sore_throat",
    "dyspnoea",
    "chest_pain",
    "fatigue",
    "headache",
    "myalgia",
    "oedema",
    "dizziness",
]


@pytest.fixture(scope="module")
def diagnosis():
    return load_diagnosis()


def test_bunch_keys_and_shapes(diagnosis):
    b = diagnosis
    assert isinstance(b, Bunch)
    for key in ("data", "target", "frame", "feature_names", "target_names", "DESCR"):
        assert key in b
    assert b.data.shape == (2000, 23)
    assert b.target.shape == (2000,)
    assert b.frame.shape == (2000, 24)
    assert list(b.feature_names) == list(b.data.columns)
    assert list(b.frame.columns) == [*b.feature_names, "diagnosis"]
    pd.testing.assert_frame_equal(b.frame[list(b.feature_names)], b.data)
    pd.testing.assert_series_equal(b.frame["diagnosis"], b.target)
    assert list(b.target_names) == CLASSES
    assert set(b.target.unique()) == set(CLASSES)
    assert b.text_features == []
    assert sorted(b.numeric_features + b.binary_features + b.categorical_features) == sorted(
        b.feature_names
    )
    assert "not for clinical use" in b.DESCR
    for col in LABS:
        assert col in b.DESCR  # every column is documented


def test_dtypes(diagnosis):
    X, y = diagnosis.data, diagnosis.target
    assert is_integer_dtype(X["age"]) and not X["age"].isna().any()
    assert X["age"].between(18, 95).all()
    for col in LABS:
        assert is_float_dtype(X[col]), col
    for col in SYMPTOMS:
        assert X[col].dtype == np.int64, col
        assert set(X[col].unique()) <= {0, 1}
    for col in ("sex", "smoking"):
        assert is_string_dtype(X[col]) and not X[col].isna().any(), col
    assert set(X["sex"]) == {"F", "M"}
    assert set(X["smoking"]) == {"never", "former", "current"}
    assert is_string_dtype(y) and y.name == "diagnosis"
    # the default frame has only numeric, binary and categorical columns
    assert "symptoms" not in X.columns
    assert X.select_dtypes("number").shape[1] == 21


def test_plausible_ranges(diagnosis):
    X = diagnosis.data
    ranges = {  # documented clipping ranges
        "temperature_c": (34.5, 41.5),
        "heart_rate_bpm": (38, 180),
        "resp_rate_min": (8, 45),
        "spo2_pct": (70, 100),
        "systolic_bp_mmhg": (70, 220),
        "wbc_10e9_l": (0.5, 60),
        "crp_mg_l": (0.1, 500),
        "haemoglobin_g_dl": (4, 19.5),
        "mcv_fl": (55, 120),
        "ntprobnp_pg_ml": (5, 35000),
    }
    for col, (lo, hi) in ranges.items():
        observed = X[col].dropna()
        assert observed.between(lo, hi).all(), col
    # the generating model's signatures show in class medians
    med = diagnosis.frame.groupby("diagnosis")[LABS + ["age"]].median()
    assert med.loc["bacterial_pneumonia", "crp_mg_l"] > 3 * med.loc["healthy", "crp_mg_l"]
    assert med.loc["heart_failure", "ntprobnp_pg_ml"] > 4 * med.loc["healthy", "ntprobnp_pg_ml"]
    assert med.loc["anaemia", "haemoglobin_g_dl"] < med.loc["healthy", "haemoglobin_g_dl"] - 2
    assert med.loc["heart_failure", "age"] > med.loc["viral_infection", "age"] + 15


def test_deterministic():
    a = load_diagnosis(random_state=3)
    b = load_diagnosis(random_state=3)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    # a RandomState instance with the same seed gives the same table too
    c = load_diagnosis(random_state=np.random.RandomState(3))
    pd.testing.assert_frame_equal(a.frame, c.frame)


def test_different_seeds_differ(diagnosis):
    other = load_diagnosis(random_state=1)
    assert not diagnosis.frame.equals(other.frame)
    assert not np.allclose(diagnosis.data["age"], other.data["age"])


def test_n_samples():
    b = load_diagnosis(n_samples=137, random_state=5)
    assert b.frame.shape == (137, 24)
    with pytest.raises(InvalidParameterError, match="'n_samples' parameter"):
        load_diagnosis(n_samples=0)
    with pytest.raises(InvalidParameterError, match="'as_frame' parameter"):
        load_diagnosis(as_frame="yes")


def test_class_imbalance(diagnosis):
    share = diagnosis.target.value_counts(normalize=True)
    assert share.index[0] == "healthy"
    assert 0.40 < share["healthy"] < 0.50
    assert 0.05 < share["anaemia"] < 0.11
    assert share.max() / share.min() > 4


def test_missingness(diagnosis):
    miss = diagnosis.data.isna().mean()
    # vital signs: small rates; labs: ordered only sometimes; NT-proBNP rarely
    assert 0 < miss["heart_rate_bpm"] < 0.06
    assert 0.08 < miss["resp_rate_min"] < 0.25
    assert 0.10 < miss["haemoglobin_g_dl"] < 0.35
    assert 0.25 < miss["crp_mg_l"] < 0.55
    assert 0.55 < miss["ntprobnp_pg_ml"] < 0.85
    assert miss[["age", "sex", "smoking", *SYMPTOMS]].eq(0).all()
    # the full blood count is ordered as a panel
    X = diagnosis.data
    cbc = X[["wbc_10e9_l", "haemoglobin_g_dl", "mcv_fl"]].isna()
    assert (cbc.nunique(axis=1) == 1).all()
    # missing at random: NT-proBNP is ordered far more often when dyspnoea or oedema is present
    symptomatic = (X["dyspnoea"] == 1) | (X["oedema"] == 1)
    assert X.loc[symptomatic, "ntprobnp_pg_ml"].notna().mean() > 2 * (
        X.loc[~symptomatic, "ntprobnp_pg_ml"].notna().mean()
    )


def test_return_X_y(diagnosis):
    X, y = load_diagnosis(return_X_y=True)
    pd.testing.assert_frame_equal(X, diagnosis.data)
    pd.testing.assert_series_equal(y, diagnosis.target)


def test_as_frame_false_gives_object_arrays(diagnosis):
    b = load_diagnosis(as_frame=False)
    assert b.frame is None
    assert isinstance(b.data, np.ndarray) and b.data.dtype == object
    assert b.data.shape == (2000, 23)
    assert isinstance(b.target, np.ndarray) and b.target.dtype == object
    np.testing.assert_array_equal(b.target, diagnosis.target.to_numpy())
    names = list(b.feature_names)
    sex = b.data[:, names.index("sex")]
    assert set(sex) == {"F", "M"}
    crp = b.data[:, names.index("crp_mg_l")].astype(float)
    np.testing.assert_array_equal(crp, diagnosis.data["crp_mg_l"].to_numpy())
    X, y = load_diagnosis(as_frame=False, return_X_y=True)
    assert X.dtype == object and y.dtype == object
    np.testing.assert_array_equal(X[:, names.index("age")], b.data[:, names.index("age")])


def test_symptom_text_opt_in(diagnosis):
    b = load_diagnosis(include_symptom_text=True)
    assert b.data.shape == (2000, 24)
    assert list(b.feature_names)[-1] == "symptoms"
    assert b.text_features == ["symptoms"]
    # every other column is unchanged by the option
    pd.testing.assert_frame_equal(b.data.drop(columns="symptoms"), diagnosis.data)
    pd.testing.assert_series_equal(b.target, diagnosis.target)

    text = b.data["symptoms"]
    assert text.dtype == object or is_string_dtype(text)  # text with NaN for missing
    assert 0 < text.isna().mean() < 0.10
    written = text.dropna()
    assert written.map(lambda s: isinstance(s, str)).all()
    # "fever; dry cough; headache" style lists, typed inconsistently
    assert written.str.contains("; ", regex=False).any()
    assert written.str.contains(", ", regex=False).any()
    has_fever_word = written.str.contains(r"fever|fevr|pyrexia|febrile|temp", case=False)
    fever = b.data.loc[written.index, "fever"] == 1
    assert has_fever_word[fever].mean() > 0.8
    assert has_fever_word[~fever].mean() == 0
    assert written.str.contains("Fever").any() and written.str.contains("pyrexia").any()
    no_symptom = b.data.loc[written.index, SYMPTOMS].sum(axis=1) == 0
    assert set(written[no_symptom]) <= {"none", "None", "no complaints", "nil", "asymptomatic", ""}
    items = written[~no_symptom].map(lambda s: [t for t in re.split(r"\s*[;,/]\s*", s) if t])
    assert (items.map(len) >= 1).all()


def test_symptom_text_requires_frame():
    with pytest.raises(ValueError, match="as_frame=True"):
        load_diagnosis(include_symptom_text=True, as_frame=False)


def _baseline_pipeline(estimator):
    numeric = ["age", *LABS, *SYMPTOMS]
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                numeric,
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "smoking"]),
        ]
    )
    return make_pipeline(pre, estimator)


def test_logistic_baseline_in_target_band(diagnosis):
    X_train, X_test, y_train, y_test = train_test_split(
        diagnosis.data, diagnosis.target, test_size=0.25, stratify=diagnosis.target, random_state=0
    )
    model = _baseline_pipeline(LogisticRegression(max_iter=2000))
    model.fit(X_train, y_train)
    score = balanced_accuracy_score(y_test, model.predict(X_test))
    # clearly better than chance (0.2), but not separable
    assert 0.7 <= score <= 0.9, score


def test_breast_cancer_matches_sklearn():
    ours = load_breast_cancer()
    theirs = sklearn.datasets.load_breast_cancer(as_frame=True)
    pd.testing.assert_frame_equal(ours.frame, theirs.frame)
    pd.testing.assert_frame_equal(ours.data, theirs.data)
    pd.testing.assert_series_equal(ours.target, theirs.target)
    assert ours.frame.shape == (569, 31)
    np.testing.assert_array_equal(ours.feature_names, theirs.feature_names)
    np.testing.assert_array_equal(ours.target_names, ["malignant", "benign"])
    assert ours.DESCR == theirs.DESCR

    X, y = load_breast_cancer(as_frame=False, return_X_y=True)
    X_sk, y_sk = sklearn.datasets.load_breast_cancer(return_X_y=True)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X, X_sk)
    np.testing.assert_array_equal(y, y_sk)
    Xf, yf = load_breast_cancer(return_X_y=True)
    assert isinstance(Xf, pd.DataFrame) and isinstance(yf, pd.Series)
    assert load_breast_cancer(as_frame=False).frame is None


def test_lazy_subpackage():
    import skmed

    assert skmed.datasets.load_diagnosis is load_diagnosis
