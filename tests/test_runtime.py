"""skmed.runtime.OnnxClassifier: input forms, thread safety, light imports, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime")

from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skmed import MedicalMLPClassifier, to_onnx  # noqa: E402
from skmed.runtime import InputError, ModelFormatError, OnnxClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(hidden_layer_sizes=(16,), epochs=20, early_stopping=False, random_state=0)


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "bmi": rng.normal(27, 5, n),
            "sex": rng.choice(["F", "M"], n).astype(object),
            "smoker": rng.choice(["never", "current", "former"], n).astype(object),
        }
    )
    X.loc[::7, "bmi"] = np.nan
    X.loc[::5, "smoker"] = np.nan
    y = np.where(X["age"] + rng.normal(0, 12, n) > 55, "event", "no event")
    return X, y


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    X, y = _frame()
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "bmi"]),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                ["sex", "smoker"],
            ),
        ]
    )
    model = make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(X, y)
    path = tmp_path_factory.mktemp("onnx") / "mixed.onnx"
    to_onnx(model, X, path=path, metadata={"owner": "cardiology"})
    return model, X, path


@pytest.fixture(scope="module")
def numeric(tmp_path_factory):
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), MedicalMLPClassifier(**SMALL)).fit(X, y)
    path = tmp_path_factory.mktemp("onnx") / "numeric.onnx"
    to_onnx(model, X, path=path)
    return model, X, path


@pytest.fixture(scope="module")
def runtime(mixed):
    return OnnxClassifier(mixed[2])


def test_attributes(runtime, mixed):
    model, X, _ = mixed
    np.testing.assert_array_equal(runtime.classes_, model.classes_)
    assert runtime.classes_.dtype == model.classes_.dtype
    assert runtime.feature_names_in_.tolist() == ["age", "bmi", "sex", "smoker"]
    assert runtime.n_features_in_ == 4
    assert runtime.metadata["owner"] == "cardiology"
    assert runtime.metadata["skmed_format"] == "skmed-onnx/1"
    assert runtime.threshold is None


def test_input_forms_agree(runtime, mixed):
    model, X, _ = mixed
    rows = X.iloc[:10]
    expected = model.predict_proba(rows)
    records = [
        {
            k: (None if isinstance(v, float) and np.isnan(v) and k in ("sex", "smoker") else v)
            for k, v in row.items()
        }
        for row in rows.to_dict(orient="records")
    ]
    forms = {
        "frame": rows,
        "dict": {c: rows[c].tolist() for c in rows.columns},
        "records": records,
        "array": rows.to_numpy(dtype=object),
        "reordered frame": rows[["smoker", "sex", "bmi", "age"]],
        # pandas extension dtypes: nullable numbers with pd.NA, python and arrow-free strings,
        # categoricals (the runtime reads each column's own array)
        "extension dtypes": rows.astype(
            {"age": "Int64", "bmi": "Float64", "sex": "category", "smoker": "string"}
        ),
    }
    for name, data in forms.items():
        proba = runtime.predict_proba(data)
        assert proba.dtype == np.float64, name
        assert np.max(np.abs(proba - expected)) <= 1e-5, name
        np.testing.assert_array_equal(runtime.predict(data), model.predict(rows), err_msg=name)
    np.testing.assert_allclose(runtime.predict_proba(rows.iloc[[4]]), expected[4:5], atol=1e-5)


def test_single_record_dict(runtime, mixed):
    model, X, _ = mixed
    row = X.iloc[[3]]
    one = {c: row[c].iloc[0] for c in row.columns}
    assert np.max(np.abs(runtime.predict_proba(one) - model.predict_proba(row))) <= 1e-5


def test_numeric_array_model(numeric):
    model, X, path = numeric
    clf = OnnxClassifier(Path(path).read_bytes())
    assert clf.feature_names_in_ is None and clf.n_features_in_ == 30
    assert np.max(np.abs(clf.predict_proba(X) - model.predict_proba(X))) <= 1e-5
    assert clf.predict(X).dtype == model.predict(X).dtype
    np.testing.assert_array_equal(clf.predict(X), model.predict(X))
    np.testing.assert_array_equal(clf.predict(X.tolist()), model.predict(X))


def test_many_threads_share_one_session(numeric):
    model, X, path = numeric
    clf = OnnxClassifier(path)
    batches = [X[i : i + 37] for i in range(0, len(X), 37)] * 6
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(clf.predict_proba, batches))
    for batch, proba in zip(batches, results):
        np.testing.assert_array_equal(proba, clf.predict_proba(batch))
        assert np.max(np.abs(proba - model.predict_proba(batch))) <= 1e-5


# ---------------------------------------------------------------------- errors


def test_missing_and_extra_columns(runtime, mixed):
    X = mixed[1].iloc[:3]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['bmi'\]"):
        runtime.predict(X.drop(columns="bmi"))
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \['height'\]"):
        runtime.predict(X.assign(height=1.8))
    with pytest.raises(ValueError, match=r"Record 1 has no value for column\(s\) \['age'\]"):
        runtime.predict(
            [
                {"age": 50, "bmi": 20, "sex": "F", "smoker": "never"},
                {"bmi": 20, "sex": "F", "smoker": "never"},
            ]
        )


def test_wrongly_typed_columns(runtime, mixed):
    X = mixed[1].iloc[:3]
    with pytest.raises(
        InputError,
        match=r"Column 'bmi' must hold numbers \(double\), but row 1 holds "
        r"str value 'obese'",
    ) as info:
        runtime.predict(X.assign(bmi=[20.0, "obese", 21.0]))
    assert (info.value.column, info.value.row) == ("bmi", 1)
    with pytest.raises(
        ValueError,
        match=r"Column 'sex' must hold text \(string\), but row 0 "
        r"holds int value 1",
    ):
        runtime.predict(X.assign(sex=[1, 0, 1]))
    with pytest.raises(
        ValueError,
        match=r"Column 'age' is an integer column in the model and cannot hold missing "
        r"values \(row 1 is missing\)",
    ):
        runtime.predict(X.assign(age=[50.0, np.nan, 60.0]))
    with pytest.raises(
        ValueError,
        match=r"Column 'age' must hold integers \(int64\), but row 0 holds the "
        r"fractional value 50.5",
    ):
        runtime.predict(X.assign(age=[50.5, 40.0, 60.0]))


def test_decision_rule(runtime):
    assert runtime.decision.rule == "argmax"  # two classes, no threshold, no costs
    assert runtime.decision.threshold == 0.5
    assert runtime.decision.pos_label == runtime.classes_.tolist()[1]


def test_integral_floats_accepted_for_int_column(runtime, mixed):
    model, X, _ = mixed
    rows = X.iloc[:5]
    as_float = rows.assign(age=rows["age"].astype(float))
    np.testing.assert_array_equal(runtime.predict_proba(as_float), runtime.predict_proba(rows))


def test_wrong_number_of_features(numeric, runtime):
    model, X, path = numeric
    clf = OnnxClassifier(path)
    with pytest.raises(ValueError, match="X has 29 features, but the model expects 30"):
        clf.predict(X[:, :29])
    with pytest.raises(ValueError, match=r"X must be a 2D array of shape \(n_samples, 30\)"):
        clf.predict(X[0])
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 4"):
        runtime.predict(np.zeros((2, 3), dtype=object))


def test_empty_batch(numeric, runtime, mixed):
    clf = OnnxClassifier(numeric[2])
    with pytest.raises(ValueError, match=r"empty batch \(0 rows\)"):
        clf.predict(np.zeros((0, 30)))
    with pytest.raises(ValueError, match=r"empty batch \(0 rows\)"):
        runtime.predict(mixed[1].iloc[:0])
    with pytest.raises(ValueError, match=r"empty batch \(0 rows\)"):
        runtime.predict([])


def test_corrupt_truncated_and_foreign_files(tmp_path, numeric):
    good = Path(numeric[2]).read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelFormatError, match="corrupt, truncated or not ONNX"):
        OnnxClassifier(truncated)
    with pytest.raises(ModelFormatError, match="corrupt, truncated or not ONNX"):
        OnnxClassifier(b"this is not a model")
    with pytest.raises(FileNotFoundError, match="No ONNX model file at"):
        OnnxClassifier(tmp_path / "absent.onnx")

    from skl2onnx import to_onnx as skl2onnx_to_onnx
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    foreign = skl2onnx_to_onnx(LogisticRegression(max_iter=500).fit(X, y), X[:1].astype("f4"))
    with pytest.raises(ModelFormatError, match="not written by skmed.to_onnx"):
        OnnxClassifier(foreign.SerializeToString())
    assert issubclass(ModelFormatError, ValueError)


def test_import_is_light(numeric):
    """skmed.runtime imports neither Keras, a backend, scikit-learn, pandas nor onnx."""
    code = (
        "import sys, numpy as np\n"
        "from skmed.runtime import OnnxClassifier\n"
        f"clf = OnnxClassifier({str(numeric[2])!r})\n"
        "clf.predict(np.zeros((2, 30)))\n"
        "heavy = ('keras', 'torch', 'jax', 'tensorflow', 'sklearn', 'pandas', 'onnx', 'skl2onnx',"
        " 'scipy')\n"
        "print(','.join(m for m in heavy if m in sys.modules) or 'none')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "none"


def test_predict_with_proba_is_one_run_of_both():
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(8,), epochs=5, early_stopping=False, random_state=0
    ).fit(X, y)
    runtime = OnnxClassifier(to_onnx(clf, X.head()).SerializeToString())
    labels, proba = runtime.predict_with_proba(X)
    np.testing.assert_array_equal(labels, runtime.predict(X))
    np.testing.assert_array_equal(proba, runtime.predict_proba(X))
    assert runtime.input_schema.layout == "columns"
    assert [(s.name, s.kind) for s in runtime.input_schema.inputs] == [
        (c, "double") for c in X.columns
    ]
