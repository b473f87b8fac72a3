"""skmed.to_onnx: parity of exported pipelines with Python, file validity, metadata, errors."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris, load_wine  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    FixedThresholdClassifier,
    TunedThresholdClassifierCV,
)
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: E402

from skmed import MedicalMLPClassifier, to_onnx  # noqa: E402
from skmed.runtime import OnnxClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(hidden_layer_sizes=(16,), epochs=20, early_stopping=False, random_state=0)
TOL = 1e-5


def small_mlp(**kwargs):
    return MedicalMLPClassifier(**{**SMALL, **kwargs})


def clinical_frame(n=240, seed=0, n_classes=2):
    """A mixed-type clinical frame: int, float with NaN, bool, text with NaN; string labels."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n)
    bmi = rng.normal(27, 5, n)
    sbp = rng.normal(130, 15, n)
    X = pd.DataFrame(
        {
            "age": age,
            "bmi": bmi,
            "systolic bp": sbp,
            "diabetic": rng.random(n) < 0.3,
            "sex": rng.choice(["F", "M"], n),
            "smoker": rng.choice(["never", "former", "current", np.nan], n).astype(object),
        }
    )
    X.loc[::9, "bmi"] = np.nan
    X.loc[X["smoker"] == "nan", "smoker"] = np.nan
    risk = 0.04 * (age - 55) + 0.05 * (sbp - 130) + 0.8 * (X["smoker"] == "current")
    risk = risk + rng.normal(0, 0.7, n)
    if n_classes == 2:
        y = np.where(risk > 0.3, "event", "no event")
    else:
        y = np.array(["low", "medium", "high"])[np.digitize(risk, [-0.5, 0.8])]
    return X, y


def clinical_preprocessing():
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    return ColumnTransformer(
        [
            ("num", numeric, ["age", "bmi", "systolic bp", "diabetic"]),
            ("cat", text, ["sex", "smoker"]),
        ]
    )


@pytest.fixture(scope="module")
def breast():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, np.where(y == 1, "benign", "malignant")


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, np.array(["barolo", "grignolino", "barbera"])[y]


@pytest.fixture(scope="module")
def clinical():
    return clinical_frame()


def _fit_cases(breast, wine, clinical):
    Xb, yb = breast
    Xw, yw = wine
    Xc, yc = clinical
    Xm, ym = clinical_frame(seed=1, n_classes=3)
    imblearn = pytest.importorskip("imblearn")
    from imblearn.over_sampling import RandomOverSampler

    scaled = lambda clf: make_pipeline(StandardScaler(), clf)  # noqa: E731
    return {
        "breast-frame": (scaled(small_mlp()).fit(Xb, yb), Xb),
        "breast-array": (scaled(small_mlp()).fit(Xb.to_numpy(), yb), Xb.to_numpy()),
        "breast-batchnorm-dropout": (
            scaled(
                small_mlp(
                    hidden_layer_sizes=(16, 8),
                    batch_normalization=True,
                    dropout=0.2,
                    activation="tanh",
                )
            ).fit(Xb, yb),
            Xb,
        ),
        "wine-multiclass": (scaled(small_mlp()).fit(Xw, yw), Xw),
        "clinical-mixed": (make_pipeline(clinical_preprocessing(), small_mlp()).fit(Xc, yc), Xc),
        "clinical-mixed-multiclass": (
            make_pipeline(clinical_preprocessing(), small_mlp()).fit(Xm, ym),
            Xm,
        ),
        "calibrated-sigmoid": (
            make_pipeline(clinical_preprocessing(), CalibratedClassifierCV(small_mlp(), cv=3)).fit(
                Xc, yc
            ),
            Xc,
        ),
        "calibrated-isotonic-multiclass": (
            scaled(CalibratedClassifierCV(small_mlp(), method="isotonic", cv=3)).fit(Xw, yw),
            Xw,
        ),
        "fixed-threshold": (
            FixedThresholdClassifier(
                make_pipeline(clinical_preprocessing(), small_mlp()),
                threshold=0.25,
                pos_label="event",
            ).fit(Xc, yc),
            Xc,
        ),
        "tuned-threshold": (
            TunedThresholdClassifierCV(
                scaled(small_mlp()), cv=2, scoring="balanced_accuracy", random_state=0
            ).fit(Xb, yb),
            Xb,
        ),
        "imblearn-oversampler": (
            imblearn.pipeline.Pipeline(
                [
                    ("prep", clinical_preprocessing()),
                    ("oversample", RandomOverSampler(random_state=0)),
                    ("clf", small_mlp()),
                ]
            ).fit(Xc, yc),
            Xc,
        ),
    } | (
        {
            "calibrated-temperature": (
                scaled(CalibratedClassifierCV(small_mlp(), method="temperature", cv=2)).fit(Xb, yb),
                Xb,
            )
        }
        if HAS_TEMPERATURE
        else {}
    )


