"""``skmed train --time/--event`` and ``skmed predict --horizons``: the survival command line,
run in-process (``skmed.cli.main``) on a cohort simulated from a known hazard."""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from runtime_only import run_runtime_only
from survival_cohort import simulate

from skmed.cli import main
from skmed.runtime import OnnxSurvival

HORIZONS = [365, 1095, 1825]
FAST = ["--epochs", "50", "--quiet"]


def run(*args):
    """``skmed args`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    d = tmp_path_factory.mktemp("survival-cli")
    simulate(300, 0).to_csv(d / "cohort.csv", index=False)
    new = simulate(40, 1).drop(columns=["days", "died"])
    new.to_csv(d / "new.csv", index=False)
    return d


@pytest.fixture(scope="module")
def trained(cohort):
    d = cohort
    args = ["train", d / "cohort.csv", "--time", "days", "--event", "died", "--drop",
            "patient_id", "--out", d / "model.onnx", "--report", d / "report.html",
            "--epochs", "50", "--optional-columns", "sex"]  # fmt: skip
    rc, out, err = run(*args)
    assert rc == 0, err
    return d, out, err


def test_optional_columns_reach_the_survival_file(trained):
    d, _, _ = trained
    profile = OnnxSurvival(d / "model.onnx").input_profile
    assert not profile["sex"].required  # never missing in training, yet optional: as asked
    assert profile["age"].required  # never missing, not named: required at the point of care
    assert not profile["lab"].required  # missing in training: imputed


def test_train_writes_the_model_and_prints_harrells_c(trained):
    d, out, err = trained
    assert "Rows: 300 (225 training, 75 held out)" in out
    c_index = float(re.search(r"Harrell's C \(held out\): (\S+) \(95% CI", out).group(1))
    assert c_index > 0.6
    ibs = float(re.search(r"Integrated Brier score \(held out\): (\S+) \(95% CI", out).group(1))
    assert 0 < ibs < 0.25  # 0.25: an uninformative 50% everywhere
    risk, survival = re.search(
        r"ONNX parity: max abs difference (\S+) \(risk\), (\S+) ", out
    ).groups()
    assert float(risk) <= 1e-5 and float(survival) <= 1e-5
    grid = re.search(r"at the file's (\d+) stored times\).* stored times: (\S+)", out)
    stored, gap = grid.groups()
    assert 3 <= int(stored) <= 25 and 0 <= float(gap) < 0.15  # steps of >= 10 of ~130 events
    # the survival report of the held-out rows, its figures matching the printed ones
    html = (d / "report.html").read_text(encoding="utf-8")
    assert "Harrell" in html and "Integrated Brier" in html and "P0-" not in html
    assert re.search(r"Time-dependent AUC at \S+ \(held out\): 0\.\d+", out)
    assert re.search(r"Report horizons: [\d.]+, [\d.]+, [\d.]+", out)
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]
    model = OnnxSurvival(d / "model.onnx")
    assert model.metadata["task"] == "survival"
    assert model.metadata["time"] == "days" and model.metadata["event"] == "died"
    assert model.feature_names_in_.tolist() == ["age", "lab", "sex"]
    assert "P0-" not in out + err  # no patient rows in the output


def test_predict_writes_risk_and_survival_at_the_horizons(trained):
    d, _, _ = trained
    horizons = ",".join(map(str, HORIZONS[::-1]))  # written in increasing order
    rc, _, err = run("predict", d / "model.onnx", d / "new.csv", "--horizons", horizons,
                     "--out", d / "pred.csv", "--chunk-size", "7")  # fmt: skip
    assert rc == 0, err
    new, pred = pd.read_csv(d / "new.csv"), pd.read_csv(d / "pred.csv")
    survival_columns = [f"survival_at_{h}" for h in HORIZONS]
    assert list(pred.columns) == [*new.columns, "risk", *survival_columns]
    pd.testing.assert_frame_equal(pred[new.columns], new)  # the rows pass through, ids too
    survival = pred[survival_columns].to_numpy()
    assert ((survival >= 0) & (survival <= 1)).all()
    assert (np.diff(survival, axis=1) <= 0).all()
    model = OnnxSurvival(d / "model.onnx")
    X = new.drop(columns=["patient_id"])
    np.testing.assert_allclose(survival, model.predict_survival_at(X, HORIZONS), atol=1e-6)
    np.testing.assert_allclose(pred["risk"], model.predict(X), atol=1e-6)
    # standard output gives the same table
    rc, stdout, _ = run("predict", d / "model.onnx", d / "new.csv", "--horizons", horizons)
    assert rc == 0 and stdout == (d / "pred.csv").read_text(encoding="utf-8")


def test_predict_on_the_file_matches_the_pickled_pipeline(cohort, tmp_path):
    """What `skmed train --time/--event` runs, called directly: `skmed predict` on its ONNX
    file gives the (pickled) Python pipeline's risks and survival probabilities."""
    from skmed.cli._survival import check_outcome, train_survival
    from skmed.pipeline import infer_column_types

    frame = pd.read_csv(cohort / "cohort.csv").drop(columns=["patient_id"])
    X, event, times, _ = check_outcome(frame, "days", "died", "cohort.csv")
    assert event.dtype == bool and event.mean() > 0.5
    result = train_survival(X, event, times, infer_column_types(X), epochs=50)
    metrics = result.report.metrics["estimate"]
    assert metrics["harrell_c"] > 0.6 and result.n_events_test >= 2
    assert 0 < metrics["integrated_brier"] < 0.25
    (tmp_path / "m.onnx").write_bytes(result.onnx_bytes)
    rc, _, err = run("predict", tmp_path / "m.onnx", cohort / "new.csv", "--horizons",
                     "365,1095,1825,99999", "--out", tmp_path / "p.csv")  # fmt: skip
    assert rc == 0, err
    assert "horizon(s) 99999 lie beyond the model's last event time" in err
    written = pd.read_csv(tmp_path / "p.csv")
    pipeline = pickle.loads(pickle.dumps(result.pipeline))
    new = pd.read_csv(cohort / "new.csv").drop(columns=["patient_id"])
    np.testing.assert_allclose(written["risk"], pipeline.predict(new), atol=1e-5)
    # the file's curves step at its grid (steps of >= 10 events): the pipeline's survival at
    # the stored time before each horizon
    stored = OnnxSurvival(tmp_path / "m.onnx").unique_times_
    functions = pipeline.predict_survival_function(new)
    for h in [*HORIZONS, 99999]:
        at = stored[np.searchsorted(stored, h, side="right") - 1]
        expected = [f(at) for f in functions]
        np.testing.assert_allclose(written[f"survival_at_{h}"], expected, atol=1e-5)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1, 1], [False, True, True]),
        ([True, False, True], [True, False, True]),
        (["yes", "No", " YES "], [True, False, True]),
        (["true", "False", "1"], [True, False, True]),
    ],
)
def test_event_column_values(values, expected):
    from skmed.cli._survival import event_indicator

    assert event_indicator(pd.Series(values), "died", "'d.csv'").tolist() == expected


