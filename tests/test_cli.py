"""The ``skmed`` command line, run as a subprocess (``python -m skmed ...``) on small data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from runtime_only import run_runtime_only

from skmed.cli import main
from skmed.datasets import load_diagnosis
from skmed.report import SECTIONS
from skmed.runtime import OnnxClassifier

FAST_TRAIN = ["--epochs", "15", "--bootstraps", "100", "--validation", "holdout"]


def run_skmed(*args, cwd=None, env=None, check=None):
    """Run ``python -m skmed args`` and return the CompletedProcess."""
    proc = subprocess.run(
        [sys.executable, "-m", "skmed", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    if check is not None:
        assert proc.returncode == check, proc.stderr[-3000:]
    return proc


def assert_one_line_error(proc, *fragments):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("skmed: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def no_leftovers(directory):
    """No temporary files written by the atomic writes remain."""
    return [f for f in os.listdir(directory) if f.endswith(".tmp")] == []


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    frame = load_diagnosis(n_samples=400, random_state=1).frame
    frame.insert(0, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    frame.to_csv(d / "train.csv", index=False)
    new = load_diagnosis(n_samples=60, random_state=2).data
    new.insert(0, "patient_id", [f"N{i:04d}" for i in range(len(new))])
    new.to_csv(d / "new.csv", index=False)
    return d


@pytest.fixture(scope="module")
def trained(workdir):
    """One `skmed train` run shared by the tests that need a model."""
    proc = run_skmed(
        "train",
        "train.csv",
        "--target",
        "diagnosis",
        "--drop",
        "patient_id",
        "--out",
        "model.onnx",
        "--report",
        "report.html",
        "--report-json",
        "report.json",
        "--group",
        "sex",
        *FAST_TRAIN,
        cwd=workdir,
        check=0,
    )
    return workdir, proc


# ---------------------------------------------------------------------- help and basics


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["predict"], ["inspect"]])
def test_help(command):
    proc = run_skmed(*command, "--help", check=0)
    assert proc.stdout.startswith("usage: skmed")
    assert "--debug" in proc.stdout
    if command:
        assert "example" in proc.stdout


def test_version_and_no_command():
    assert run_skmed("--version", check=0).stdout.startswith("skmed ")
    proc = run_skmed()
    assert proc.returncode == 2 and "usage: skmed" in proc.stdout


def test_usage_error_exits_2(workdir):
    proc = run_skmed("train", "train.csv", cwd=workdir)  # no --target
    assert proc.returncode == 2 and "--target" in proc.stderr


# ---------------------------------------------------------------------- train / inspect


def test_train_writes_model_and_report(trained):
    d, proc = trained
    out = proc.stdout
    assert "Epoch 1/" in out  # Keras' progress bar
    assert "Balanced accuracy (held out):" in out and "95% CI" in out
    assert "Rows: 400 (300 training, 100 held out)" in out
    html = (d / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}"' in html
    report = json.loads((d / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"] and report["subgroups"]
    parity = [n for n in report["notes"] if n.startswith("ONNX export checked")]
    assert len(parity) == 1
    diff = float(re.search(r"largest probability difference (\S+),", parity[0]).group(1))
    assert diff <= 1e-4
    # the logistic-regression baseline on the same rows, and the sample size, in both outputs
    comparison = report["comparison"]
    assert comparison["models"] == ["LogisticRegression", "MedicalMLPClassifier"]
    assert comparison["settings"]["n_samples"] == 100 and comparison["verdict"]
    assert f"Against logistic regression: {comparison['verdict']}" in out
    size = report["sample_size"]
    assert size["n_samples"] == 300 and size["n_parameters"] > 20
    assert f"Sample size: {size['sentence']}" in out
    assert size["enough"] is False and any("Riley et al." in n for n in report["notes"])
    assert "Shrinkage &ge; 0.9" in html and comparison["verdict"] in html
    model = OnnxClassifier(d / "model.onnx")
    assert model.classes_.tolist() == sorted(load_diagnosis(n_samples=10).target_names)
    names = model.feature_names_in_.tolist()
    assert "patient_id" not in names and "diagnosis" not in names and len(names) == 23
    assert model.metadata["target"] == "diagnosis"
    assert no_leftovers(d)


@pytest.mark.parametrize("validation", ["auto", "bootstrap"])
def test_train_validates_on_all_rows(workdir, tmp_path, validation):
    """Below 1,000 rows `auto` is 5 x 5-fold CV; both fit the final model on every row."""
    out = tmp_path / f"{validation}.onnx"
    report_json = tmp_path / f"{validation}.json"
    proc = run_skmed(
        "train", "train.csv", "--target", "diagnosis", "--drop", "patient_id",
        "--out", str(out), "--report", str(tmp_path / "r.html"), "--report-json",
        str(report_json), "--epochs", "15", "--bootstraps", "50", "--validation", validation,
        "--refits", "6", "--explain-patients", "2", cwd=workdir, check=0,
    )  # fmt: skip
    method = "cv" if validation == "auto" else "bootstrap"
    total = 25 if method == "cv" else 6
    assert f"{method} refits: {total}/{total}" in proc.stdout
    assert "Rows: 400 (all for the final model; " in proc.stdout
    report = json.loads(report_json.read_text())
    assert report["validation"]["method"] == method and report["validation"]["n_fits"] == total
    table = report["validation"]["table"]
    if method == "cv":
        assert report["data_summary"]["n_samples"] == 400  # every row predicted out of fold
        assert set(table["roc_auc"]) == {"mean", "sd"}
    else:
        assert table["roc_auc"]["corrected"] <= table["roc_auc"]["apparent"]
    assert report["validation"]["sentence"] in proc.stdout
    assert OnnxClassifier(out).metadata["n_train"] == "400"
    assert len(report["explanations"]) == 2 and report["importance"]
    assert "comparison" in report["figures"] and report["comparison"]["verdict"]


@pytest.mark.parametrize("impute", ["median", "iterative", "knn"])
def test_train_imputes_with_indicators_and_the_file_matches_the_pipeline(workdir, tmp_path, impute):
    """What `skmed train --impute` runs: on rows with gaps (a column complete in training
    missing now, all-missing rows) the exported file gives the pipeline's probabilities."""
    from skmed._workflow import check_target, train_evaluate_export
    from skmed.pipeline import infer_column_types

    frame = pd.read_csv(workdir / "train.csv").drop(columns=["patient_id"])
    X, y, _ = check_target(frame, "diagnosis")
    types = infer_column_types(X)
    result = train_evaluate_export(
        X, y, types, epochs=10, n_bootstraps=20, impute=impute,
        allow_patient_rows=impute == "knn", optional_columns=types.numeric,
    )  # fmt: skip
    numeric = result.pipeline[0].named_transformers_["numeric"]
    assert any(getattr(step, "add_indicator", False) for _, step in numeric.steps)
    gaps = X.head(40).copy()
    gaps.loc[gaps.index[:4], "age"] = np.nan  # complete in training
    gaps.loc[gaps.index[4:6], types.numeric] = np.nan
    model = OnnxClassifier(result.onnx_bytes)
    # the numeric columns are complete in training: imputed only because they were listed
    assert model.input_profile["age"].missing_allowed and not model.input_profile["age"].required
    expected = result.pipeline.predict_proba(gaps)
    assert np.abs(model.predict_proba(gaps) - expected).max() <= 1e-5
    assert (model.predict(gaps) == result.pipeline.predict(gaps)).all()
    # and through `skmed predict` on a CSV (missing cells written empty)
    (tmp_path / "m.onnx").write_bytes(result.onnx_bytes)
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    assert main(["predict", str(tmp_path / "m.onnx"), str(tmp_path / "gaps.csv"), "--out",
                 str(tmp_path / "p.csv")]) == 0  # fmt: skip
    written = pd.read_csv(tmp_path / "p.csv")[[f"proba_{c}" for c in model.classes_]]
    np.testing.assert_allclose(written.to_numpy(), expected, atol=1e-5)
    assert model.metadata["impute"] == impute
    assert ("patient_rows" in model.metadata) == (impute == "knn")
    if impute == "knn":
        assert any("treat it as patient data" in n for n in result.report.notes)
        refused = run_skmed(
            "train", "train.csv", "--target", "diagnosis", "--drop", "patient_id", "--out",
            str(tmp_path / "knn.onnx"), "--impute", "knn", *FAST_TRAIN, cwd=workdir,
        )  # fmt: skip
        assert_one_line_error(refused, "keeps the training rows", "--allow-patient-rows")
        assert not (tmp_path / "knn.onnx").exists()