#: Temperature scaling arrived in scikit-learn 1.8; the oldest supported release (1.6) lacks it.
HAS_TEMPERATURE = any(
    "temperature" in getattr(constraint, "options", ())
    for constraint in CalibratedClassifierCV._parameter_constraints["method"]
)


@pytest.fixture(scope="module")
def fitted(breast, wine, clinical):
    return _fit_cases(breast, wine, clinical)


@pytest.fixture(scope="module")
def exported(fitted):
    return {name: to_onnx(model, X) for name, (model, X) in fitted.items()}


def _session(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


CASES = [
    "breast-frame",
    "breast-array",
    "breast-batchnorm-dropout",
    "wine-multiclass",
    "clinical-mixed",
    "clinical-mixed-multiclass",
    "calibrated-sigmoid",
    "calibrated-isotonic-multiclass",
    pytest.param(
        "calibrated-temperature",
        marks=pytest.mark.skipif(not HAS_TEMPERATURE, reason="scikit-learn < 1.8"),
    ),
    "fixed-threshold",
    "tuned-threshold",
    "imblearn-oversampler",
]


@pytest.mark.parametrize("case", CASES)
def test_parity_with_python(case, fitted, exported):
    model, X = fitted[case]
    runtime = OnnxClassifier(exported[case].SerializeToString())
    proba = runtime.predict_proba(X)
    expected = model.predict_proba(X)
    assert proba.dtype == np.float64 and proba.shape == expected.shape
    assert np.max(np.abs(proba - expected)) <= TOL
    labels = runtime.predict(X)
    assert labels.dtype == model.predict(X).dtype
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_array_equal(runtime.classes_, model.classes_)


@pytest.mark.parametrize("case", ["breast-array", "wine-multiclass"])
def test_parity_raw_onnxruntime(case, fitted, exported):
    """The graph alone (no skmed runtime) gives the Python probabilities and labels."""
    model, X = fitted[case]
    session = _session(exported[case])
    label, proba = session.run(None, {"X": np.asarray(X, dtype=np.float64)})
    assert proba.dtype == np.float32 and label.dtype == object
    assert np.max(np.abs(proba - model.predict_proba(X))) <= TOL
    np.testing.assert_array_equal(label.astype(str), model.predict(X))


def test_mixed_frame_has_one_typed_input_per_column(exported, clinical):
    X, _ = clinical
    inputs = {i.name: i.type for i in _session(exported["clinical-mixed"]).get_inputs()}
    assert inputs == {
        "age": "tensor(int64)",
        "bmi": "tensor(double)",
        "systolic_bp": "tensor(double)",
        "diabetic": "tensor(bool)",
        "sex": "tensor(string)",
        "smoker": "tensor(string)",
    }
    schema = json.loads(
        {p.key: p.value for p in exported["clinical-mixed"].metadata_props}["inputs"]
    )
    assert [(s["name"], s["onnx_name"]) for s in schema["inputs"]][2] == (
        "systolic bp",
        "systolic_bp",
    )


def test_numeric_frame_without_column_transformer_gets_column_inputs(exported, breast):
    X, _ = breast
    names = [i.name for i in exported["breast-frame"].graph.input]
    assert len(names) == X.shape[1] == 30
    assert names[0] == "mean_radius"


def test_outputs_label_and_plain_probability_matrix(exported):
    onx = exported["clinical-mixed"]
    session = _session(onx)
    outputs = {o.name: o.type for o in session.get_outputs()}
    assert outputs == {"label": "tensor(string)", "probabilities": "tensor(float)"}
    ops = {node.op_type for node in onx.graph.node}
    assert "ZipMap" not in ops
    assert {"Gemm", "Softmax"} <= ops
    assert not ops & {"Dropout", "BatchNormalization"}


def test_batchnorm_dropout_model_has_no_dropout_or_batchnorm(exported):
    ops = [node.op_type for node in exported["breast-batchnorm-dropout"].graph.node]
    # one dense step per layer: a Gemm, or for the members' block-diagonal middle layer a
    # batched MatMul between two Transposes
    assert ops.count("Gemm") + ops.count("Transpose") // 2 == 3 and "Tanh" in ops
    assert "BatchNormalization" not in ops and "Dropout" not in ops


def test_threshold_is_applied_to_positive_class(fitted, exported):
    model, X = fitted["fixed-threshold"]
    runtime = OnnxClassifier(exported["fixed-threshold"].SerializeToString())
    proba = runtime.predict_proba(X)
    pos = list(model.classes_).index("event")
    expected = np.where(proba[:, pos] >= 0.25, "event", "no event")
    np.testing.assert_array_equal(runtime.predict(X), expected)
    # the threshold changes some decisions compared with the arg-max
    assert np.any(runtime.predict(X) != model.classes_[proba.argmax(axis=1)])
    assert runtime.threshold == {"value": 0.25, "pos_label": "event"}


def test_tuned_threshold_recorded(fitted, exported):
    model, _ = fitted["tuned-threshold"]
    meta = OnnxClassifier(exported["tuned-threshold"].SerializeToString()).threshold
    assert meta["value"] == pytest.approx(model.best_threshold_)
    assert meta["pos_label"] == "malignant"  # balanced_accuracy: classes_[1]


def test_threshold_wrapper_on_object_dtype_string_labels(breast):
    # labels in an object array (as pandas hands them over) are Python str, not numpy scalars
    X, y = breast
    y = pd.Series(y, dtype=object)
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(8,), epochs=5, early_stopping=False, random_state=0
    )
    model = FixedThresholdClassifier(make_pipeline(StandardScaler(), clf), threshold=0.3)
    model.fit(X, y)
    assert model.classes_.dtype == object
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    assert runtime.threshold == {"value": 0.3, "pos_label": "malignant"}
    assert np.max(np.abs(runtime.predict_proba(X) - model.predict_proba(X))) <= TOL
    np.testing.assert_array_equal(runtime.predict(X), model.predict(X))


