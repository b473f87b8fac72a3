"""The model card from training to the point of care: ``skmed train --card`` (classifier and
survival) and ``skmed.to_onnx(model_card=)`` store it in the file, the training report shows
its fields and the predictors' labels, units and ranges, ``skmed inspect`` prints them; a bad
card stops training before anything is written."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST as FAST_MLP
from survival_cohort import simulate

from skmed import MedicalMLPClassifier, to_onnx
from skmed._card import card_from_metadata
from skmed.cli import main
from skmed.datasets import load_diagnosis
from skmed.pipeline import infer_column_types, make_clinical_pipeline, prepare_features
from skmed.runtime import OnnxClassifier, OnnxSurvival

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "model_card.toml"
FAST = ["--epochs", "5", "--bootstraps", "50", "--validation", "holdout", "--quiet"]


def run(*args):
    """``skmed args`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("card")
    load_diagnosis(n_samples=200, random_state=5).frame.to_csv(d / "train.csv", index=False)
    return d


@pytest.fixture(scope="module")
def trained(data_dir):
    d = data_dir
    rc, _, err = run("train", d / "train.csv", "--target", "diagnosis", "--card", EXAMPLE,
                     "--out", d / "model.onnx", "--report", d / "report.html",
                     "--report-json", d / "report.json", *FAST)  # fmt: skip
    assert rc == 0, err
    return d


def test_card_is_stored_in_the_file(trained):
    card = card_from_metadata(OnnxClassifier(trained / "model.onnx").metadata)
    assert card["intended_use"].startswith("Demonstration of the skmed workflow: suggests")
    assert card["contact"] == "The skmed developers (https://github.com/skmed)"
    assert card["outcome"].startswith("diagnosis (anaemia, ")  # filled in by skmed train
    assert card["columns"]["temperature_c"] == {
        "label": "Body temperature",
        "unit": "°C",
        "range": [30.0, 43.0],
    }
    assert card["columns"]["crp_mg_l"]["range"] == [0.0, None]  # TOML's inf: no upper limit
    assert card["columns"]["sex"] == {"label": "Sex", "unit": "", "range": None}


def test_report_shows_the_card_and_the_predictors(trained):
    html = (trained / "report.html").read_text()
    for field, start in [
        ("Intended users", "Developers and reviewers of clinical prediction software"),
        ("Target population", "Synthetic adults aged 18 to 95"),
        ("Limitations", "Trained and evaluated on data drawn from a hand-written"),
        ("Contact", "The skmed developers"),
    ]:
        assert re.search(rf"<th>{field}</th><td>{re.escape(start)}", html), field
    row = r"<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>"
    assert re.search(row.format("temperature_c", "Body temperature", "°C", "30 to 43"), html)
    assert re.search(row.format("crp_mg_l", "C-reactive protein", "mg/L", "&gt;= 0"), html)
    assert re.search(row.format("sex", "Sex", "", ""), html)
    report = json.loads((trained / "report.json").read_text())
    assert report["model_card"]["columns"]["spo2_pct"]["range"] == [50.0, 100.0]


def test_inspect_prints_the_card(trained):
    rc, out, err = run("inspect", trained / "model.onnx")
    assert rc == 0, err
    card = out[out.index("Model card:") :]
    assert re.search(r"^  Intended use: Demonstration of the skmed workflow: suggests", card, re.M)
    assert re.search(r"^  Contact: The skmed developers", card, re.M)
    assert re.search(r"^    temperature_c\s+Body temperature \(°C\)\s+30 to 43$", card, re.M)
    assert re.search(r"^    crp_mg_l\s+C-reactive protein \(mg/L\)\s+>= 0$", card, re.M)
    assert '"intended_use"' not in out  # the card is not repeated as raw JSON
    info = json.loads(run("inspect", trained / "model.onnx", "--json")[1])
    assert json.loads(info["metadata"]["model_card"])["columns"]["age"]["unit"] == "years"


def test_survival_training_stores_and_reports_a_yaml_card(tmp_path):
    simulate(200, 0).drop(columns=["patient_id"]).to_csv(tmp_path / "cohort.csv", index=False)
    (tmp_path / "card.yaml").write_text(
        textwrap.dedent(
            """\
            intended_use: Five-year mortality risk after admission.
            contact: outcomes-team@example.org
            columns:
              lab:
                label: Troponin (standardised)
                range: [-5, 5]
              age: {label: Age, unit: years, range: [18, null]}
            """
        )
    )
    rc, _, err = run("train", tmp_path / "cohort.csv", "--time", "days", "--event", "died",
                     "--card", tmp_path / "card.yaml", "--out", tmp_path / "s.onnx",
                     "--report", tmp_path / "s.html", "--epochs", "20", "--quiet")  # fmt: skip
    assert rc == 0, err
    card = card_from_metadata(OnnxSurvival(tmp_path / "s.onnx").metadata)
    assert card["contact"] == "outcomes-team@example.org"
    assert card["columns"]["age"]["range"] == [18.0, None]
    assert card["outcome"].startswith("time to event: 'days'")
    html = (tmp_path / "s.html").read_text()
    assert "<th>Intended use</th><td>Five-year mortality risk after admission.</td>" in html
    assert "<td>Troponin (standardised)</td><td></td><td>-5 to 5</td>" in html


BAD_CARDS = {
    "unknown column": (
        '[columns.glucose]\nlabel = "Glucose"\n',
        ["columns.glucose names no input of the model", "'age'"],
    ),
    "range low > high": (
        "[columns.age]\nrange = [120, 18]\n",
        ["columns.age.range must have low < high", "[120, 18]"],
    ),
    "text field as a list": ("contact = [1, 2]\n", ["field 'contact' must be text"]),
    "label not text": ("[columns.age]\nlabel = 3\n", ["columns.age.label must be text"]),
    "unknown key": ('[columns.age]\nunits = "years"\n', ["unknown key(s) ['units']"]),
    "not TOML": ('intended_use = "unterminated\n', ["does not parse"]),
}


@pytest.mark.parametrize("case", list(BAD_CARDS))
def test_bad_card_stops_training_and_writes_nothing(data_dir, tmp_path, case):
    text, fragments = BAD_CARDS[case]
    (tmp_path / "card.toml").write_text(text)
    rc, _, err = run("train", data_dir / "train.csv", "--target", "diagnosis", "--card",
                     tmp_path / "card.toml", "--out", tmp_path / "m.onnx",
                     "--report", tmp_path / "r.html", *FAST)  # fmt: skip
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skmed: error: model card "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert os.listdir(tmp_path) == ["card.toml"]


def test_card_file_must_be_toml_or_yaml(data_dir, tmp_path):
    (tmp_path / "card.json").write_text("{}")
    rc, _, err = run("train", data_dir / "train.csv", "--target", "diagnosis", "--card",
                     tmp_path / "card.json", "--out", tmp_path / "m.onnx", *FAST)  # fmt: skip
    assert rc == 1 and "must be a .toml, .yaml or .yml file" in err
    rc, _, err = run("train", data_dir / "train.csv", "--target", "diagnosis", "--card",
                     tmp_path / "card.toml", "--out", tmp_path / "m.onnx", *FAST)  # fmt: skip
    assert rc == 1 and "no such model card file" in err and "card.toml" in err
    assert os.listdir(tmp_path) == ["card.json"]


# ---------------------------------------------------------------------- from Python


@pytest.fixture(scope="module")
def fitted():
    X, y = load_diagnosis(n_samples=150, random_state=0, return_X_y=True)
    types = infer_column_types(X)
    X = prepare_features(X, types)
    pipe = make_clinical_pipeline(types)
    pipe.set_params(classifier=MedicalMLPClassifier(**FAST_MLP, random_state=0))
    return pipe.fit(X, y), X


def test_to_onnx_model_card_round_trip(fitted, tmp_path):
    pipe, X = fitted
    card = {
        "intended_use": "Triage support  ",
        "limitations": None,
        "columns": {"spo2_pct": {"label": "SpO2", "unit": "%", "range": (50, 100)}},
    }
    to_onnx(pipe, X.head(5), path=tmp_path / "m.onnx", reference_data=None, model_card=card)
    model = OnnxClassifier(tmp_path / "m.onnx")
    assert json.loads(model.metadata["model_card"]) == {
        "intended_use": "Triage support",
        "columns": {"spo2_pct": {"label": "SpO2", "unit": "%", "range": [50.0, 100.0]}},
    }
    proba = model.predict_proba(X.head(20))
    np.testing.assert_allclose(proba, pipe.predict_proba(X.head(20)), atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_card": {"columns": {"spo2": {"unit": "%"}}}}, r"columns\.spo2 names no input"),
        ({"model_card": {"columns": {"age": {"range": [1, 1]}}}}, "low < high"),
        ({"model_card": {"contact": {"name": "x"}}}, "field 'contact' must be text"),
        ({"model_card": "text"}, "must be a table of fields"),
        (
            {"model_card": {"contact": "a"}, "metadata": {"model_card": '{"contact": "b"}'}},
            "Pass the model card once",
        ),
    ],
)
def test_to_onnx_refuses_a_bad_card_and_writes_nothing(fitted, tmp_path, kwargs, message):
    pipe, X = fitted
    with pytest.raises(ValueError, match=message):
        to_onnx(pipe, X.head(5), path=tmp_path / "m.onnx", reference_data=None, **kwargs)
    assert not os.path.exists(tmp_path / "m.onnx")
