"""skmed.recalibrate and `skmed recalibrate`: an updated ONNX file fitted on a site's rows.

The site is a documented simulation: the training generator's patients, 15 years older on
average, with every effect halved and a higher baseline risk (log-odds 0.5 x training's + 1.0),
so that both the calibration intercept and the slope are off at the site.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serve_models import fit_models, mixed_frame, symptom_frame

from skmed import evaluate, recalibrate, to_onnx
from skmed.cli import main
from skmed.metrics import calibration_intercept_slope, clinical_metrics
from skmed.recalibration import fit_recalibration
from skmed.runtime import OnnxClassifier

NODE_DIR = Path(__file__).resolve().parents[1] / "examples" / "node"


def site(n, seed):
    X, _ = mixed_frame(n, seed=seed)
    X["age"] = (X["age"] + 15).clip(upper=99).astype(np.int64)
    rng = np.random.default_rng(seed + 1)
    training_risk = 0.04 * (X["age"] - 55) + 0.6 * X["lactate"] - 1.2 + 0.8 * X["smoker"]
    risk = 0.5 * training_risk + 1.0
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "sepsis", "no sepsis")
    return X, y


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    fitted = fit_models()
    directory = tmp_path_factory.mktemp("recalibrate")
    paths = {}
    for name, (model, X) in (("mixed", fitted["mixed"]), ("symptoms", fitted["symptoms"])):
        paths[name] = directory / f"{name}.onnx"
        to_onnx(model, X.head(20), path=paths[name])
    return paths


def test_intercept_sets_calibration_in_the_large_and_keeps_the_auc(models):
    parent = models["mixed"].read_bytes()
    X, y = site(1500, seed=5)
    X_new, y_new = site(1500, seed=6)
    before = OnnxClassifier(parent).predict_proba(X_new)[:, 1]
    a_before, _ = calibration_intercept_slope(y_new, before, pos_label="sepsis")
    assert a_before > 0.3  # the simulated site's risks are underestimated

    result = recalibrate(models["mixed"], X, y, method="intercept")
    assert result.recalibration.slope == 1.0
    fitted_rows = result.proba_after[:, 1]
    assert abs(fitted_rows.mean() - np.mean(y == "sepsis")) < 1e-6  # the MLE's score equation
    after = OnnxClassifier(result.model_bytes).predict_proba(X_new)[:, 1]
    table = clinical_metrics(
        y_new, after, classes=["no sepsis", "sepsis"], n_bootstraps=300, random_state=0
    ).set_index("metric")
    citl = table.loc["calibration_intercept"]
    assert citl["ci_lower"] <= 0 <= citl["ci_upper"], citl
    auc_before = clinical_metrics(y_new, before, classes=["no sepsis", "sepsis"], n_bootstraps=0)
    auc_before = auc_before.set_index("metric").loc["roc_auc", "estimate"]
    assert table.loc["roc_auc", "estimate"] == pytest.approx(auc_before, abs=1e-4)
    assert models["mixed"].read_bytes() == parent  # the original is never modified


def test_logistic_sets_the_slope_to_one(models):
    X, y = site(1500, seed=5)
    X_new, y_new = site(1500, seed=6)
    _, slope_before = calibration_intercept_slope(
        y_new, OnnxClassifier(models["mixed"]).predict_proba(X_new)[:, 1], pos_label="sepsis"
    )
    result = recalibrate(models["mixed"], X, y, method="logistic")
    a, b = calibration_intercept_slope(y, result.proba_after[:, 1], pos_label="sepsis")
    assert abs(a) < 1e-4 and abs(b - 1) < 1e-4  # apparent: the fit itself
    after = OnnxClassifier(result.model_bytes).predict_proba(X_new)[:, 1]
    table = clinical_metrics(
        y_new, after, classes=["no sepsis", "sepsis"], n_bootstraps=300, random_state=0
    ).set_index("metric")
    slope = table.loc["calibration_slope"]
    assert slope["ci_lower"] <= 1 <= slope["ci_upper"], (slope_before, slope)
    assert abs(slope["estimate"] - 1) < abs(slope_before - 1)


def test_the_graph_matches_numpy_and_keeps_the_decision_rule(models):
    X, y = site(800, seed=7)
    result = recalibrate(models["mixed"], X, y, method="logistic")
    runtime = OnnxClassifier(result.model_bytes)
    X_new, _ = site(400, seed=8)
    parent = OnnxClassifier(models["mixed"]).predict_proba(X_new)
    expected = result.recalibration.transform(parent)
    np.testing.assert_allclose(runtime.predict_proba(X_new), expected, atol=1e-6)
    labels = runtime.predict(X_new)
    decided = np.where(expected[:, 1] >= 0.5, "sepsis", "no sepsis")
    clear = np.abs(expected[:, 1] - 0.5) > 1e-5
    np.testing.assert_array_equal(labels[clear], decided[clear])


def test_provenance_in_the_metadata(models):
    X, y = site(600, seed=9)
    first = recalibrate(models["mixed"], X, y, method="intercept")
    meta = json.loads(OnnxClassifier(first.model_bytes).metadata["recalibration"])
    assert meta["parent_sha256"] == hashlib.sha256(models["mixed"].read_bytes()).hexdigest()
    assert meta["method"] == "intercept" and meta["n_rows"] == 600
    assert meta["class_counts"]["sepsis"] == int(np.sum(y == "sepsis"))
    assert meta["intercept"] == pytest.approx(first.recalibration.intercept)
    assert meta["date"].endswith("+00:00") and meta["previous"] is None
    second = recalibrate(first.model_bytes, X, y, method="logistic")
    chained = json.loads(OnnxClassifier(second.model_bytes).metadata["recalibration"])
    assert chained["previous"]["method"] == "intercept"
    assert chained["parent_sha256"] == hashlib.sha256(first.model_bytes).hexdigest()


@pytest.mark.parametrize("method", ["intercept", "logistic"])
def test_several_classes(models, method):
    X, y = symptom_frame(900, seed=21)
    # the site sees more pneumonia: half of the healthy rows are left out
    keep = (y != "healthy") | (np.arange(len(y)) % 2 == 0)
    X, y = X[keep].reset_index(drop=True), y[keep]
    result = recalibrate(models["symptoms"], X, y, method=method)
    classes = OnnxClassifier(models["symptoms"]).classes_
    observed = np.array([np.mean(y == c) for c in classes])
    np.testing.assert_allclose(result.proba_after.mean(axis=0), observed, atol=1e-6)
    np.testing.assert_allclose(result.proba_after.sum(axis=1), 1, atol=1e-6)
    assert result.recalibration.intercept is None


def test_fit_on_known_miscalibration():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, 20000)
    logit = np.log(p / (1 - p))
    truth = 1 / (1 + np.exp(-(0.7 + 0.5 * logit)))
    y = (rng.random(p.size) < truth).astype(int)
    fitted = fit_recalibration(np.column_stack([1 - p, p]), y, "logistic")
    assert fitted.intercept == pytest.approx(0.7, abs=0.06)
    assert fitted.slope == pytest.approx(0.5, abs=0.04)


def test_bad_input(models, tmp_path):
    X, y = site(300, seed=3)
    with pytest.raises(ValueError, match="do not know|does not know"):
        recalibrate(models["mixed"], X, np.where(y == "sepsis", "septic", y))
    with pytest.raises(ValueError, match=r"no row of class\(es\) \['sepsis'\]"):
        recalibrate(models["mixed"], X, np.full(len(y), "no sepsis"))
    with pytest.raises(ValueError, match="method must be one of"):
        recalibrate(models["mixed"], X, y, method="isotonic")
    with pytest.raises(ValueError, match=r"the model's column\(s\) \['lactate'\] not found in X"):
        recalibrate(models["mixed"], X.drop(columns="lactate"), y)
    other = tmp_path / "plain.onnx"
    from onnx import TensorProto, helper, save_model

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
    )
    save_model(helper.make_model(graph), other)
    with pytest.raises(ValueError, match="not written by skmed"):
        recalibrate(other, X, y)


def _csv(tmp_path, X, y, name="site.csv"):
    path = tmp_path / name
    X.assign(outcome=y).to_csv(path, index=False)
    return path


def test_cli_writes_a_new_file_that_skmed_predict_runs(models, tmp_path, capsys):
    X, y = site(800, seed=12)
    data = _csv(tmp_path, X, y)
    out = tmp_path / "site.onnx"
    parent = models["mixed"].read_bytes()
    code = main(
        ["recalibrate", str(models["mixed"]), str(data), "--target", "outcome",
         "--method", "logistic", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    assert "logit p' =" in capsys.readouterr().out
    assert models["mixed"].read_bytes() == parent
    expected = recalibrate(models["mixed"], X, y, method="logistic").proba_after
    rows = tmp_path / "rows.csv"
    X.to_csv(rows, index=False)
    predictions = tmp_path / "predictions.csv"
    assert main(["predict", str(out), str(rows), "--out", str(predictions)]) == 0
    got = pd.read_csv(predictions)[["proba_no sepsis", "proba_sepsis"]].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_report_shows_calibration_before_and_after(models, tmp_path, capsys):
    X, y = site(800, seed=14)
    data = _csv(tmp_path, X, y)
    out, html, js = tmp_path / "site.onnx", tmp_path / "r.html", tmp_path / "r.json"
    code = main(
        ["recalibrate", str(models["mixed"]), str(data), "--target", "outcome",
         "--method", "intercept", "--out", str(out), "--report", str(html),
         "--report-json", str(js)]
    )  # fmt: skip
    assert code == 0 and "HTML report" in capsys.readouterr().out
    saved = json.loads(js.read_text())
    before, after = saved["recalibration"]["before"], saved["recalibration"]["after"]
    assert before["sepsis"]["intercept"] > 0.3  # the site's risks were underestimated
    assert abs(after["sepsis"]["intercept"]) < 1e-4  # on the fitting rows, by construction
    assert saved["recalibration"]["record"]["method"] == "intercept"
    assert "recalibration" in saved["figures"]
    page = html.read_text()
    assert 'id="fig-recalibration"' in page and "logit p&#x27; =" not in page
    assert "logit p' = " in page and "Before" in page
    # evaluating the new file later shows where its risks come from
    later = evaluate(out, X, y, n_bootstraps=20, plots=False)
    assert (
        later.recalibration["record"]["parent_sha256"]
        == hashlib.sha256(models["mixed"].read_bytes()).hexdigest()
    )


def test_cli_errors_write_nothing(models, tmp_path, capsys):
    X, y = site(300, seed=13)
    data = _csv(tmp_path, X, y)
    out = tmp_path / "never.onnx"
    base = ["recalibrate", str(models["mixed"]), str(data), "--out", str(out)]
    assert main([*base, "--target", "nope"]) != 0
    assert "--target column(s) ['nope'] not found" in capsys.readouterr().err
    one_class = _csv(tmp_path, X, np.full(len(y), "no sepsis"), "one.csv")
    argv = ["recalibrate", str(models["mixed"]), str(one_class), "--target", "outcome"]
    assert main([*argv, "--out", str(out)]) != 0
    assert "no row of class(es) ['sepsis']" in capsys.readouterr().err
    assert not out.exists()
    assert main([*base[:3], "--target", "outcome", "--out", str(models["mixed"])]) != 0
    assert "never overwritten" in capsys.readouterr().err


@pytest.mark.slow
def test_node_runs_the_recalibrated_file(models, tmp_path):
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip("needs node and `npm install` in examples/node")
    X, y = site(600, seed=14)
    result = recalibrate(models["mixed"], X, y, method="logistic")
    result.save(tmp_path / "site.onnx")
    records = json.loads(X.to_json(orient="records"))
    (tmp_path / "records.json").write_text(json.dumps(records))
    out = subprocess.run(
        [node, str(NODE_DIR / "predict.js"), str(tmp_path / "site.onnx"),
         str(tmp_path / "records.json")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = np.array(json.loads(out.stdout)["probabilities"])
    np.testing.assert_allclose(got, result.proba_after, atol=1e-6)


def test_states_the_kept_rule_and_warns_when_a_class_stops_being_predicted(
    models, tmp_path, capsys
):
    """A site whose outcome the model does not rank (slope near 0) and that is rarer: the
    recalibrated risks all lie near the site's rate, under the kept threshold 0.5."""
    from skmed.recalibration import PredictionShareWarning

    X, _ = site(800, seed=31)
    y = np.where(np.random.default_rng(3).random(len(X)) < 0.15, "sepsis", "no sepsis")
    parent = OnnxClassifier(models["mixed"])
    with pytest.warns(PredictionShareWarning, match=r"labels 0.0% of these rows 'sepsis'"):
        result = recalibrate(models["mixed"], X, y, method="logistic")
    assert abs(result.recalibration.slope) < 0.5
    decision = result.decision
    assert decision["rule"] == parent.decision.describe()
    new = OnnxClassifier(result.model_bytes)
    labels_after = new.predict(X)
    assert decision["share_after"]["sepsis"] == pytest.approx(np.mean(labels_after == "sepsis"))
    assert decision["share_before"]["sepsis"] == pytest.approx(
        np.mean(parent.predict(X) == "sepsis")
    )
    assert decision["share_observed"]["sepsis"] == pytest.approx(np.mean(y == "sepsis"))
    assert "now applied to the recalibrated risks" in decision["note"]
    # the file says where its rule now comes from, and records the shares
    assert new.decision.source.endswith(
        "kept after logistic recalibration ("
        + (json.loads(new.metadata["recalibration"])["date"][:10] + ")")
    )
    assert json.loads(new.metadata["recalibration"])["decision"] == decision
    # the command line prints the rule and the warning
    data = _csv(tmp_path, X, y)
    out = tmp_path / "site.onnx"
    code = main(
        ["recalibrate", str(models["mixed"]), str(data), "--target", "outcome",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "The label output keeps the file's rule" in printed.out
    assert "warning: After logistic recalibration the kept rule labels 0.0%" in printed.err