@pytest.mark.parametrize("numeric", [slice(0, 3), slice("age", "systolic bp")])
def test_column_transformer_selection_by_slice(clinical, numeric):
    X, y = clinical
    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    prep = ColumnTransformer([("num", numbers, numeric), ("cat", text, slice(4, 6))])
    model = make_pipeline(prep, small_mlp(epochs=5)).fit(X, y)
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    assert np.max(np.abs(runtime.predict_proba(X) - model.predict_proba(X))) <= TOL
    np.testing.assert_array_equal(runtime.predict(X), model.predict(X))


def test_column_transformer_open_slices_on_an_array(breast):
    X, y = breast
    X = X.to_numpy()
    prep = ColumnTransformer(
        [("first", StandardScaler(), slice(None, 10)), ("rest", StandardScaler(), slice(10, None))]
    )
    model = make_pipeline(prep, small_mlp(epochs=5)).fit(X, y)
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    assert np.max(np.abs(runtime.predict_proba(X) - model.predict_proba(X))) <= TOL


def test_check_parity_reports_difference_and_agreement(fitted, exported):
    from skmed.onnx import check_parity

    model, X = fitted["fixed-threshold"]
    parity = check_parity(exported["fixed-threshold"], model, X)
    assert set(parity) == {"max_abs_diff", "label_agreement", "n_rows"}
    assert 0.0 <= parity["max_abs_diff"] <= TOL
    assert parity["label_agreement"] == 1.0 and parity["n_rows"] == len(X)
    other, _ = fitted["clinical-mixed"]  # same inputs and classes, no threshold
    with pytest.raises(ValueError, match="does not reproduce the model"):
        check_parity(exported["fixed-threshold"], other, X)


