"""skmed.evaluate and `skmed evaluate`: external validation from the ONNX file alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from serve_models import fit_models, mixed_frame

from skmed import evaluate, to_onnx
from skmed.cli import main
from skmed.metrics import clinical_metrics
from skmed.runtime import OnnxClassifier


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model, X = fit_models()["mixed"]
    directory = tmp_path_factory.mktemp("evaluate")
    path = directory / "mixed.onnx"
    card = {"intended_use": "Tests of external validation."}
    # the summary of a larger sample of the training population, so that its own sampling
    # error does not dominate the comparison
    reference = mixed_frame(3000, seed=0)[0]
    to_onnx(model, X.head(20), path=path, reference_data=reference, metadata={"model_card": card})
    return path


def _site(n=300, seed=11, shift=0.0):
    """A 'second site': the same generator, another seed, older patients when shifted."""
    X, y = mixed_frame(n, seed=seed)
    X["age"] = (X["age"] + shift).astype(np.int64)
    return X, y


def test_figures_equal_the_metrics_on_the_same_predictions(exported):
    X, y = _site()
    report = evaluate(exported, X, y, n_bootstraps=200, plots=False)
    proba = OnnxClassifier(exported).predict_proba(X)
    expected = clinical_metrics(
        y, proba, classes=["no sepsis", "sepsis"], threshold=0.5, n_bootstraps=200, random_state=0
    )
    got = report.metrics.set_index(["class", "metric"])
    want = expected.set_index(["class", "metric"])
    common = want.index.intersection(got.index)
    assert len(common) >= 8
    np.testing.assert_allclose(
        got.loc[common, ["estimate", "ci_lower", "ci_upper"]].to_numpy(dtype=float),
        want.loc[common, ["estimate", "ci_lower", "ci_upper"]].to_numpy(dtype=float),
        rtol=1e-12,
        equal_nan=True,
    )
    assert report.operating_point["threshold"] == 0.5
    assert report.model_card.intended_use == "Tests of external validation."
    assert report.model_info["params"]["file_sha256"] and report.drift["flagged"] == []


def test_drift_in_the_report(exported):
    X, y = _site(shift=15)
    report = evaluate(exported, X, y, n_bootstraps=50, plots=False)
    assert report.drift["flagged"] == ["age"]
    page = report.to_html()
    assert 'id="drift"' in page and "standardized mean difference" in page


def test_bad_input(exported, tmp_path):
    X, y = _site()
    with pytest.raises(ValueError, match=r"labels hold \['maybe'\], which the model does not know"):
        evaluate(exported, X, np.where(y == "sepsis", "maybe", y), plots=False)
    with pytest.raises(ValueError, match=r"no row of class\(es\) \['sepsis'\]"):
        evaluate(exported, X, np.full(len(X), "no sepsis", dtype=object), plots=False)
    with pytest.raises(ValueError, match=r"the model's column\(s\) \['lactate'\] not found in X"):
        evaluate(exported, X.drop(columns="lactate"), y, plots=False)
    with pytest.raises(ValueError, match="y has 10 labels but X has 300 rows"):
        evaluate(exported, X, y[:10], plots=False)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x01junk")
    with pytest.raises(ValueError, match="Could not load .* as an ONNX model"):
        evaluate(junk, X, y)


def test_cli(exported, tmp_path, capsys):
    X, y = _site(shift=15)
    X.assign(outcome=y).to_csv(tmp_path / "site.csv", index=False)
    html, js = tmp_path / "site.html", tmp_path / "site.json"
    argv = ["evaluate", str(exported), str(tmp_path / "site.csv"), "--target", "outcome"]
    assert (
        main(
            [
                *argv,
                "--report",
                str(html),
                "--report-json",
                str(js),
                "--group",
                "sex",
                "--bootstraps",
                "50",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Drift: 1 column(s) flagged (age)" in printed
    saved = json.loads(js.read_text())
    assert saved["drift"]["flagged"] == ["age"] and saved["subgroups"]
    assert html.read_text().startswith("<!DOCTYPE html>")
    # a missing target writes nothing
    for p in (html, js):
        p.unlink()
    assert main([*argv[:3], "--target", "nope", "--report", str(html)]) == 1
    assert "--target column(s) ['nope'] not found in" in capsys.readouterr().err
    assert not html.exists()


@pytest.fixture(scope="module")
def two_files(exported, tmp_path_factory):
    """The exported model, and a second one trained on another sample (with class counts)."""
    from sklearn.base import clone

    model, _ = fit_models()["mixed"]
    X, y = mixed_frame(600, seed=3)
    other = clone(model).fit(X, y)
    path = tmp_path_factory.mktemp("evaluate2") / "other.onnx"
    to_onnx(other, X.head(20), path=path, reference_data=X, reference_target=y)
    return exported, path


def test_several_models_are_compared_on_the_same_rows(two_files):
    first, second = two_files
    X, y = _site()
    report = evaluate([first, second], X, y, n_bootstraps=200, plots=False)
    comparison = report.comparison
    assert comparison["models"] == ["mixed.onnx", "other.onnx"]
    assert comparison["settings"]["threshold"] == 0.5 and comparison["settings"]["n_samples"] == 300
    # each model's figures are those of its own evaluation (same seed, same replicates)
    alone = evaluate(second, X, y, n_bootstraps=200, plots=False).metrics
    alone = alone.set_index("metric").loc["roc_auc", ["estimate", "ci_lower", "ci_upper"]]
    mine = [r for r in comparison["metrics"] if r["model"] == "other.onnx"]
    auc = next(r for r in mine if r["metric"] == "roc_auc")
    np.testing.assert_allclose(
        [auc["estimate"], auc["ci_lower"], auc["ci_upper"]], alone.to_numpy(float), rtol=1e-12
    )
    diff = next(d for d in comparison["differences"] if d["metric"] == "roc_auc")
    first_auc = report.metrics.set_index("metric").loc["roc_auc", "estimate"]
    assert diff["difference"] == pytest.approx(auc["estimate"] - first_auc, abs=1e-12)
    assert {d["metric"] for d in comparison["differences"]} == {"roc_auc", "brier", "net_benefit"}
    page = report.to_html()
    assert "Differences from the reference" in page and "other.onnx minus mixed.onnx" in page
    # a dict names them; models with other classes are refused by name
    named = evaluate({"A": first, "B": second}, X, y, n_bootstraps=20, plots=False)
    assert named.comparison["models"] == ["A", "B"]
    multiclass, Xi = fit_models()["multiclass"]
    iris = to_onnx(multiclass, Xi.head(5))
    with pytest.raises(ValueError, match=r"Model 'model 2' predicts the classes \['setosa'"):
        evaluate([first, iris.SerializeToString()], X, y, plots=False)


def test_outcome_rate_against_the_training_prevalence(two_files):
    first, second = two_files
    X, y = _site(n=600, seed=12)
    same = evaluate(second, X, y, n_bootstraps=20, plots=False).drift
    assert same["outcome_flagged"] == [] and len(same["outcome"]) == 2
    # keep every sepsis row and a third of the others: the site's rate roughly doubles
    rows = np.flatnonzero((y == "sepsis") | (np.arange(len(y)) % 3 == 0))
    shifted = evaluate(second, X.iloc[rows], y[rows], n_bootstraps=20, plots=False)
    assert shifted.drift["outcome_flagged"] == ["no sepsis", "sepsis"]
    assert "Outcome rate" in shifted.to_html()
    # the first file was exported without labels: a note, not an error
    note = evaluate(first, X, y, n_bootstraps=20, plots=False).drift["outcome_note"]
    assert "no training class counts" in note


def test_a_class_rarer_than_the_stored_minimum_keeps_its_share(two_files):
    from skmed.drift import check_drift

    _, second = two_files
    X, y = _site(n=600, seed=12)
    # five sepsis rows: fewer than a stored summary keeps, yet compared at their true share
    rows = np.r_[np.flatnonzero(y == "sepsis")[:5], np.flatnonzero(y != "sepsis")]
    report = check_drift(second, X.iloc[rows], y[rows])
    shares = {o.class_: o.share_new for o in report.outcome}
    assert shares["sepsis"] == round(5 / len(rows), 3) > 0
    assert report.outcome_flagged == ["no sepsis", "sepsis"]


def test_cli_with_two_models(two_files, tmp_path, capsys):
    first, second = two_files
    X, y = _site()
    X.assign(outcome=y).to_csv(tmp_path / "site.csv", index=False)
    argv = ["evaluate", str(first), str(second), str(tmp_path / "site.csv")]
    assert main([*argv, "--target", "outcome", "--bootstraps", "50"]) == 0
    printed = capsys.readouterr().out
    assert "Compared: other.onnx minus mixed.onnx: ROC AUC" in printed
    assert main(["drift", str(second), str(tmp_path / "site.csv"), "--target", "outcome"]) == 0
    assert "outcome sepsis:" in capsys.readouterr().out
