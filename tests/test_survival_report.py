"""skmed.report.build_survival_report: the survival metrics with intervals, calibration at each
horizon and figures of a fitted survival network, in an offline HTML page and JSON; no
patient's features in either; bad input refused."""

from __future__ import annotations

import base64
import json
import sys

import numpy as np
import pandas as pd
import pytest
from html_parts import parse_html
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmed import MedicalMLPSurvival
from skmed.datasets import survival_target
from skmed.metrics import cumulative_dynamic_auc, survival_calibration, survival_metrics
from skmed.report import SurvivalReport, build_survival_report

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

FAST = {"hidden_layer_sizes": (8,), "epochs": 20, "n_members": 2, "random_state": 0}
HORIZONS = [0.5, 1.0]
SECTIONS = ["summary", "model-card", "data", "drift", "metrics", "calibration", "figures"]


def simulate(n=400, seed=1):
    """Exponential event times with log hazard ``0.8 x0 - 0.5 x1`` (baseline hazard 1),
    exponential censoring of rate 0.5; a frame with named columns."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["age_z", "marker", "score"])
    log_hazard = 0.8 * X["age_z"] - 0.5 * X["marker"]
    T = rng.exponential(np.exp(-log_hazard))
    C = rng.exponential(2.0, n)
    return X, survival_target(T <= C, np.minimum(T, C))


@pytest.fixture(scope="module")
def case():
    X, y = simulate()
    pipe = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST)).fit(X[:250], y[:250])
    return pipe, X.iloc[250:], y[:250], y[250:]


@pytest.fixture(scope="module")
def built(case, tmp_path_factory):
    pipe, X_test, y_train, y_test = case
    report = build_survival_report(
        pipe,
        X_test,
        y_train,
        y_test,
        horizons=HORIZONS,
        n_bootstraps=100,
        random_state=0,
        title="Prognosis <test>",
        model_card={"intended_use": "Relapse risk at 6 and 12 months", "site": "Ward 3"},
    )
    out = tmp_path_factory.mktemp("survival_report")
    report.to_html(out / "report.html")
    report.to_json(out / "report.json")
    html = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report, html, data


def _expected(case):
    """What the report should show, computed here from the model and skmed.metrics."""
    pipe, X_test, y_train, y_test = case
    functions = pipe.predict_survival_function(X_test)
    # the default times: 20 percentiles (10th to 90th) of the event times of y_test
    times = np.unique(np.percentile(y_test["time"][y_test["event"]], np.linspace(10, 90, 20)))
    survival = np.array([fn(times) for fn in functions])
    risk = pipe.predict(X_test)
    metrics = survival_metrics(
        y_train, y_test, risk, survival, times, HORIZONS, n_bootstraps=100, random_state=0
    )
    at_h = np.array([fn(HORIZONS) for fn in functions])
    calibration = {
        f"{h:g}": survival_calibration(y_test, at_h[:, k], h) for k, h in enumerate(HORIZONS)
    }
    return times, risk, metrics, calibration


def test_report_metrics_and_calibration_are_those_of_skmed_metrics(case, built):
    report, _, _ = built
    times, risk, metrics, calibration = _expected(case)
    assert isinstance(report, SurvivalReport)
    np.testing.assert_allclose(report.settings["times"], times)
    pd.testing.assert_frame_equal(report.metrics, metrics)
    assert report.metrics.index.tolist() == [
        "harrell_c", "uno_c", "integrated_brier", "td_auc@0.5", "td_auc@1"
    ]  # fmt: skip
    assert list(report.calibration) == ["0.5", "1"]
    for key, table in calibration.items():
        pd.testing.assert_frame_equal(report.calibration[key], table)
    _, _, y_train, y_test = case
    auc, mean_auc = cumulative_dynamic_auc(y_train, y_test, risk, times)
    np.testing.assert_allclose(report.time_dependent_auc["auc"], auc)
    assert report.time_dependent_auc["mean_auc"] == pytest.approx(mean_auc)
    assert report.metrics.loc["harrell_c", "estimate"] > 0.65  # the network learned the hazard


def test_data_summary_is_aggregate(case, built):
    report, _, _ = built
    _, _, y_train, y_test = case
    test = report.data_summary["test"]
    assert test["n_samples"] == 150
    assert test["n_events"] == int(y_test["event"].sum())
    assert test["n_censored"] == 150 - test["n_events"]
    assert test["follow_up_median"] == pytest.approx(np.median(y_test["time"]))
    assert (test["follow_up_min"], test["follow_up_max"]) == (
        pytest.approx(y_test["time"].min()),
        pytest.approx(y_test["time"].max()),
    )
    assert report.data_summary["train"]["n_samples"] == len(y_train)
    assert report.data_summary["feature_names"] == ["age_z", "marker", "score"]


def test_html_is_self_contained_with_metrics_and_their_intervals(built):
    report, html, _ = built
    parsed = parse_html(html)
    assert parsed.sections == SECTIONS
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert all(u.startswith(("data:image/png;base64,", "#")) for u in parsed.urls)
    assert "Prognosis &lt;test&gt;" in html and "Relapse risk at 6 and 12 months" in html
    assert "Ward 3" in html
    for name, row in report.metrics.iterrows():
        cell = f"{row['estimate']:.3f} ({row['ci_lower']:.3f}–{row['ci_upper']:.3f})"
        assert cell in html, name
    assert "Time-dependent AUC at 0.5" in html and "Harrell&#x27;s C" in html
    for key, table in report.calibration.items():
        for r in table.itertuples():
            if np.isnan(r.observed):  # the group's follow-up ends before the horizon: a note
                assert f"Calibration at {key}: the follow-up of group(s) {r.group}" in html
            else:
                assert f"{r.observed:.3f} ({r.ci_lower:.3f}–{r.ci_upper:.3f})" in html
    for src in parsed.images:
        assert base64.b64decode(src.partition(",")[2])[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_without_example_patients(built):
    report, html, _ = built
    assert list(report.figures) == [
        "time_dependent_auc",
        "calibration@0.5",
        "calibration@1",
        "training",
    ]
    assert "survival_curves" not in html
    assert "pass <code>example_patients=True</code>" in html


def test_no_feature_value_of_any_patient_is_written(case, built):
    _, html, data = built
    text = json.dumps(data)
    X_test = case[1]
    for value in X_test.to_numpy().ravel():
        assert repr(float(value)) not in html and repr(float(value)) not in text
        assert f"{value:.4f}" not in html


def test_json_round_trips_the_numbers_of_survival_metrics(case, built):
    report, _, data = built
    _, _, metrics, calibration = _expected(case)
    rows = {r["metric"]: r for r in data["metrics"]}
    assert list(rows) == metrics.index.tolist()
    for name, row in metrics.iterrows():
        assert [rows[name][k] for k in ("estimate", "ci_lower", "ci_upper")] == row.tolist()
    for key, table in calibration.items():
        back = pd.DataFrame(data["calibration"][key]).astype({"observed": float})
        np.testing.assert_allclose(back["predicted"], table["predicted"])
        np.testing.assert_allclose(back["observed"], table["observed"])
    assert data["settings"]["horizons"] == HORIZONS
    assert data["settings"]["example_patients"] is False
    assert set(data["figures"]) == set(report.figures)
    assert data["model_card"]["extra"] == {"site": "Ward 3"}


def test_example_patients_add_their_survival_curves(case):
    pipe, X_test, y_train, y_test = case
    report = build_survival_report(
        pipe, X_test, y_train, y_test, horizons=1.0, n_bootstraps=0, example_patients=True
    )
    assert "survival_curves" in report.figures
    assert "example_patients=True" not in report.to_html()
    assert report.settings["example_patients"] is True
    assert report.metrics["ci_lower"].isna().all()  # n_bootstraps=0: no intervals


def test_report_without_matplotlib_says_figures_were_skipped(case, monkeypatch):
    pipe, X_test, y_train, y_test = case
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    report = build_survival_report(pipe, X_test, y_train, y_test, horizons=[1.0], n_bootstraps=0)
    assert report.figures == {}
    assert any("Figures skipped" in n and "pip install 'skmed[plot]'" in n for n in report.notes)
    html = report.to_html()
    assert parse_html(html).sections == SECTIONS
    assert "Figures skipped: matplotlib is not installed" in html


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"horizons": [0.5, 1e6]}, ValueError, r"horizons must lie within the follow-up of y_test"),
        ({"horizons": [1.0, 0.5]}, ValueError, r"horizons must be strictly increasing"),
        ({"times": [0.5]}, ValueError, r"at least two time points"),
        ({"X_test": "short"}, ValueError, r"X_test must be 2-D with one row per patient"),
        ({"y_test": "plain"}, ValueError, r"y_test must be a structured array of \(event, time\)"),
        ({"model": "unfitted"}, ValueError, r"no fitted survival network"),
        ({"n_bootstraps": -1}, InvalidParameterError, r"'n_bootstraps' parameter of build_surv"),
        ({"model_card": 3}, ValueError, r"model_card must be a dict or ModelCard"),
    ],
)
def test_bad_input_is_refused(case, change, error, match):
    pipe, X_test, y_train, y_test = case
    args = {"model": pipe, "X_test": X_test, "y_train": y_train, "y_test": y_test}
    args.update(horizons=[1.0], n_bootstraps=0, plots=False)
    args.update(change)
    if change.get("X_test") == "short":
        args["X_test"] = X_test.iloc[:-1]
    if change.get("y_test") == "plain":
        args["y_test"] = np.ones(len(y_test))
    if change.get("model") == "unfitted":
        args["model"] = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST))
    with pytest.raises(error, match=match):
        build_survival_report(**args)


def test_writing_to_a_missing_directory_fails_and_leaves_nothing(built, tmp_path):
    report, _, _ = built
    with pytest.raises(FileNotFoundError, match="does not exist"):
        report.to_html(tmp_path / "missing" / "report.html")
    report.to_json(tmp_path / "r.json")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left
