"""External validation of an exported survival model: ``skmed.evaluate`` and ``skmed evaluate
--time/--event`` on a second simulated site, checked against the fitted pipeline's own report."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re

import numpy as np
import pytest
from html_parts import parse_html
from survival_cohort import simulate

import skmed
from skmed._evaluation import TaskMismatch
from skmed.cli import main
from skmed.datasets import survival_target
from skmed.drift import check_drift
from skmed.neural_network import MedicalMLPSurvival
from skmed.pipeline import infer_column_types, make_clinical_pipeline
from skmed.recalibration import recalibrate
from skmed.report import SurvivalReport, build_survival_report

FAST = {"hidden_layer_sizes": (8,), "epochs": 30, "n_members": 2, "random_state": 0}
HORIZONS = [365.0, 1095.0]
COLUMNS = ["age", "sex", "lab"]


def outcome(frame):
    return survival_target(frame["died"] == "yes", frame["days"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A survival pipeline trained on site A, its file, and site B's rows and outcomes."""
    train, site = simulate(400, 0), simulate(250, 1)
    X = train[COLUMNS]
    pipe = make_clinical_pipeline(infer_column_types(X), random_state=0)
    pipe.steps[-1] = ("survival", MedicalMLPSurvival(**FAST))
    pipe.fit(X, outcome(train))
    path = tmp_path_factory.mktemp("evaluate-survival") / "model.onnx"
    skmed.to_onnx(pipe, X, path=path, metadata={"model_card": json.dumps({"site": "A"})})
    return pipe, path, site[[*COLUMNS, "patient_id"]], outcome(site), site


def test_evaluate_reports_what_the_fitted_pipeline_reports(exported):
    pipe, path, X_site, y_site, _ = exported
    report = skmed.evaluate(path, X_site, y_site, horizons=HORIZONS, n_bootstraps=50, plots=False)
    assert isinstance(report, SurvivalReport)
    # the censoring weights come from the site's own follow-up: the pipeline's report with
    # y_train = y_test is what the file's report must equal (ONNX parity is 1e-5 on risks)
    expected = build_survival_report(
        pipe, X_site[COLUMNS], y_site, y_site, horizons=HORIZONS, n_bootstraps=50, plots=False
    )
    assert list(report.metrics.index) == list(expected.metrics.index)
    # the measures of ranking read only the risks, which the file reproduces to 1e-5
    ranking = [m for m in expected.metrics.index if m != "integrated_brier"]
    np.testing.assert_allclose(
        report.metrics.loc[ranking].to_numpy(dtype=float),
        expected.metrics.loc[ranking].to_numpy(dtype=float),
        atol=1e-4,
    )
    # the file's curves step at its coarser grid (>= 10 events a step): close, not equal
    brier = report.metrics.loc["integrated_brier", "estimate"]
    assert brier == pytest.approx(expected.metrics.loc["integrated_brier", "estimate"], abs=0.01)
    for key in expected.calibration:
        np.testing.assert_allclose(
            report.calibration[key]["predicted"], expected.calibration[key]["predicted"], atol=0.05
        )
    assert report.settings["horizons"] == HORIZONS
    assert 0.6 < report.metrics.loc["harrell_c", "estimate"] < 0.9  # a real signal, not noise
    assert any("censoring distribution of these rows" in note for note in report.notes)


