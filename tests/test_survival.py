"""MedicalMLPSurvival: the Cox loss, survival functions, accuracy on a known hazard, censoring,
bad input, and the scikit-learn contract."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

from skmed import MedicalMLPSurvival
from skmed.datasets import survival_target
from skmed.neural_network._breslow import breslow_baseline
from skmed.neural_network._heads import cox_loss, cox_start

FAST = {"hidden_layer_sizes": (8,), "epochs": 30, "n_members": 2, "random_state": 0}


def simulate(n=600, censoring=1.5, seed=0):
    """Exponential times with log hazard ``x0 + 0.5 x1^2``, exponential censoring."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    log_hazard = X[:, 0] + 0.5 * X[:, 1] ** 2
    T = rng.exponential(np.exp(-log_hazard))
    C = rng.exponential(censoring, n)
    return X, survival_target(T <= C, np.minimum(T, C)), log_hazard


@pytest.fixture(scope="module")
def data():
    return simulate()


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    return MedicalMLPSurvival(**FAST).fit(X, y)


def brute_force_cox_loss(risk, time, event, w):
    total = 0.0
    for i in np.flatnonzero(event):
        total += w[i] * (np.log(np.sum(w * np.exp(risk) * (time >= time[i]))) - risk[i])
    return total


def test_cox_loss_and_gradient_match_the_definition_with_ties_and_weights():
    rng = np.random.default_rng(1)
    n = 40
    risk, w = rng.normal(size=n), rng.random(n) + 0.5
    time = rng.integers(1, 8, n).astype(float)  # many ties
    event = rng.random(n) < 0.6
    loss, grad = cox_loss(risk, time, event, w)
    assert loss == pytest.approx(brute_force_cox_loss(risk, time, event, w), rel=1e-12)

    def f(r):
        return brute_force_cox_loss(r, time, event, w)

    numeric = [(f(risk + s) - f(risk - s)) / 2e-6 for s in 1e-6 * np.eye(n)]
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_cox_start_matches_a_penalised_newton_fit():
    X, y, _ = simulate(n=300, seed=2)
    C = 2.0
    beta = cox_start(X, y["time"], y["event"], np.ones(len(X)), C)[:, 0]
    # at the optimum the penalised gradient vanishes
    _, grad = cox_loss(X @ beta, y["time"], y["event"], np.ones(len(X)))
    np.testing.assert_allclose(X.T @ grad + beta / C, 0.0, atol=1e-4)
    assert beta[0] > 0.5  # the true log hazard rises with x0


def test_breslow_baseline_is_nelson_aalen_without_covariates():
    _, y, _ = simulate(n=200, seed=3)
    grid, H0 = breslow_baseline(np.zeros(200), y["time"], y["event"], np.ones(200))
    at_risk = np.array([(y["time"] >= t).sum() for t in grid])
    deaths = np.array([((y["time"] == t) & y["event"]).sum() for t in grid])
    np.testing.assert_allclose(H0, np.cumsum(deaths / at_risk))
    np.testing.assert_array_equal(grid, np.unique(y["time"][y["event"]]))


def test_survival_functions_are_monotone_and_within_unit_interval(fitted, data):
    X, _, _ = data
    S = fitted.predict_survival_function(X[:50], return_array=True)
    assert S.shape == (50, fitted.unique_times_.size)
    assert np.all((S >= 0) & (S <= 1))
    assert np.all(np.diff(S, axis=1) <= 0)
    H = fitted.predict_cumulative_hazard_function(X[:50], return_array=True)
    np.testing.assert_allclose(S, np.exp(-H))
    functions = fitted.predict_survival_function(X[:2])
    assert functions.shape == (2,)
    before, at_grid = functions[0]([0.0, fitted.unique_times_[3]])
    assert before == 1.0 and at_grid == pytest.approx(S[0, 3])
    with pytest.raises(ValueError, match="finite and >= 0"):
        functions[0]([-1.0])


def test_estimated_survival_is_close_to_the_known_truth():
    X, y, log_hazard = simulate(n=2000, seed=4)
    model = MedicalMLPSurvival(random_state=0).fit(X, y)
    X_new, _, true_log_hazard = simulate(n=400, seed=5)
    times = np.array([0.2, 0.5, 1.0])
    S = np.vstack([f(times) for f in model.predict_survival_function(X_new)])
    truth = np.exp(-np.exp(true_log_hazard)[:, None] * times[None, :])
    assert np.mean(np.abs(S - truth)) < 0.05
    _, y_new, _ = simulate(n=400, seed=5)
    from skmed.metrics import concordance_index_censored

    best = concordance_index_censored(y_new, true_log_hazard)
    assert model.score(X_new, y_new) > best - 0.03


def test_heavily_censored_data_train_and_evaluate():
    X, y, _ = simulate(n=500, censoring=0.05, seed=6)
    assert y["event"].mean() < 0.15
    model = MedicalMLPSurvival(**FAST).fit(X, y)
    assert 0.6 < model.score(X, y) <= 1.0
    S = model.predict_survival_function(X, return_array=True)
    assert np.all(np.isfinite(S)) and S.min() >= 0