def test_train_quiet_binary_numeric_target(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "flag": rng.random(n) < 0.5,  # booleans: numeric features
            "ward": rng.choice(["A", "B", "C"], size=n),
        }
    )
    frame["outcome"] = (frame["x1"] + rng.normal(0, 0.5, n) > 0).astype(int)
    frame.to_csv(tmp_path / "d.csv", index=False)
    proc = run_skmed(
        "train", "d.csv", "--target", "outcome", "--quiet", *FAST_TRAIN, cwd=tmp_path, check=0
    )
    assert proc.stdout == ""
    assert (tmp_path / "model.onnx").is_file() and (tmp_path / "report.html").is_file()
    model = OnnxClassifier(tmp_path / "model.onnx")
    assert model.classes_.tolist() == [0, 1]
    # predicting the training file (booleans written as True/False, target passed through)
    proc = run_skmed("predict", "model.onnx", "d.csv", cwd=tmp_path, check=0)
    lines = proc.stdout.splitlines()
    assert lines[0] == "x1,flag,ward,outcome,predicted_label,proba_0,proba_1"
    assert len(lines) == n + 1


def test_inspect(trained):
    d, _ = trained
    proc = run_skmed("inspect", "model.onnx", cwd=d, check=0)
    out = proc.stdout
    assert re.search(r"^  age\s+double$", out, re.M)
    assert re.search(r"^  sex\s+string$", out, re.M)
    assert "Classes (5): anaemia, bacterial_pneumonia, healthy" in out
    # one rule, stated alike by inspect, the training summary and report, read from the file
    decision = OnnxClassifier(d / "model.onnx").decision
    assert decision.rule == "costs" and "class_weight='balanced'" in decision.source
    assert f"Decision: {decision.describe()}" in out
    assert f"Decision: {decision.describe()}" in trained[1].stdout
    report = json.loads((d / "report.json").read_text(encoding="utf-8"))
    assert report["operating_point"]["description"] == decision.describe()
    assert re.search(r"^  target\s+diagnosis$", out, re.M)
    info = json.loads(run_skmed("inspect", "model.onnx", "--json", cwd=d, check=0).stdout)
    assert {"name": "smoking", "type": "string"} in info["inputs"]
    assert info["threshold"] is None and len(info["classes"]) == 5
    assert info["decision"]["rule"] in ("argmax", "costs")
    assert info["metadata"]["skmed_format"] == "skmed-onnx/1"