def test_inspect_shows_the_time_grid(trained):
    d, _, _ = trained
    rc, out, _ = run("inspect", d / "model.onnx")
    assert rc == 0
    assert "Task: survival" in out
    assert re.search(r"Time grid: \d+ times, .* \(steps of >= 10 events\)", out)
    assert "Classes" not in out
    rc, out, _ = run("inspect", d / "model.onnx", "--json")
    info = json.loads(out)
    # about 225 training rows with ~60% events: steps of >= 10 events
    assert info["task"] == "survival" and 5 <= info["time_grid"]["size"] <= 20
    assert info["time_grid"]["min"] < info["time_grid"]["max"]


def test_predict_and_inspect_use_only_the_runtime(trained):
    d, _, _ = trained
    for args in (
        ["predict", "model.onnx", "new.csv", "--horizons", "365", "--out", "light.csv"],
        ["inspect", "model.onnx"],
    ):
        proc = run_runtime_only(args, cwd=d)
        assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(d / "light.csv")) == 40


# ---------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad_files(cohort):
    d = cohort
    frame = pd.read_csv(d / "cohort.csv")
    for name, column, row, value in (
        ("maybe.csv", "died", 17, "maybe"),
        ("negative.csv", "days", 40, -5.0),
        ("text_time.csv", "days", 3, "soon"),
    ):
        changed = frame.astype({column: object})
        changed.loc[row, column] = value
        changed.to_csv(d / name, index=False)
    frame.assign(died="no").to_csv(d / "no_events.csv", index=False)
    pd.read_csv(d / "new.csv").assign(risk=1.0).to_csv(d / "risk.csv", index=False)
    from skmed.onnx import to_onnx
    from skmed.pipeline import infer_column_types, make_clinical_pipeline

    X = frame[["age", "sex", "lab"]]
    classifier = make_clinical_pipeline(infer_column_types(X), epochs=3, random_state=0)
    to_onnx(classifier.fit(X, frame["died"]), X.head(50), path=d / "classifier.onnx")
    return d