def test_the_report_records_the_file_drift_and_card(exported):
    _, path, X_site, y_site, _ = exported
    report = skmed.evaluate(path, X_site, y_site, n_bootstraps=20)
    info = report.model_info["params"]
    assert info["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["scored_with"] == "skmed.runtime.OnnxSurvival (onnxruntime)"
    assert "'site': 'A'" in repr(report.to_dict()["model_card"])  # the card carried in the file
    assert [c["column"] for c in report.drift["columns"]] == COLUMNS
    parsed = parse_html(report.to_html())
    assert parsed.sections == [
        "summary", "model-card", "data", "drift", "metrics", "calibration", "figures"
    ]  # fmt: skip
    assert "patient_id" not in report.to_json()  # an extra column is not reported, nor its rows
    # the site's rows are not training rows: one column, and the weights said to be theirs
    assert report.data_summary["train"] is None
    html = report.to_html()
    assert "<th>Evaluated</th>" in html and "<th>Training</th>" not in html
    assert "These rows' own outcome gives the censoring weights" in html
    assert json.loads(report.to_json())["drift"]["flagged"] == report.drift["flagged"]


def test_default_horizons_are_the_sites_event_time_quartiles(exported):
    _, path, X_site, y_site, _ = exported
    report = skmed.evaluate(path, X_site, y_site, n_bootstraps=0, plots=False)
    times = y_site["time"][y_site["event"]]
    expected = sorted({float(f"{q:.3g}") for q in np.quantile(times, [0.25, 0.5, 0.75])})
    assert report.settings["horizons"] == expected


def test_a_shifted_site_is_flagged(exported):
    _, path, X_site, y_site, _ = exported
    older = X_site.assign(age=X_site["age"] + 15)
    report = skmed.evaluate(path, older, y_site, n_bootstraps=0, plots=False)
    assert "age" in report.drift["flagged"]
    assert "age" in check_drift(path, older).flagged


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ("labels", TaskMismatch, "survival model: y must be the \\(event, time\\) outcomes"),
        ("groups", ValueError, "Subgroups are reported for classifiers only"),
        ("two models", ValueError, "Several survival models cannot be compared"),
        ("late horizon", ValueError, "horizons"),
        ("short y", ValueError, "y has 249 outcomes but X has 250 rows"),
        ("no column", ValueError, "'lab'.*not found in X"),
    ],
)
def test_bad_input_gives_a_clear_error(exported, change, error, message):
    _, path, X_site, y_site, site = exported
    kwargs = {"n_bootstraps": 0, "plots": False}
    model, X, y = path, X_site, y_site
    if change == "labels":
        y = site["died"]
    elif change == "groups":
        kwargs["groups"] = "sex"
    elif change == "two models":
        model = [path, path]
    elif change == "late horizon":
        kwargs["horizons"] = [1e6]
    elif change == "short y":
        y = y_site[:-1]
    elif change == "no column":
        X = X_site.drop(columns="lab")
    with pytest.raises(error, match=message):
        skmed.evaluate(model, X, y, **kwargs)


def test_a_classifier_refuses_survival_outcomes_and_survival_files_refuse_recalibration(
    exported, tmp_path
):
    _, path, X_site, y_site, site = exported
    clf = make_clinical_pipeline(infer_column_types(X_site[COLUMNS]), random_state=0)
    clf.set_params(classifier__epochs=5, classifier__n_members=1)
    clf.fit(X_site[COLUMNS], site["died"])
    clf_path = tmp_path / "clf.onnx"
    skmed.to_onnx(clf, X_site[COLUMNS], path=clf_path)
    with pytest.raises(TaskMismatch, match="classifier: y must be the rows' labels"):
        skmed.evaluate(clf_path, X_site, y_site)
    with pytest.raises(ValueError, match=r"'clf.onnx' is a classifier but \['model.onnx'\] is not"):
        skmed.evaluate([clf_path, path], X_site, site["died"])
    with pytest.raises(ValueError, match="horizons are for survival models"):
        skmed.evaluate(clf_path, X_site, site["died"], horizons=[365])
    with pytest.raises(ValueError, match="recalibrate updates a classifier's risks"):
        recalibrate(path, X_site, site["died"])
    with pytest.raises(ValueError, match="leave y out"):
        check_drift(path, X_site, site["died"])
    pytest.importorskip("dask.distributed")
    from skmed.distributed import score_dask

    with pytest.raises(ValueError, match="score_dask writes a classifier's labels"):
        score_dask(path, X_site)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def test_the_command_line_evaluates_a_survival_file(exported, tmp_path):
    _, path, _, _, site = exported
    data = tmp_path / "site.csv"
    site.assign(days=site["days"].where(site.index != 3)).to_csv(data, index=False)
    report, report_json = tmp_path / "r.html", tmp_path / "r.json"
    rc, out, err = run("evaluate", path, data, "--time", "days", "--event", "died",
                       "--horizons", "365,1095", "--bootstraps", "20", "--report", report,
                       "--report-json", report_json)  # fmt: skip
    assert rc == 0, err
    assert "Left out 1 row(s) without 'days' or 'died'." in out
    assert f"on {data}: 249 rows." in out
    assert re.search(r"On 249 evaluated patients: Harrell's C 0\.\d{3} \(", out)
    assert "Drift: " in out
    saved = json.loads(report_json.read_text())
    assert saved["settings"]["horizons"] == HORIZONS
    assert parse_html(report.read_text()).sections[3] == "drift"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--target", "died"], "survival model: y must be .* Give --time and --event for"),
        (["--time", "days"], "--time and --event go together"),
        (["--time", "days", "--event", "died", "--group", "sex"], "--group is for classifiers"),
        (["--target", "died", "--horizons", "365"], "--horizons goes with --time and --event"),
        ([], "give --target .* or --time and --event"),
    ],
)
def test_the_command_line_refuses_mismatched_options(exported, tmp_path, options, message):
    _, path, _, _, site = exported
    data = tmp_path / "site.csv"
    site.to_csv(data, index=False)
    rc, _, err = run("evaluate", path, data, *options)
    assert rc == 1
    assert re.search(message, err), err
    assert "Traceback" not in err