def test_workflow_metadata_lists_text_features_and_parity_is_checked_on_held_out_rows():
    """What `skmed train/demo` runs, called directly: symptom-list columns are in the metadata."""
    from skmed._workflow import check_target, train_evaluate_export
    from skmed.onnx import check_parity
    from skmed.pipeline import infer_column_types

    frame = load_diagnosis(n_samples=240, random_state=1, include_symptom_text=True).frame
    X, y, _ = check_target(frame, "diagnosis")
    types = infer_column_types(X)
    assert types.text == ["symptoms"]
    result = train_evaluate_export(X, y, types, epochs=5, n_bootstraps=20)
    model = OnnxClassifier(result.onnx_bytes)
    assert json.loads(model.metadata["text_features"]) == ["symptoms"]
    assert json.loads(model.metadata["numeric_features"]) == types.numeric
    assert json.loads(model.metadata["categorical_features"]) == types.categorical
    assert 0.0 <= result.parity_max_abs_diff <= 1e-4
    assert result.parity_label_agreement == 1.0
    assert any(f"on the {result.n_test} held-out rows" in n for n in result.report.notes)
    parity = check_parity(result.onnx_bytes, result.pipeline, X)
    assert parity["n_rows"] == len(X) and parity["max_abs_diff"] <= 1e-4


