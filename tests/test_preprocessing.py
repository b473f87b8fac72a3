"""SymptomEncoder and looks_like_symptom_list: parsing, vocabulary, output, scikit-learn API."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmed.datasets import load_diagnosis
from skmed.preprocessing import SymptomEncoder, looks_like_symptom_list


def encode(train, test=None, **params):
    """Fit on one column ``s`` and return (feature names without prefix, rows as dicts)."""
    enc = SymptomEncoder(**params).fit(pd.DataFrame({"s": train}))
    out = enc.transform(pd.DataFrame({"s": train if test is None else test}))
    names = [n.removeprefix("s__") for n in enc.get_feature_names_out()]
    return names, [{n: v for n, v in zip(names, row) if v} for row in out.tolist()]


# ---------------------------------------------------------------------- separators


def test_default_separators_and_mixed_use():
    names, rows = encode(["fever; dry cough, headache", "SOB / fatigue", "rash\nitch"])
    assert names == ["dry cough", "fatigue", "fever", "headache", "itch", "rash", "sob", "other"]
    assert rows[0] == {"dry cough": 1, "fever": 1, "headache": 1}
    assert rows[1] == {"sob": 1, "fatigue": 1}
    assert rows[2] == {"rash": 1, "itch": 1}


def test_custom_separators_string_and_multi_character():
    names, _ = encode(["a, b | c"], separators="|")
    assert names == ["a, b", "c", "other"]
    names, _ = encode(["fever and cough; rash"], separators=(";", " and "))
    assert names == ["cough", "fever", "rash", "other"]


def test_trailing_and_repeated_separators_give_no_empty_symptom():
    names, rows = encode(["fever;;cough;", ";", "fever ; "])
    assert names == ["cough", "fever", "other"]
    assert rows == [{"cough": 1, "fever": 1}, {}, {"fever": 1}]


def test_empty_separator_is_refused():
    with pytest.raises(ValueError, match="non-empty strings"):
        SymptomEncoder(separators=(";", "")).fit([["a"]])


# ---------------------------------------------------------------------- normalisation


def test_case_and_whitespace_normalisation():
    names, rows = encode(["  Dry   COUGH ", "dry\tcough", "dry\r\ncough;FEVER"], separators=";")
    assert names == ["dry cough", "fever", "other"]
    assert all(row["dry cough"] == 1 for row in rows)
    names, _ = encode(["dry\r\ncough"])  # newline is a default separator
    assert names == ["cough", "dry", "other"]


def test_lowercase_false_keeps_case():
    names, _ = encode(["Fever; fever"], lowercase=False)
    assert names == ["Fever", "fever", "other"]


def test_non_ascii_whitespace_is_text():
    names, _ = encode(["dry\xa0cough"])
    assert names == ["dry\xa0cough", "other"]


def test_unicode_text():
    # ASCII lowercasing (exportable): accented lowercase letters are kept, capitals stay
    names, rows = encode(["Fièvre; TOUX", "fièvre", "FIÈVRE; 頭痛"])
    assert names == ["fiÈvre", "fièvre", "toux", "頭痛", "other"]
    assert rows[0] == {"fièvre": 1, "toux": 1}
    # Python-only options
    names, _ = encode(["Fièvre; TOUX", "FIÈVRE"], lowercase="unicode")
    assert names == ["fièvre", "toux", "other"]
    names, _ = encode(["Fièvre; TOUX", "FIÈVRE"], lowercase="unicode", strip_accents="unicode")
    assert names == ["fievre", "toux", "other"]


# ---------------------------------------------------------------------- synonyms


def test_synonyms_map_to_canonical_names():
    synonyms = {"Pyrexia": "fever", "febrile ": "Fever", "SOB": "short  of breath"}
    names, rows = encode(["pyrexia; FEBRILE", "sob, fever", "cough"], synonyms=synonyms)
    assert names == ["cough", "fever", "short of breath", "other"]
    assert rows[0] == {"fever": 1}  # two synonyms of one symptom count once
    assert rows[1] == {"short of breath": 1, "fever": 1}


def test_synonym_to_empty_string_drops_the_value():
    names, rows = encode(["none", "Nil", "fever; none"], synonyms={"none": "", "nil": ""})
    assert names == ["fever", "other"]
    assert rows == [{}, {}, {"fever": 1}]


def test_synonyms_are_not_transitive():
    names, _ = encode(["a", "b"], synonyms={"a": "b", "b": "c"})
    assert names == ["b", "c", "other"]


@pytest.mark.parametrize(
    "synonyms, match",
    [
        ({"a; b": "c"}, "contains a separator"),
        ({" ": "c"}, "is empty"),
        ({"a": "b", "A": "c"}, "both"),
        ({"a": 1}, "strings to strings"),
    ],
)
def test_bad_synonyms(synonyms, match):
    with pytest.raises((ValueError, TypeError), match=match):
        SymptomEncoder(synonyms=synonyms).fit([["a"]])


# ---------------------------------------------------------------------- vocabulary and unknowns


def test_unknown_symptoms_are_counted_in_other():
    names, rows = encode(["fever", "cough"], ["fever; rash; itch; rash", "cough; FEVER; fever"])
    assert names == ["cough", "fever", "other"]
    assert rows == [{"fever": 1, "other": 3}, {"cough": 1, "fever": 1}]


def test_handle_unknown_ignore_has_no_other_column():
    names, rows = encode(["fever"], ["fever; rash"], handle_unknown="ignore")
    assert names == ["fever"]
    assert rows == [{"fever": 1}]


def test_min_frequency_int_and_float():
    train = ["fever; cough", "fever", "fever; rash", "cough"]
    names, rows = encode(train, min_frequency=2)
    assert names == ["cough", "fever", "other"]
    assert rows[2] == {"fever": 1, "other": 1}  # rare in fit: counted as unknown
    names, _ = encode(train, min_frequency=0.6)  # 3 of 4 rows
    assert names == ["fever", "other"]
    enc = SymptomEncoder(min_frequency=2).fit(pd.DataFrame({"s": train}))
    assert enc.symptom_counts_ == [{"cough": 2, "fever": 3, "rash": 1}]


def test_other_column_name_does_not_collide():
    names, _ = encode(["other; fever"])
    assert names == ["fever", "other", "other_"]


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"min_frequency": 0}, InvalidParameterError, "'min_frequency' parameter"),
        ({"min_frequency": 1.5}, InvalidParameterError, "'min_frequency' parameter"),
        ({"handle_unknown": "error"}, InvalidParameterError, "'handle_unknown' parameter"),
        ({"lowercase": "upper"}, InvalidParameterError, "'lowercase' parameter"),
        ({"strip_accents": "ascii"}, InvalidParameterError, "'strip_accents' parameter"),
        ({"synonyms": ["a"]}, InvalidParameterError, "'synonyms' parameter"),
        ({"separators": ""}, ValueError, "separators must be non-empty strings"),
        ({"synonyms": {"a": 1}}, TypeError, "synonyms must map strings to strings"),
    ],
)
def test_parameter_validation(params, error, match):
    with pytest.raises(error, match=match):
        SymptomEncoder(**params).fit([["a"]])


# ---------------------------------------------------------------------- missing and empty values


@pytest.mark.parametrize("missing", [None, np.nan, "", "   ", pd.NA, ";,"])
def test_missing_values_give_zero_rows(missing):
    column = pd.Series(["fever", missing, "cough"], dtype=object)
    enc = SymptomEncoder().fit(column.to_frame("s"))
    out = enc.transform(column.to_frame("s"))
    assert out.tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0]]


def test_pandas_string_dtype_and_all_missing_fit():
    frame = pd.DataFrame({"s": pd.array(["fever", None], dtype="string")})
    assert SymptomEncoder().fit_transform(frame).tolist() == [[1, 0], [0, 0]]
    empty = SymptomEncoder().fit(pd.DataFrame({"s": [None, np.nan]}))
    assert empty.get_feature_names_out().tolist() == ["s__other"]
    assert SymptomEncoder(handle_unknown="ignore").fit_transform(
        pd.DataFrame({"s": [None, "x"]})
    ).shape == (2, 1)


def test_non_text_values_are_refused():
    with pytest.raises(TypeError, match="holds a dict"):
        SymptomEncoder().fit(np.array([[{"a": 1}]], dtype=object))


# ---------------------------------------------------------------------- scikit-learn API


def test_several_columns_arrays_and_feature_names():
    X = np.array([["fever", "rash"], [None, "itch; rash"]], dtype=object)
    enc = SymptomEncoder().fit(X)
    assert enc.get_feature_names_out().tolist() == [
        "x0__fever",
        "x0__other",
        "x1__itch",
        "x1__rash",
        "x1__other",
    ]
    assert enc.transform(X).tolist() == [[1, 0, 0, 1, 0], [0, 0, 1, 1, 0]]
    assert enc.get_feature_names_out(["a", "b"])[0] == "a__fever"


def test_set_output_pandas_and_pickle():
    frame = pd.DataFrame({"symptoms": ["fever; cough", None]})
    enc = SymptomEncoder().set_output(transform="pandas").fit(frame)
    out = enc.transform(frame)
    assert list(out.columns) == ["symptoms__cough", "symptoms__fever", "symptoms__other"]
    again = pickle.loads(pickle.dumps(enc))
    pd.testing.assert_frame_equal(again.transform(frame), out)


def test_in_column_transformer_with_numeric_and_categorical():
    X, _ = load_diagnosis(n_samples=200, include_symptom_text=True, return_X_y=True)
    ct = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                ["age", "temperature_c"],
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["sex"]),
            ("sym", SymptomEncoder(min_frequency=3), ["symptoms"]),
        ]
    ).set_output(transform="pandas")
    out = ct.fit_transform(X)
    assert out.shape[0] == 200 and not out.isna().any().any()
    assert "sym__symptoms__fever" in out.columns and "sym__symptoms__other" in out.columns
    assert "cat__sex_F" in out.columns


# scikit-learn's estimator checks of SymptomEncoder: tests/test_common.py


# ---------------------------------------------------------------------- column detection


def test_looks_like_symptom_list_on_the_diagnosis_table():
    X, _ = load_diagnosis(n_samples=300, include_symptom_text=True, return_X_y=True)
    detected = [c for c in X.columns if looks_like_symptom_list(X[c])]
    assert detected == ["symptoms"]


@pytest.mark.parametrize(
    "values, expected",
    [
        (["fever; cough", "cough", "headache, fever", None], True),
        (["F", "M", "F", None], False),
        (["never", "former", "current"], False),
        ([None, np.nan], False),
        ([1.0, 2.0], False),
        (
            [
                "Patient reports a mild fever since Tuesday, worse at night; no cough at all today",
                "Seen by the GP last week, referred for an x-ray; follow up in two weeks",
            ],
            False,
        ),
    ],
)
def test_looks_like_symptom_list(values, expected):
    assert looks_like_symptom_list(pd.Series(values, dtype=object)) is expected
