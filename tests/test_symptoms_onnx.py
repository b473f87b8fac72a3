"""ONNX export of SymptomEncoder: exact encoder parity, and a mixed pipeline end to end."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier, to_onnx
from skmed.datasets import load_diagnosis
from skmed.preprocessing import SymptomEncoder
from skmed.runtime import OnnxClassifier

SYNONYMS = {"pyrexia": "fever", "febrile": "fever", "SOB": "dyspnoea", "none": "", "nil": ""}

#: rows the training data never shows: unseen symptoms, empty / missing values, unicode,
#: odd spacing and separators, a too-long symptom, repeats
EXTRA_SYMPTOMS = [
    "Fièvre; TOUX",
    "",
    np.nan,
    None,
    "   ",
    ";;,",
    "  FEVER ;;  dry    cough\t, rash ",
    "xyz, PYREXIA, pyrexia, fever",
    "sob\nfatigue/ cough / none",
    "a very long symptom name that matches nothing at all",
    "頭痛; fever",
    "dry\xa0cough",
]


def _session(onx):
    return onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def _convert_encoder(enc, n_columns=1):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import StringTensorType

    from skmed.onnx import register

    register()
    return convert_sklearn(enc, initial_types=[("X", StringTensorType([None, n_columns]))])


def _random_texts(rng, n, length):
    alphabet = [*"abcAB ;,/\n\t\r\xa0éÉΣİ|", "fever", "Fever", "dry cough", "  ", "pyrexia", "頭"]
    return ["".join(rng.choice(alphabet, size=rng.integers(0, length))) for _ in range(n)]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"separators": (";", " / "), "min_frequency": 2},
        {"lowercase": False, "handle_unknown": "ignore"},
        {"synonyms": {"Pyrexia": "fever", "a": "", "b": "a b c"}, "min_frequency": 2},
        {"separators": "|", "synonyms": {"x": "y"}},
    ],
)
def test_encoder_graph_equals_transform_exactly(params):
    rng = np.random.default_rng(0)
    train = [*_random_texts(rng, 300, 12), "fever; dry cough", "a b c", "ab  c"]
    test = [*_random_texts(rng, 1000, 16), "", " ", ";;", "a b c d", "A\tb\nC", *EXTRA_SYMPTOMS[:2]]
    enc = SymptomEncoder(**params).fit(pd.DataFrame({"s": train}))
    got = _session(_convert_encoder(enc)).run(None, {"X": np.array(test, object).reshape(-1, 1)})
    np.testing.assert_array_equal(got[0], enc.transform(pd.DataFrame({"s": test})))


def test_encoder_graph_several_columns_and_empty_batches():
    rng = np.random.default_rng(1)
    a, b = _random_texts(rng, 200, 10), _random_texts(rng, 200, 10)
    enc = SymptomEncoder().fit(pd.DataFrame({"a": a, "b": b}))
    sess = _session(_convert_encoder(enc, 2))
    X = np.array([b, a], dtype=object).T
    want = enc.transform(pd.DataFrame(X, columns=["a", "b"]))
    np.testing.assert_array_equal(sess.run(None, {"X": X})[0], want)
    for batch in (["", " ", ";"], [""], ["\t"]):  # no symptom in the whole batch
        X = np.array([batch, batch], dtype=object).T
        assert not sess.run(None, {"X": X})[0].any()


# ---------------------------------------------------------------------- mixed pipeline


@pytest.fixture(scope="module")
def mixed():
    bunch = load_diagnosis(n_samples=600, include_symptom_text=True)
    X, y = bunch.data, bunch.target
    numeric = [*bunch.numeric_features, *bunch.binary_features]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                bunch.categorical_features,
            ),
            ("sym", SymptomEncoder(synonyms=SYNONYMS, min_frequency=2), ["symptoms"]),
        ]
    )
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(8,), epochs=10, early_stopping=False, random_state=0
    )
    pipe = Pipeline([("preprocess", pre), ("classifier", clf)]).fit(X, y)
    extra = X.sample(len(EXTRA_SYMPTOMS), random_state=1).reset_index(drop=True)
    extra["symptoms"] = pd.Series(EXTRA_SYMPTOMS, dtype=object)
    test = pd.concat([X.astype({"symptoms": object}), extra], ignore_index=True)
    onx = to_onnx(pipe, X.iloc[:50], metadata={"case": "symptoms"})  # check=True
    return pipe, test, onx


def test_mixed_pipeline_parity_on_every_row(mixed):
    pipe, test, onx = mixed
    want = pipe.predict_proba(test)
    sess = _session(onx)
    dtypes = {"tensor(string)": object, "tensor(double)": np.float64, "tensor(int64)": np.int64}
    feeds = {}
    for graph_input in sess.get_inputs():  # raw onnxruntime: missing text is fed as ""
        column = test[graph_input.name]
        if graph_input.type == "tensor(string)":
            column = column.astype(object).where(column.notna(), "")
        feeds[graph_input.name] = column.to_numpy(dtypes[graph_input.type]).reshape(-1, 1)
    labels, proba = sess.run(None, feeds)
    assert np.abs(proba - want).max() < 1e-5
    np.testing.assert_array_equal(labels, pipe.predict(test))


def test_mixed_pipeline_through_the_runtime(mixed, tmp_path):
    pipe, test, onx = mixed
    path = tmp_path / "diagnosis.onnx"
    path.write_bytes(onx.SerializeToString())
    runtime = OnnxClassifier(path)
    assert np.abs(runtime.predict_proba(test) - pipe.predict_proba(test)).max() < 1e-5
    np.testing.assert_array_equal(runtime.predict(test), pipe.predict(test))
    # records with None / NaN for missing text
    records = test.tail(len(EXTRA_SYMPTOMS)).to_dict("records")
    np.testing.assert_array_equal(
        runtime.predict(records), pipe.predict(test.tail(len(EXTRA_SYMPTOMS)))
    )
    spec = {s["name"]: s["kind"] for s in json.loads(runtime.metadata["inputs"])["inputs"]}
    assert spec["symptoms"] == "string"
    # the unseen rows really reach the encoder's "other" column
    enc = pipe.named_steps["preprocess"].named_transformers_["sym"]
    other = enc.transform(test[["symptoms"]].tail(len(EXTRA_SYMPTOMS)))[:, -1]
    assert other.tolist()[:3] == [2.0, 0.0, 0.0] and other.max() >= 2


# ---------------------------------------------------------------------- refused options


def _tiny_pipeline(**params):
    X = pd.DataFrame({"age": [50.0, 60, 70, 80], "symptoms": ["FIÈVRE; toux", "fever", None, "x"]})
    pre = ColumnTransformer(
        [("num", "passthrough", ["age"]), ("sym", SymptomEncoder(**params), ["symptoms"])]
    )
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(2,), epochs=1, early_stopping=False, random_state=0
    )
    return Pipeline([("pre", pre), ("clf", clf)]).fit(X, ["a", "b", "a", "b"]), X


@pytest.mark.parametrize(
    "params, option",
    [
        ({"lowercase": "unicode"}, "lowercase='unicode'"),
        ({"strip_accents": "unicode"}, "strip_accents='unicode'"),
    ],
)
def test_python_only_options_refuse_to_export(params, option):
    pipe, X = _tiny_pipeline(**params)
    with pytest.raises(ValueError, match="SymptomEncoder cannot be exported") as info:
        to_onnx(pipe, X)
    assert option in str(info.value)


def test_old_opset_is_refused():
    pipe, X = _tiny_pipeline()
    with pytest.raises(ValueError, match="opset >= 20"):
        to_onnx(pipe, X, target_opset=18)


@pytest.mark.parametrize("selector", ["symptoms", ["symptoms"]])
def test_a_string_column_selector_fits_predicts_and_exports(selector):
    """("sym", SymptomEncoder(), "symptoms") passes a 1-D column, as for CountVectorizer."""
    X, y = load_diagnosis(n_samples=400, include_symptom_text=True, return_X_y=True)
    X = X[["symptoms", "sex", "age"]]
    prep = ColumnTransformer(
        [
            ("sym", SymptomEncoder(), selector),
            ("sex", OneHotEncoder(handle_unknown="ignore"), ["sex"]),
            ("age", StandardScaler(), ["age"]),
        ]
    )
    model = make_pipeline(
        prep, MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=10, random_state=0)
    )
    model.fit(X, y)
    encoder = model[0].named_transformers_["sym"]
    assert encoder.feature_names_in_.tolist() == ["symptoms"]
    runtime = OnnxClassifier(to_onnx(model, X.head(20)).SerializeToString())
    assert np.abs(runtime.predict_proba(X) - model.predict_proba(X)).max() <= 1e-5
    assert (runtime.predict(X) == model.predict(X)).all()


def test_one_dimensional_inputs_equal_the_two_dimensional_form():
    X, _ = load_diagnosis(n_samples=200, include_symptom_text=True, return_X_y=True)
    column = X["symptoms"]
    want = SymptomEncoder().fit(X[["symptoms"]]).transform(X[["symptoms"]])
    for one_d in (column, column.tolist(), column.to_numpy(dtype=object)):
        got = SymptomEncoder().fit(one_d).transform(one_d)
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        SymptomEncoder().fit(np.arange(5.0))  # numbers are not a text column
