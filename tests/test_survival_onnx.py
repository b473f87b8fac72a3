"""ONNX export of survival pipelines: one graph (preprocessing + network + Breslow baseline),
parity with Python, and the runtime's OnnxSurvival."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skmed
from skmed import MedicalMLPSurvival
from skmed.datasets import survival_target
from skmed.onnx._time_grid import export_grid, tick_width
from skmed.runtime import ModelFormatError, OnnxClassifier, OnnxSurvival, load_model

FAST = {"hidden_layer_sizes": (8,), "epochs": 20, "n_members": 2, "random_state": 0}


def mixed_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(60, 10, n),
            "crp": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 3.0, n)),
            "stage": rng.choice(["I", "II", "III"], n),
        }
    )
    log_hazard = 0.04 * (frame["age"] - 60) + frame["stage"].map({"I": 0, "II": 0.5, "III": 1})
    T = rng.exponential(np.exp(-log_hazard.to_numpy()))
    C = rng.exponential(2.0, n)
    return frame, survival_target(T <= C, np.minimum(T, C))


@pytest.fixture(scope="module")
def mixed():
    X, y = mixed_frame()
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "crp"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["stage"]),
        ]
    )
    model = make_pipeline(prep, MedicalMLPSurvival(**FAST)).fit(X, y)
    return model, X


def test_numeric_pipeline_parity(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = survival_target(rng.random(200) < 0.6, rng.exponential(np.exp(-X[:, 0])))
    model = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST)).fit(X, y)
    path = tmp_path / "surv.onnx"
    onx = skmed.to_onnx(model, X[:20], path=path)
    assert [o.name for o in onx.graph.output] == ["risk", "survival"]
    runtime = OnnxSurvival(path)
    X_new = rng.normal(size=(500, 5))
    np.testing.assert_allclose(runtime.predict(X_new), model.predict(X_new), atol=1e-5, rtol=0)
    # the file's curves are on steps of >= 10 training events, at times between event times
    grid, network = runtime.unique_times_, model[-1]
    expected, fewest = export_grid(network.unique_times_, network.event_counts_)
    np.testing.assert_array_equal(grid, expected)
    event_times = np.sort(y["time"][y["event"]])
    steps = np.diff(np.searchsorted(event_times, grid, side="right"), prepend=0)
    assert steps.min() >= 10 and steps.sum() == event_times.size and fewest == steps.min()
    width = tick_width(event_times[-1])  # round ticks, whatever the event times are
    np.testing.assert_allclose(grid / width, np.round(grid / width), atol=1e-9)
    # the last step ends on a 10 times coarser tick after the last event: it tells the last
    # event time only to within 10 ticks (about 5% of the range)
    coarse = 10 * width
    assert grid[-1] - coarse <= event_times[-1] < grid[-1]
    assert grid[-1] / coarse == pytest.approx(round(grid[-1] / coarse))
    assert runtime.metadata["time_grid_min_events"] == str(fewest)
    # there, the file's survival is the model's
    got = runtime.predict_survival_function(X_new, return_array=True)
    want = np.stack([f(grid) for f in model.predict_survival_function(X_new)])
    assert got.shape == (500, grid.size)
    assert np.max(np.abs(got - want)) <= 1e-5


@pytest.mark.parametrize(
    ("times", "counts", "grid", "fewest"),
    [
        (np.arange(1.0, 31.0), np.ones(30), [10.0, 20.0, 32.0], 10),  # whole days
        (np.array([1.0, 2.0, 3.0]), np.array([4, 4, 4]), [3.2], 12),  # one step of 12
        (np.array([5.0]), np.array([3]), [5.5], 3),  # fewer than 10 events: one step
        (np.array([0.0, 0.5, 2.0]), np.array([5, 5, 5]), [2.1], 15),  # an event at time 0
    ],
)
def test_export_grid_steps(times, counts, grid, fewest):
    assert export_grid(times, counts) == (pytest.approx(grid), fewest)
    np.testing.assert_array_equal(export_grid(times, counts, keep_all=True)[0], times)


def test_a_model_with_few_events_is_exported_with_a_warning():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = survival_target(np.arange(40) < 6, rng.exponential(1.0, 40))
    model = MedicalMLPSurvival(**FAST).fit(X, y)
    with pytest.warns(UserWarning, match="trained on 6 events, fewer than 10: its exported curve"):
        onx = skmed.to_onnx(model, X[:5])
    runtime = OnnxSurvival(onx.SerializeToString())
    assert runtime.unique_times_.size == 1 and runtime.metadata["time_grid_min_events"] == "6"


def test_every_event_time_is_stored_only_when_asked(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = survival_target(rng.random(200) < 0.6, rng.exponential(np.exp(-X[:, 0])))
    model = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST)).fit(X, y)
    with pytest.warns(UserWarning, match="every training event time.*treat it as patient data"):
        onx = skmed.to_onnx(model, X[:20], allow_patient_rows=True)
    runtime = OnnxSurvival(onx.SerializeToString())
    np.testing.assert_array_equal(runtime.unique_times_, model[-1].unique_times_)
    assert runtime.metadata["time_grid_min_events"] == str(model[-1].event_counts_.min())
    assert "time grid" in runtime.metadata["patient_rows"]
    X_new = rng.normal(size=(300, 5))
    got = runtime.predict_survival_function(X_new, return_array=True)
    want = model.predict_survival_function(X_new, return_array=True)
    assert np.max(np.abs(got - want)) <= 1e-5


def test_mixed_pipeline_parity_and_survival_at_times(mixed):
    model, X = mixed
    onx = skmed.to_onnx(model, X.iloc[:30])
    runtime = OnnxSurvival(onx.SerializeToString())
    X_new, _ = mixed_frame(n=400, seed=5)
    assert np.max(np.abs(runtime.predict(X_new) - model.predict(X_new))) <= 1e-5
    times = [0.0, 0.5, 1.0, 100.0]
    at = runtime.predict_survival_at(X_new, times)
    functions = model.predict_survival_function(X_new)
    # a step function on the file's grid: the model's survival at the stored time before
    grid = runtime.unique_times_
    before = np.searchsorted(grid, times, side="right") - 1
    want = np.vstack([np.where(before < 0, 1.0, f(grid[np.maximum(before, 0)])) for f in functions])
    assert np.max(np.abs(at - want)) <= 1e-5
    np.testing.assert_array_equal(at[:, 0], 1.0)
    # and close to the model's own curve between stored times (steps of ~10 of 160 events)
    assert np.max(np.abs(at - np.vstack([f(times) for f in functions]))) < 0.15
    steps = runtime.predict_survival_function(X_new.iloc[:3])
    np.testing.assert_allclose(steps[0](times), at[0])
    assert runtime.metadata["task"] == "survival"
    assert runtime.feature_names_in_.tolist() == ["age", "crp", "stage"]


def test_runtime_names_the_right_class_for_each_task(mixed, tmp_path):
    model, X = mixed
    onx = skmed.to_onnx(model, X.iloc[:30]).SerializeToString()
    with pytest.raises(ModelFormatError, match="survival model; load it with .*OnnxSurvival"):
        OnnxClassifier(onx)
    from sklearn.datasets import make_classification

    Xc, yc = make_classification(n_samples=80, n_features=4, random_state=0)
    clf = skmed.MedicalMLPClassifier(hidden_layer_sizes=(4,), epochs=5, random_state=0)
    classifier = skmed.to_onnx(clf.fit(Xc, yc), Xc[:5]).SerializeToString()
    with pytest.raises(
        ModelFormatError, match="classification model; load it with .*OnnxClassifier"
    ):
        OnnxSurvival(classifier)
    # load_model opens either file once, as the class its task needs
    survival = load_model(onx)
    assert type(survival) is OnnxSurvival and survival.unique_times_.size > 0
    assert type(load_model(classifier)) is OnnxClassifier
    np.testing.assert_allclose(survival.predict(X.iloc[:5]), model.predict(X.iloc[:5]), atol=1e-5)


def test_bad_times_and_unfitted_models_are_refused(mixed):
    model, X = mixed
    runtime = OnnxSurvival(skmed.to_onnx(model, X.iloc[:30]).SerializeToString())
    with pytest.raises(ValueError, match="finite and >= 0"):
        runtime.predict_survival_at(X.iloc[:2], [-1.0])
    with pytest.raises(ValueError, match="not fitted"):
        skmed.to_onnx(MedicalMLPSurvival(), X.iloc[:3].select_dtypes("number"))
    with pytest.raises(ValueError, match="survival model has none"):
        skmed.to_onnx(model, X.iloc[:30], reference_target=np.zeros(30))
