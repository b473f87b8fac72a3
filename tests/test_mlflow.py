"""skmed.mlflow with the real mlflow package and a local SQLite tracking store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")

from serve_models import MODEL_CARD, fit_models  # noqa: E402

import skmed.mlflow as skmed_mlflow  # noqa: E402
from skmed import to_onnx  # noqa: E402
from skmed.runtime import ModelFormatError, OnnxClassifier  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mlflow-models")
    out = {}
    for name, (model, X) in fit_models().items():
        if name in ("multiclass", "mixed"):
            path = directory / f"{name}.onnx"
            card = {"model_card": MODEL_CARD} if name == "mixed" else None
            to_onnx(model, X.head(50), path=path, reference_data=X, metadata=card)
            out[name] = (X, path)
    return out


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlruns")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    # artifacts under the temporary directory too: MLflow's default is ./mlruns in the cwd
    experiment = mlflow.create_experiment(
        "skmed-tests", artifact_location=(root / "artifacts").as_uri()
    )
    mlflow.set_experiment(experiment_id=experiment)
    yield uri
    mlflow.set_tracking_uri(previous)


def _expected(path, X):
    runtime = OnnxClassifier(path)
    labels, proba = runtime.predict_with_proba(X)
    frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in runtime.classes_])
    frame.insert(0, "predicted_label", labels)
    return frame


def test_log_and_load_as_pyfunc_in_a_fresh_process(exported, tracking, tmp_path):
    X, path = exported["multiclass"]
    with mlflow.start_run():
        info = skmed_mlflow.log_model(path, name="iris", metadata={"owner": "tests"})
    rows = X.iloc[::7]
    rows.to_csv(tmp_path / "rows.csv", index=False)
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        f"mlflow.set_tracking_uri({tracking!r})\n"
        f"model = mlflow.pyfunc.load_model({info.model_uri!r})\n"
        f"out = model.predict(pd.read_csv({str(tmp_path / 'rows.csv')!r}))\n"
        f"out.to_json({str(tmp_path / 'out.json')!r}, orient='split', double_precision=15)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'keras', 'torch', 'skl2onnx'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    got = pd.read_json(tmp_path / "out.json", orient="split")
    want = _expected(path, rows).reset_index(drop=True)
    assert list(got.columns) == [
        "predicted_label",
        "proba_setosa",
        "proba_versicolor",
        "proba_virginica",
    ]
    assert got["predicted_label"].tolist() == want["predicted_label"].tolist()
    # one row per patient, one column per class: no flattened or interleaved probabilities
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), want.iloc[:, 1:].to_numpy(), atol=1e-12)
    np.testing.assert_allclose(got.iloc[:, 1:].sum(axis=1), 1.0, atol=1e-6)


def test_signature_and_metadata(exported, tracking):
    X, path = exported["mixed"]
    with mlflow.start_run():
        info = skmed_mlflow.log_model(path, name="sepsis")
    inputs = info.signature.inputs.to_dict()
    assert [c["name"] for c in inputs] == ["age", "bmi", "lactate", "smoker", "sex"]
    # numbers as "any": a CSV's whole numbers arrive as int64, a blank makes float64
    assert [c["type"] for c in inputs] == ["long", "any", "any", "boolean", "string"]
    # sex: never missing in training, so required (bmi was missing: imputed)
    assert [c["required"] for c in inputs] == [True, False, True, True, True]
    outputs = [c["name"] for c in info.signature.outputs.to_dict()]
    assert outputs == ["predicted_label", "proba_no sepsis", "proba_sepsis"]
    skmed_meta = info.metadata["skmed"]
    assert skmed_meta["skmed_format"] == "skmed-onnx/1"
    assert json.loads(skmed_meta["classes"]) == ["no sepsis", "sepsis"]
    assert "input_profile" not in skmed_meta  # bulky and already in the signature
    runtime = OnnxClassifier(path)
    assert skmed_meta["decision"] == json.loads(json.dumps(runtime.decision.to_dict()))
    assert skmed_meta["model_card"] == json.loads(runtime.metadata["model_card"])
    flavor = info.flavors["skmed"]
    assert flavor["classes"] == ["no sepsis", "sepsis"]
    loaded = skmed_mlflow.load_model(info.model_uri)
    assert isinstance(loaded, OnnxClassifier)
    np.testing.assert_array_equal(
        loaded.predict_proba(X.head(5)), OnnxClassifier(path).predict_proba(X.head(5))
    )
    # the pyfunc in this process, with optional columns left out by the caller
    pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    frame = X.head(5).drop(columns=["bmi"])
    got = pyfunc.predict(frame)
    want = _expected(path, X.head(5).assign(bmi=np.nan))
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), want.iloc[:, 1:].to_numpy(), atol=1e-12)


def test_pyfunc_predicts_a_frame_read_from_csv(exported, tracking, tmp_path):
    """The documented call on integer-typed columns, as pd.read_csv gives them."""
    X, path = exported["mixed"]
    head = X.head(8)
    rows = head.assign(  # whole numbers, written without a decimal point
        bmi=head["bmi"].fillna(27).round().astype("int64"),
        lactate=head["lactate"].round().astype("int64"),
    )
    rows.to_csv(tmp_path / "rows.csv", index=False)
    frame = pd.read_csv(tmp_path / "rows.csv")
    assert frame["bmi"].dtype == np.int64 and frame["lactate"].dtype == np.int64
    with mlflow.start_run():
        info = skmed_mlflow.log_model(path, name="csv")
    got = mlflow.pyfunc.load_model(info.model_uri).predict(frame)
    want = _expected(path, rows)
    assert got["predicted_label"].tolist() == want["predicted_label"].tolist()
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), want.iloc[:, 1:].to_numpy(), atol=1e-12)
    # a blank in an optional integer-valued column: float64 with NaN, accepted too
    frame.loc[0, "bmi"] = np.nan
    got = mlflow.pyfunc.load_model(info.model_uri).predict(frame)
    assert len(got) == 8
    # and a text value in a number column is still refused, by the runtime, naming it
    with pytest.raises(Exception, match="lactate"):
        mlflow.pyfunc.load_model(info.model_uri).predict(frame.assign(lactate="high"))


def test_models_predict_with_the_local_environment(exported, tracking, tmp_path):
    X, path = exported["mixed"]
    with mlflow.start_run():
        info = skmed_mlflow.log_model(path, name="sepsis-local")
    rows = X.head(12)
    out = tmp_path / "predictions.json"
    mlflow.models.predict(
        info.model_uri,
        input_data=rows,
        env_manager="local",
        content_type="json",
        output_path=str(out),
    )
    predictions = json.loads(out.read_text())["predictions"]
    want = _expected(path, rows)
    assert [p["predicted_label"] for p in predictions] == want["predicted_label"].tolist()
    got = np.array([[p["proba_no sepsis"], p["proba_sepsis"]] for p in predictions])
    np.testing.assert_allclose(got, want.iloc[:, 1:].to_numpy(), atol=1e-12)


def test_save_model_refuses_and_keeps_what_exists(exported, tmp_path):
    _, path = exported["mixed"]
    target = tmp_path / "saved"
    skmed_mlflow.save_model(path, target)
    assert sorted(os.listdir(target)) == [
        "MLmodel",
        "conda.yaml",
        "model.onnx",
        "python_env.yaml",
        "requirements.txt",
    ]
    before = (target / "MLmodel").read_text()
    with pytest.raises(FileExistsError, match="exists"):
        skmed_mlflow.save_model(path, target)
    assert (target / "MLmodel").read_text() == before
    with pytest.raises(ValueError, match="no input_example"):
        skmed_mlflow.save_model(path, tmp_path / "other", input_example=pd.DataFrame({"a": [1]}))
    not_skmed = tmp_path / "junk.onnx"
    not_skmed.write_bytes(b"not onnx")
    with pytest.raises(ModelFormatError):
        skmed_mlflow.save_model(not_skmed, tmp_path / "junk")
    assert not (tmp_path / "junk").exists() and not (tmp_path / "other").exists()
    assert not list(tmp_path.glob("*.partial"))