# ---------------------------------------------------------------------- predict


def test_predict_adds_label_and_probabilities(trained):
    d, _ = trained
    proc = run_skmed(
        "predict", "model.onnx", "new.csv", "--out", "pred.csv", "--chunk-size", "7", cwd=d, check=0
    )
    new = pd.read_csv(d / "new.csv")
    pred = pd.read_csv(d / "pred.csv")
    model = OnnxClassifier(d / "model.onnx")
    proba_cols = [f"proba_{c}" for c in model.classes_]
    assert list(pred.columns) == [*new.columns, "predicted_label", *proba_cols]
    assert len(pred) == len(new)
    pd.testing.assert_frame_equal(pred[new.columns], new)  # input rows pass through
    np.testing.assert_allclose(pred[proba_cols].sum(axis=1), 1.0, atol=1e-5)
    expected = model.predict_proba(new.drop(columns=["patient_id"]))
    np.testing.assert_allclose(pred[proba_cols].to_numpy(), expected, atol=1e-6)
    assert (pred["predicted_label"] == model.predict(new.drop(columns=["patient_id"]))).all()
    assert f"predicted_label: {model.decision.describe()}" in proc.stderr
    # standard output gives the same table
    stdout = run_skmed("predict", "model.onnx", "new.csv", cwd=d, check=0).stdout
    assert stdout == (d / "pred.csv").read_text(encoding="utf-8")
    assert no_leftovers(d)


def test_predict_and_inspect_use_only_the_runtime(trained):
    """With scikit-learn, Keras and the backends made unimportable, both commands still work."""
    d, _ = trained
    for args in (
        ["predict", "model.onnx", "new.csv", "--out", "light.csv"],
        ["inspect", "model.onnx"],
    ):
        proc = run_runtime_only(args, cwd=d)
        assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(d / "light.csv")) == 60


# ---------------------------------------------------------------------- demo


def test_demo(tmp_path):
    out_dir = tmp_path / "demo-out"
    proc = run_skmed(
        "demo",
        "--out-dir",
        out_dir,
        "--n-samples",
        "300",
        "--epochs",
        "10",
        "--bootstraps",
        "50",
        check=0,
    )
    out = proc.stdout
    stages = ("[1/7] data", "[2/7] training", "[4/7] baseline and sample size", "[6/7] parity")
    for stage in stages:
        assert stage in out
    assert "Rows: 300 (225 training, 75 held out)" in out
    assert re.search(r"Balanced accuracy \(held out\): [01]\.\d+ \(95% CI", out)
    diff = float(re.search(r"max abs probability difference (\S+),", out).group(1))
    assert diff <= 1e-4
    for name in ("model.onnx", "report.html", "report.json"):
        assert (out_dir / name).is_file()
        assert str(out_dir / name) in out
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert all(f'<section id="{s}"' in html for s in SECTIONS)
    model = OnnxClassifier(out_dir / "model.onnx")
    X = load_diagnosis(n_samples=20, random_state=5, include_symptom_text=True).data
    assert model.predict_proba(X).shape == (20, 5)


# ---------------------------------------------------------------------- bad input


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path.name


@pytest.fixture(scope="module")
def bad_files(workdir):
    d = workdir
    _write(d / "empty.csv", "")
    _write(d / "header_only.csv", "age,sex,diagnosis\n")
    _write(d / "malformed.csv", 'a,b\n1,2\n3,"unterminated\n')
    _write(d / "one_class.csv", "age,sex,diagnosis\n" + "50,F,healthy\n" * 20)
    _write(d / "not_a_model.onnx", "this is not an ONNX file")
    text = pd.read_csv(d / "new.csv", dtype=str)
    text.loc[41, "crp_mg_l"] = "high"
    text.to_csv(d / "text_in_numeric.csv", index=False)
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    # pinned IR version and opset: the newest onnx writes an IR version that older onnxruntime
    # releases (the last for Python 3.10) refuse, which would test the wrong error
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, d / "plain.onnx")
    return d