_TRAIN = ["train", "cohort.csv", "--drop", "patient_id", "--out", "bad.onnx", *FAST]
_SURVIVAL = ["--time", "days", "--event", "died"]
_PREDICT = ["predict", "model.onnx", "new.csv", "--out", "bad.csv"]

BAD_INPUT = {
    "target-and-time": ([*_TRAIN, "--target", "died", "--time", "days"], 2,
                        ["not allowed with argument"]),
    "no-outcome": (_TRAIN, 2, ["one of the arguments --target --time is required"]),
    "time-without-event": ([*_TRAIN, "--time", "days"], 2, ["--time needs --event"]),
    "event-with-target": ([*_TRAIN, "--target", "died", "--event", "died"], 2,
                          ["--event goes with --time"]),
    "same-column": ([*_TRAIN, "--time", "days", "--event", "days"], 1,
                    ["name the same column 'days'"]),
    "missing-time-column": ([*_TRAIN, "--time", "dayz", "--event", "died"], 1,
                            ["--time column(s) ['dayz'] not found"]),
    "grid": ([*_TRAIN, *_SURVIVAL, "--grid"], 1, ["--grid is for classifiers"]),
    "drop-time": ([*_TRAIN, *_SURVIVAL, "--drop", "patient_id,days"], 1,  # the last --drop
                  ["--drop names the --time column 'days'"]),
    "event-maybe": ([*_TRAIN, *_SURVIVAL], 1,
                    ["event column 'died' must hold 1/0, true/false or yes/no",
                     "line 19 of 'maybe.csv' holds 'maybe'"]),
    "negative-time": ([*_TRAIN, *_SURVIVAL], 1,
                      ["time column 'days'", "(>= 0)", "line 42 of", "holds -5.0"]),
    "text-time": ([*_TRAIN, *_SURVIVAL], 1, ["time column 'days' must hold finite numbers",
                                               "holds 'soon'"]),
    "no-events": ([*_TRAIN, *_SURVIVAL], 1, ["event column 'died' records 0 event(s)"]),
    "horizons-with-target": ([*_TRAIN, "--target", "died", "--horizons", "365"], 2,
                             ["--horizons goes with --time/--event"]),
    "horizon-beyond-follow-up": ([*_TRAIN, *_SURVIVAL, "--horizons", "100000"], 1,
                                 ["horizons must lie within the follow-up", "100000"]),
    "horizons-for-classifier": (
        ["predict", "classifier.onnx", *_PREDICT[2:], "--horizons", "365"], 1,
        ["--horizons is for survival models", "'classifier.onnx' holds a classifier"]),
    "no-horizons": (_PREDICT, 1, ["'model.onnx' holds a survival model: give --horizons"]),
    "negative-horizon": ([*_PREDICT, "--horizons", "365,-1"], 2,
                         ["expected comma-separated positive numbers", "'-1'"]),
    "text-horizon": ([*_PREDICT, "--horizons", "365,1y"], 2, ["'1y'"]),
    "output-column-clash": ([*_PREDICT, "--horizons", "365"], 1,
                            ["'risk.csv' already has column(s) ['risk']"]),
}  # fmt: skip
#: The cases run on another file than the one in their arguments.
DATA = {"event-maybe": "maybe.csv", "negative-time": "negative.csv",
        "text-time": "text_time.csv", "no-events": "no_events.csv",
        "output-column-clash": "risk.csv"}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_gives_a_clear_error(trained, bad_files, monkeypatch, case):
    args, status, fragments = BAD_INPUT[case]
    if case in DATA:
        data = "cohort.csv" if args[0] == "train" else "new.csv"
        args = [DATA[case] if a == data else a for a in args]
    monkeypatch.chdir(bad_files)
    rc, _, err = run(*args)
    assert rc == status, err
    lines = err.strip().splitlines()
    if status == 1:
        assert len(lines) == 1 and lines[0].startswith("skmed: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[-1], lines[-1]
    assert not (bad_files / "bad.onnx").exists() and not (bad_files / "bad.csv").exists()