def test_int_labels_and_activations():
    X, y = load_iris(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    for activation in ("logistic", "elu", "selu", "silu", "identity"):
        clf = small_mlp(activation=activation, epochs=5).fit(Xs, y)
        runtime = OnnxClassifier(to_onnx(clf, Xs).SerializeToString())
        assert np.max(np.abs(runtime.predict_proba(Xs) - clf.predict_proba(Xs))) <= TOL
        labels = runtime.predict(Xs)
        assert labels.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(labels, clf.predict(Xs))


def test_missing_text_values_are_imputed_like_python(fitted):
    model, X = fitted["clinical-mixed"]
    rows = X.iloc[:6].copy()
    rows["smoker"] = [np.nan, None, "current", "never", np.nan, "former"]
    rows["bmi"] = [np.nan, 30.0, np.nan, 22.5, 27.0, np.nan]
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    python_rows = rows.assign(smoker=rows["smoker"].where(rows["smoker"].notna(), np.nan))
    assert np.max(np.abs(runtime.predict_proba(rows) - model.predict_proba(python_rows))) <= TOL


def test_written_file_passes_checker_and_loads(fitted, tmp_path):
    model, X = fitted["clinical-mixed"]
    path = tmp_path / "clinical.onnx"
    returned = to_onnx(model, X, path=path, metadata={"site": "ward 4", "auc": 0.91})
    onnx.checker.check_model(str(path), full_check=True)
    loaded = onnx.load(str(path))
    assert loaded.SerializeToString() == returned.SerializeToString()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["site"] == "ward 4" and json.loads(meta["auc"]) == 0.91


def test_metadata_keys(fitted, exported):
    import sklearn

    import skmed

    meta = {p.key: p.value for p in exported["clinical-mixed"].metadata_props}
    assert meta["skmed_format"] == "skmed-onnx/1"
    assert meta["skmed_version"] == skmed.__version__
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["keras_version"][0].isdigit()
    assert json.loads(meta["classes"]) == ["event", "no event"]
    assert json.loads(meta["feature_names"]) == [
        "age",
        "bmi",
        "systolic bp",
        "diabetic",
        "sex",
        "smoker",
    ]
    kinds = {s["name"]: s["kind"] for s in json.loads(meta["inputs"])["inputs"]}
    assert kinds == {
        "age": "int64",
        "bmi": "double",
        "systolic bp": "double",
        "diabetic": "bool",
        "sex": "string",
        "smoker": "string",
    }
    assert "threshold" not in meta
    assert "MedicalMLPClassifier" in meta["estimator"]
    calibrated = {p.key: p.value for p in exported["calibrated-sigmoid"].metadata_props}
    assert calibrated["calibration"] == "sigmoid"


def test_reserved_metadata_key_rejected(fitted):
    model, X = fitted["breast-array"]
    with pytest.raises(ValueError, match="metadata key 'classes' is reserved"):
        to_onnx(model, X, metadata={"classes": "x"})


def test_unsupported_function_transformer_names_step(breast):
    X, y = breast
    model = Pipeline(
        [("log", FunctionTransformer(lambda a: np.log1p(a))), ("clf", small_mlp(epochs=2))]
    ).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"Step 'log' \(FunctionTransformer with func=<lambda>\)"
        r".*supports preprocessing that skl2onnx converts",
    ):
        to_onnx(model, X)


class ClipOutliers(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(X, -3, 3)


def test_unsupported_custom_transformer_names_nested_step(breast):
    X, y = breast
    model = make_pipeline(make_pipeline(StandardScaler(), ClipOutliers()), small_mlp(epochs=2)).fit(
        X, y
    )
    with pytest.raises(
        ValueError,
        match=r"Step 'pipeline\.clipoutliers' \(ClipOutliers\) "
        r"cannot be exported.*StandardScaler",
    ):
        to_onnx(model, X)


def test_unsupported_last_step(breast):
    X, y = breast
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"Step 'logisticregression' \(LogisticRegression\) "
        r"cannot be the classifier.*MedicalMLPClassifier",
    ):
        to_onnx(model, X)


def test_calibrated_pipeline_with_folds_is_refused(breast):
    X, y = breast
    model = CalibratedClassifierCV(make_pipeline(StandardScaler(), small_mlp(epochs=2)), cv=2)
    model.fit(X, y)
    with pytest.raises(ValueError, match="each with its own fitted preprocessing"):
        to_onnx(model, X)


def test_calibrated_pipeline_without_ensemble_is_exported(breast):
    X, y = breast
    model = CalibratedClassifierCV(
        make_pipeline(StandardScaler(), small_mlp(epochs=2)), cv=2, ensemble=False
    ).fit(X, y)
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    assert np.max(np.abs(runtime.predict_proba(X) - model.predict_proba(X))) <= TOL


def test_none_in_object_text_column_is_explained(clinical):
    X, y = clinical
    X = X.copy()
    X["smoker"] = X["smoker"].astype(object).where(X["smoker"].notna(), None)
    model = make_pipeline(clinical_preprocessing(), small_mlp(epochs=5)).fit(X, y)
    with pytest.raises(ValueError, match=r"does not reproduce the model.*\['smoker'\] hold None"):
        to_onnx(model, X)


def test_text_column_before_numeric_step_is_refused(clinical):
    X, y = clinical
    model = make_pipeline(StandardScaler(), small_mlp(epochs=2)).fit(X[["age", "bmi"]].fillna(0), y)
    with pytest.raises(ValueError, match=r"Column\(s\) \['sex'\] hold text"):
        to_onnx(model, X[["age", "bmi", "sex"]])