_TRAIN = ["train", "--target", "diagnosis", "--out", "bad_model.onnx", "--report", "bad.html"]


@pytest.mark.parametrize(
    ("args", "fragments", "unwanted"),
    [
        (["train", "missing.csv", "--target", "diagnosis"], ["no such file", "missing.csv"], []),
        (
            [*_TRAIN, "train.csv", "--target", "dx"],
            ["target column ['dx'] not found"],
            ["bad_model.onnx", "bad.html"],
        ),
        ([*_TRAIN, "one_class.csv"], ["has 1 class ('healthy')"], ["bad_model.onnx"]),
        ([*_TRAIN, "empty.csv"], ["'empty.csv' is empty"], ["bad_model.onnx"]),
        ([*_TRAIN, "header_only.csv"], ["no data rows"], ["bad_model.onnx"]),
        ([*_TRAIN, "malformed.csv"], ["not a readable CSV"], ["bad_model.onnx"]),
        (
            ["train", "train.csv", "--target", "diagnosis", "--out", "nodir/m.onnx"],
            ["directory 'nodir' does not exist"],
            [],
        ),
        (
            [
                "predict",
                "model.onnx",
                "text_in_numeric.csv",
                "--out",
                "bad_pred.csv",
                "--chunk-size",
                "10",
            ],
            ["column 'crp_mg_l'", "line 43", "'high'", "not a number"],
            ["bad_pred.csv"],
        ),
        (
            ["predict", "not_a_model.onnx", "new.csv", "--out", "bad_pred.csv"],
            ["not_a_model.onnx", "not ONNX"],
            ["bad_pred.csv"],
        ),
        (
            ["predict", "plain.onnx", "new.csv", "--out", "bad_pred.csv"],
            ["not written by skmed"],
            ["bad_pred.csv"],
        ),
        (["predict", "missing.onnx", "new.csv"], ["missing.onnx"], []),
        (["predict", "model.onnx", "missing.csv"], ["no such file", "missing.csv"], []),
        (
            ["predict", "model.onnx", "empty.csv", "--out", "bad_pred.csv"],
            ["is empty"],
            ["bad_pred.csv"],
        ),
        (
            ["predict", "model.onnx", "one_class.csv", "--out", "bad_pred.csv"],
            ["the model's column(s)", "'crp_mg_l'", "not found in 'one_class.csv'"],
            ["bad_pred.csv"],
        ),
        (
            ["predict", "model.onnx", "new.csv", "--out", "nodir/p.csv"],
            ["directory 'nodir' does not exist"],
            [],
        ),
        (["inspect", "not_a_model.onnx"], ["not_a_model.onnx"], []),
        (["inspect", "plain.onnx"], ["not written by skmed"], []),
    ],
    ids=[
        "train-missing-file",
        "train-missing-target",
        "train-one-class",
        "train-empty-csv",
        "train-header-only",
        "train-malformed",
        "train-out-dir-missing",
        "predict-text-in-number",
        "predict-not-onnx",
        "predict-foreign-onnx",
        "predict-missing-model",
        "predict-missing-data",
        "predict-empty",
        "predict-missing-columns",
        "predict-out-dir-missing",
        "inspect-not-onnx",
        "inspect-foreign-onnx",
    ],
)
def test_bad_input_gives_one_line_error(trained, bad_files, args, fragments, unwanted):
    d = bad_files
    proc = run_skmed(*args, cwd=d)
    assert proc.returncode == 1
    assert_one_line_error(proc, *fragments)
    for name in unwanted:
        assert not (d / name).exists()
    assert not (d / "nodir").exists()
    assert no_leftovers(d)