def test_same_random_state_gives_the_same_model(data):
    X, y, _ = data
    a = MedicalMLPSurvival(**FAST).fit(X, y).predict(X)
    b = MedicalMLPSurvival(**FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_hidden_layers_start_at_the_cox_model(data):
    X, y, _ = data
    beta = cox_start(X.astype(np.float32), y["time"], y["event"], np.ones(len(X)), 1.0)[:, 0]
    # the hidden layers' output starts at zero: one step at a tiny rate stays at the Cox model
    net = MedicalMLPSurvival(hidden_layer_sizes=(8,), n_members=1, early_stopping=False,
                             epochs=1, learning_rate=1e-9, random_state=0).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(net.predict(X), X @ beta, atol=1e-3)


def test_pipeline_grid_search_clone_and_pickle(data):
    X, y, _ = data
    frame = pd.DataFrame(X, columns=["age", "bmi", "sbp", "crp"])
    pipe = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST))
    search = GridSearchCV(pipe, {"medicalmlpsurvival__alpha": [1e-4, 1e-2]},
                          cv=KFold(2, shuffle=True, random_state=0))  # fmt: skip
    search.fit(frame, y)
    assert 0.6 < search.best_score_ < 1.0
    model = search.best_estimator_
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(
        restored.predict_survival_function(frame, return_array=True),
        model.predict_survival_function(frame, return_array=True),
    )
    assert clone(model[-1]).get_params() == model[-1].get_params()


def test_sample_weight_of_two_counts_a_row_twice_in_the_cox_start(data):
    X, y, _ = data
    w = np.where(np.arange(len(X)) % 3 == 0, 2.0, 1.0)
    beta_w = cox_start(X, y["time"], y["event"], w, 1.0)
    rows = np.repeat(np.arange(len(X)), w.astype(int))
    beta_r = cox_start(X[rows], y["time"][rows], y["event"][rows], np.ones(len(rows)), 1.0)
    np.testing.assert_allclose(beta_w, beta_r, atol=1e-4)
    model = MedicalMLPSurvival(**FAST).fit(X, y, sample_weight=w)
    assert model.predict(X).shape == (len(X),)


def test_keras_training_path_trains_too(data):
    X, y, _ = data
    model = MedicalMLPSurvival(optimizer="nadam", **{**FAST, "epochs": 5}).fit(X, y)
    assert 0.6 < model.score(X, y) < 1.0
    assert model.n_iter_ <= 5 and len(model.history_["val_loss"]) == len(model.history_["loss"])


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.ones(10), "structured array of \\(event, time\\)"),
        (survival_target(np.ones(10, bool), -np.arange(10.0)), "negative time"),
        (survival_target(np.ones(10, bool), np.r_[np.nan, np.arange(9.0)]), "missing or infinite"),
        (survival_target(np.zeros(10, bool), np.arange(10.0)), "no event"),
        (np.array([(5.0, 1)] * 10, dtype=[("time", float), ("event", int)]), "Is the order"),
    ],
)
def test_bad_outcomes_get_clear_errors(y, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=message):
        MedicalMLPSurvival(**FAST).fit(X, y)


def test_frame_outcome_and_length_mismatch():
    X, y, _ = simulate(n=100, seed=7)
    frame_y = pd.DataFrame({"death": y["event"], "days": y["time"]})
    a = MedicalMLPSurvival(**FAST).fit(X, frame_y).predict(X)
    b = MedicalMLPSurvival(**FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MedicalMLPSurvival(**FAST).fit(X[:50], y)


@pytest.mark.parametrize(
    "check",
    [
        "check_parameters_default_constructible",
        "check_no_attributes_set_in_init",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimator_repr",
        "check_do_not_raise_errors_in_init_or_set_params",
        "check_estimator_cloneable",
        "check_valid_tag_types",
    ],
)
def test_sklearn_checks_that_apply_to_survival_estimators(check):
    # the other checks fit on a 1-D y of classes or numbers, which is not a survival outcome
    if not hasattr(estimator_checks, check):
        pytest.skip(f"this scikit-learn has no {check}")
    getattr(estimator_checks, check)("MedicalMLPSurvival", MedicalMLPSurvival(**FAST))


def test_linear_C_auto_picks_the_best_held_out_cox_model():
    from skmed.neural_network._heads import COX
    from skmed.neural_network._trainer import C_GRID

    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 40))  # wide: 40 features, 2 of them informative
    T = rng.exponential(np.exp(-(X[:, 0] - X[:, 1])))
    y = np.column_stack([T, np.ones(120), np.ones(120)])
    train, val = np.arange(90), np.arange(90, 120)
    chosen = COX.select_C(X[train], y[train], np.ones(90), (X[val], y[val], np.ones(30)), C_GRID)
    losses = {
        C: cox_loss(X[val] @ cox_start(X[train], T[train], y[train, 1], np.ones(90), C)[:, 0],
                    T[val], y[val, 1], np.ones(30), gradient=False)[0]
        for C in C_GRID
    }  # fmt: skip
    assert chosen == min(losses, key=losses.get)
    assert chosen < 1.0  # wide and noisy: a stronger penalty than the default


def test_linear_C_auto_is_recorded_per_member(data):
    X, y, _ = data
    model = MedicalMLPSurvival(**{**FAST, "linear_C": "auto"}).fit(X, y)
    assert len(model.linear_C_) == 2 and set(model.linear_C_) <= {
        0.01,
        0.03,
        0.1,
        0.3,
        1.0,
        3.0,
        10.0,
    }
    fixed = MedicalMLPSurvival(**{**FAST, "linear_C": "auto", "early_stopping": False}).fit(X, y)
    assert fixed.linear_C_ == (1.0, 1.0)  # no held-out rows to choose on
    with pytest.raises(ValueError, match="linear_C"):
        MedicalMLPSurvival(linear_C="best").fit(X, y)


def test_skops_round_trip_trusts_only_the_estimator(fitted, data, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, _, _ = data
    path = tmp_path / "m.skops"
    sio.dump(fitted, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == ["skmed.neural_network.MedicalMLPSurvival"]  # the public path
    restored = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(
        restored.predict_survival_function(X, return_array=True),
        fitted.predict_survival_function(X, return_array=True),
    )
    np.testing.assert_array_equal(restored.unique_times_, fitted.unique_times_)