def test_skl2onnx_converts_pipeline_after_register(fitted):
    """register() makes plain skl2onnx.to_onnx handle a pipeline ending in the classifier."""
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    from skmed.onnx import register

    register()
    model, X = fitted["breast-array"]
    onx = skl2onnx_to_onnx(model, X.astype(np.float32), options={"zipmap": False})
    label, proba = _session(onx).run(None, {"X": X.astype(np.float32)})
    assert np.max(np.abs(proba - model.predict_proba(X))) <= 1e-4
    np.testing.assert_array_equal(label, model.predict(X))


def test_export_needs_no_keras(fitted, tmp_path):
    """An unpickled model exports without importing Keras or any backend."""
    model, X = fitted["clinical-mixed"]
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump((model, X), f)
    code = (
        "import pickle, sys; from skmed import to_onnx\n"
        f"model, X = pickle.load(open({str(tmp_path / 'model.pkl')!r}, 'rb'))\n"
        "to_onnx(model, X)\n"
        "loaded = [m for m in ('keras', 'torch', 'jax', 'tensorflow') if m in sys.modules]\n"
        "print(','.join(loaded) or 'none')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "none"


def test_scikeras_keras_classifier():
    pytest.importorskip("scikeras")
    from skmed._backend import import_keras

    keras = import_keras()
    from scikeras.wrappers import KerasClassifier

    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]

    def build(layers):
        def model():
            net = keras.Sequential(
                [keras.Input((4,)), *layers(), keras.layers.Dense(3, activation="softmax")]
            )
            net.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
            return net

        return model

    ok = build(
        lambda: [
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dropout(0.2),
        ]
    )
    model = make_pipeline(
        StandardScaler(), KerasClassifier(ok, epochs=5, verbose=0, random_state=0)
    ).fit(X, y)
    runtime = OnnxClassifier(to_onnx(model, X).SerializeToString())
    assert np.max(np.abs(runtime.predict_proba(X) - model.predict_proba(X))) <= TOL
    np.testing.assert_array_equal(runtime.predict(X), model.predict(X))

    bad = build(lambda: [keras.layers.Dense(8), keras.layers.LayerNormalization()])
    model = make_pipeline(
        StandardScaler(), KerasClassifier(bad, epochs=1, verbose=0, random_state=0)
    ).fit(X, y)
    with pytest.raises(ValueError, match="of type LayerNormalization is not supported"):
        to_onnx(model, X)


NODE_DIR = ROOT / "examples" / "node"


@pytest.mark.slow
def test_node_example(fitted, tmp_path):
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip("needs node and `npm install` in examples/node")
    model, X = fitted["clinical-mixed"]
    to_onnx(model, X, path=tmp_path / "model.onnx")
    records = json.loads(X.to_json(orient="records"))
    (tmp_path / "records.json").write_text(json.dumps(records))
    out = subprocess.run(
        [
            node,
            str(NODE_DIR / "predict.js"),
            str(tmp_path / "model.onnx"),
            str(tmp_path / "records.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert np.max(np.abs(np.array(result["probabilities"]) - model.predict_proba(X))) <= TOL
    np.testing.assert_array_equal(np.array(result["label"]), model.predict(X))


def test_side_by_side_members_are_computed_blockwise():
    """The default network's deeper kernel is block-diagonal (its members side by side): numpy
    and the graph multiply the blocks only, with the dense product's result."""
    from sklearn.datasets import load_breast_cancer

    from skmed.neural_network._forward import PreparedNetwork, block_groups

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), MedicalMLPClassifier(random_state=0, epochs=10))
    model.fit(X, y)
    network = model[-1].network_
    assert [block_groups(s["kernel"]) for s in network] == [1, 5, 1]
    Z = model[0].transform(X)
    h = Z
    for step in network[:-1]:  # the dense product, written out
        h = np.maximum(h @ step["kernel"].astype(np.float64) + step["bias"], 0.0)
    logits = h @ network[-1]["kernel"] + network[-1]["bias"] + Z @ network[-1]["skip"]
    dense = np.exp(logits - logits.max(axis=1, keepdims=True))
    dense /= dense.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(PreparedNetwork(network)(Z), dense, rtol=0, atol=1e-12)
    onx = to_onnx(model, X[:20])
    ops = [n.op_type for n in onx.graph.node]
    assert ops.count("Gemm") == 2 and "Transpose" in ops  # the middle layer as block products
    proba = OnnxClassifier(onx.SerializeToString()).predict_proba(X)
    assert np.abs(proba - model.predict_proba(X)).max() <= 1e-6