def test_debug_shows_traceback(workdir):
    proc = run_skmed("--debug", "train", "missing.csv", "--target", "x", cwd=workdir)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    proc = run_skmed("train", "missing.csv", "--target", "x", cwd=workdir, env={"SKMED_DEBUG": "1"})
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_failed_predict_keeps_existing_output(trained, bad_files):
    d = bad_files
    (d / "keep.csv").write_text("previous content\n", encoding="utf-8")
    proc = run_skmed(
        "predict",
        "model.onnx",
        "text_in_numeric.csv",
        "--out",
        "keep.csv",
        "--chunk-size",
        "5",
        cwd=d,
    )
    assert_one_line_error(proc, "line 43")
    assert (d / "keep.csv").read_text(encoding="utf-8") == "previous content\n"


# ---------------------------------------------------------------------- slow


@pytest.mark.slow
def test_train_grid(workdir, tmp_path):
    proc = run_skmed(
        "train",
        workdir / "train.csv",
        "--target",
        "diagnosis",
        "--drop",
        "patient_id",
        "--grid",
        "--epochs",
        "5",
        "--bootstraps",
        "50",
        cwd=tmp_path,
        check=0,
    )
    assert "Fitting 3 folds for each of 8 candidates" in proc.stdout
    assert re.search(r"Grid search: best .*hidden_layer_sizes=", proc.stdout)
    assert "grid_best_params" in OnnxClassifier(tmp_path / "model.onnx").metadata


@pytest.mark.slow
def test_predict_one_million_rows_in_bounded_memory(trained, tmp_path):
    d, _ = trained
    n = 1_000_000
    new = pd.read_csv(d / "new.csv")
    rng = np.random.default_rng(0)
    big = new.iloc[rng.integers(0, len(new), n)]
    big.to_csv(tmp_path / "big.csv", index=False)
    size_mb = os.path.getsize(tmp_path / "big.csv") / 2**20
    # measure the peak RSS of the predicting process alone, in a fresh parent
    measure = textwrap.dedent(
        """
        import resource, subprocess, sys
        proc = subprocess.run([sys.executable, "-m", "skmed", *sys.argv[1:]])
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(peak_kb)
        sys.exit(proc.returncode)
        """
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            measure,
            "predict",
            d / "model.onnx",
            tmp_path / "big.csv",
            "--out",
            tmp_path / "big_pred.csv",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    peak_mb = int(proc.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB for a {size_mb:.0f} MB CSV"
    with open(tmp_path / "big_pred.csv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
        n_lines = sum(1 for _ in f)
    assert n_lines == n
    assert header[-6:] == [
        "predicted_label",
        *[f"proba_{c}" for c in sorted(load_diagnosis(n_samples=10).target_names)],
    ]


def test_train_refuses_identifier_columns_until_dropped_or_kept(workdir):
    frame = pd.read_csv(workdir / "train.csv").head(200)
    first, last = ["Jane", "Omar", "Li", "Maria", "Tom"], ["Doe", "Khan", "Wei", "Silva", "Berg"]
    names = [f"{first[i % 5]} {last[(i // 5) % 5]}-{chr(65 + i % 26)}" for i in range(len(frame))]
    frame.insert(1, "patient_name", names)
    frame.insert(2, "phone", [f"+44 20 7946 {i:04d}" for i in range(len(frame))])
    frame.to_csv(workdir / "identified.csv", index=False)
    refused = run_skmed(
        "train",
        "identified.csv",
        "--target",
        "diagnosis",
        "--drop",
        "patient_id",
        "--out",
        "id.onnx",
        cwd=workdir,
    )
    assert_one_line_error(refused, "patient_name", "phone", "--drop", "--keep")
    assert not (workdir / "id.onnx").exists()
    dropped = run_skmed(
        "train",
        "identified.csv",
        "--target",
        "diagnosis",
        "--drop",
        "patient_id,patient_name,phone",
        "--out",
        "id.onnx",
        "--report",
        "id.html",
        "--quiet",
        *FAST_TRAIN,
        cwd=workdir,
        check=0,
    )
    assert (workdir / "id.onnx").exists(), dropped.stderr
    assert "patient_name" not in OnnxClassifier(str(workdir / "id.onnx")).feature_names_in_
