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
    with pytest.raises(ValueError, match=r"X lacks the model's column\(s\) \['lactate'\]"):
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
    assert "--target 'nope' is not a column" in capsys.readouterr().err
    assert not html.exists()
