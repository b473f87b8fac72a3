"""Survival metrics of skmed.metrics: scikit-survival's values (simulated data with ties, and the
real tables shipped in its wheel), a brute-force C-index, the bootstrap table and the
calibration of predicted survival on a known exponential hazard."""

from __future__ import annotations

import time as clock

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skmed.metrics import (
    brier_score,
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
    survival_calibration,
    survival_metrics,
)
from skmed.metrics._survival import Concordance
from skmed.metrics._survival_calibration import TimeDependent

TOL = 1e-8


def outcome(event, time):
    """A structured (event, time) array, as ``sksurv.util.Surv.from_arrays`` makes it."""
    y = np.empty(len(time), dtype=[("event", bool), ("time", np.float64)])
    y["event"], y["time"] = event, time
    return y


def simulate(n, seed, *, ties=True):
    """Censored times from a proportional hazard in ``risk``; with ties in times and risks."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    t = rng.exponential(np.exp(-risk))
    c = rng.exponential(1.5, n)
    time = np.minimum(t, c)
    if ties:
        time, risk = np.ceil(time * 8) / 8, np.round(risk * 2) / 2
    return outcome(t <= c, time), risk


def brute_force_c(event, time, risk, weight=None):
    """Harrell's C over every pair, by its definition (weight: of the event of each pair)."""
    weight = np.ones(time.size) if weight is None else weight
    num = den = 0.0
    for i in np.flatnonzero(event):
        partners = (time > time[i]) | ((time == time[i]) & ~event)
        diff = risk[i] - risk[partners]
        num += weight[i] * (np.sum(diff > TOL) + 0.5 * np.sum(np.abs(diff) <= TOL))
        den += weight[i] * partners.sum()
    return num / den


# ---------------------------------------------------------------------- without scikit-survival


def test_harrell_c_by_hand():
    # events at 1 and 3; 1 beats all three later patients, 3 loses to the one at 4: 3 of 4
    y = outcome([True, False, True, False], [1.0, 2.0, 3.0, 4.0])
    assert concordance_index_censored(y, [0.9, 0.8, 0.2, 0.5]) == 0.75
    # tied times and risks: an event is compared with a patient censored at its time, not with
    # an event at its time; tied risks count one half -> (2.5 + 1.5 + 1) / 7
    y = outcome([True, False, True, True, False], [2.0, 2.0, 2.0, 5.0, 6.0])
    assert concordance_index_censored(y, [0.7, 0.7, 0.4, 0.4, 0.1]) == pytest.approx(5 / 7)
    # a two-column frame (event, time) is the same outcome
    frame = pd.DataFrame({"event": y["event"], "time": y["time"]})
    assert concordance_index_censored(frame, [0.7, 0.7, 0.4, 0.4, 0.1]) == pytest.approx(5 / 7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concordance_matches_every_pair(seed):
    y, risk = simulate(150, seed)
    risk[::7] += 0.6e-8  # risks within the tolerance of another are tied
    expected = brute_force_c(y["event"], y["time"], risk)
    assert abs(concordance_index_censored(y, risk) - expected) < 1e-12
    # pairs weighted by their event (Uno's 1 / G(t_i)**2 is such a weight)
    pairs = Concordance(y["event"], y["time"], risk)
    w = np.random.default_rng(seed).uniform(0.5, 2, y.size)
    weighted = brute_force_c(y["event"], y["time"], risk, w)
    assert abs(pairs.index(np.ones((1, y.size)), w)[0, 1] - weighted) < 1e-12


def test_weights_are_repeated_rows():
    # a bootstrap replicate weights a row by its draws: the same as repeating the row
    y, risk = simulate(120, 3)
    survival = np.exp(-np.exp(risk)[:, None] * np.array([0.2, 0.5]))
    draws = np.random.default_rng(0).poisson(1.0, y.size)
    draws[y["event"].argmax()] += 1
    rows = np.repeat(np.arange(y.size), draws)
    W = draws[None, :].astype(float)
    pairs = Concordance(y["event"], y["time"], risk)
    assert pairs.index(W)[0, 0] == pytest.approx(concordance_index_censored(y[rows], risk[rows]))
    timed = TimeDependent(y, y[rows], [0.2, 0.5])
    repeated = TimeDependent(y, y, [0.2, 0.5])
    auc = repeated.auc(W, np.column_stack([risk, risk]))
    assert np.allclose(auc, timed.auc(np.ones((1, rows.size)), np.column_stack([risk, risk])[rows]))
    brier = W @ repeated.brier_terms(survival) / W.sum()
    assert np.allclose(brier, timed.brier_terms(survival[rows]).mean(axis=0))


def test_harrell_c_is_fast():
    y, risk = simulate(8000, 4, ties=False)
    start = clock.perf_counter()
    concordance_index_censored(y, risk)
    assert clock.perf_counter() - start < 1.0


@pytest.fixture
def follow_up():
    """Follow-up to 3650 days in y_test (and y_train, whose last time is a censoring)."""
    rng = np.random.default_rng(5)
    time = np.r_[rng.uniform(10, 3600, 99), 3650.0]
    event = np.r_[rng.random(99) < 0.5, False]
    return outcome(event, time), rng.normal(size=100)


def test_times_beyond_follow_up(follow_up):
    y, risk = follow_up
    survival = np.full((100, 2), 0.5)
    with pytest.raises(ValueError, match=r"times must lie within the follow-up of y_test: "
                                         r"4000\.0 > the last time 3650\.0"):  # fmt: skip
        brier_score(y, y, survival, [365.0, 4000.0])
    with pytest.raises(ValueError, match=r"3650\.0 >= the last time 3650\.0"):
        cumulative_dynamic_auc(y, y, risk, [365.0, 3650.0])
    with pytest.raises(ValueError, match=r"horizons must lie within .* 5000\.0 > the last"):
        survival_metrics(y, y, risk, survival, [365, 730], [5000.0], n_bootstraps=0)
    with pytest.raises(ValueError, match=r"0\.5 < the first time"):
        cumulative_dynamic_auc(y, y, risk, [0.5])


def test_censoring_weights_beyond_training_follow_up(follow_up):
    y, risk = follow_up
    early = y["time"] < 1000
    short = outcome(np.r_[y["event"][early], True], np.r_[y["time"][early], 1000.0])
    last = float(short["time"].max())
    events_after = y["event"] & (y["time"] > last)
    worst = float(y["time"][events_after].max())
    with pytest.raises(ValueError, match=rf"the event times of y_test must lie within the "
                                         rf"follow-up of y_train: {worst!r} > the last time "
                                         rf"{last!r}"):  # fmt: skip
        concordance_index_ipcw(short, y, risk)
    # beyond a last follow-up that is a censoring, G is 0 there: infinite weights
    censored_last = outcome(np.r_[y["event"][early], False], np.r_[y["time"][early], 1000.0])
    with pytest.raises(ValueError, match=r"The censoring survival G of y_train is 0"):
        cumulative_dynamic_auc(censored_last, y, risk, [500.0])
    # tau drops the events after it, as in scikit-survival
    assert 0 < concordance_index_ipcw(short, y, risk, tau=900.0) < 1
    with pytest.raises(ValueError, match=r"no event before tau=1\.0"):
        concordance_index_ipcw(y, y, risk, tau=1.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda y, r: concordance_index_censored(y, r[:3]), "risk_score has 3 rows but y has 100"),
        (lambda y, r: concordance_index_censored(y, np.r_[np.nan, r[1:]]), "NaN or infinite"),
        (lambda y, r: concordance_index_censored(r, r), "y must be a structured array"),
        (lambda y, r: concordance_index_censored(outcome(y["event"], -y["time"]), r), "negative"),
        (lambda y, r: brier_score(y, y, np.full((100, 2), 1.5), [100, 200]), r"in \[0, 1\]"),
        (lambda y, r: brier_score(y, y, np.full((100, 3), 0.5), [100, 200]), r"\(n_samples, 2"),
        (lambda y, r: brier_score(y, y, np.full((100, 2), 0.5), [300, 200]), "strictly increas"),
        (lambda y, r: integrated_brier_score(y, y, r[:, None] * 0 + 0.5, [300]), "at least two"),
        (lambda y, r: cumulative_dynamic_auc(y, y, np.ones((100, 3)), [100, 200]), "shape"),
        (lambda y, r: survival_calibration(y, np.full(100, 0.5), 4000.0), "horizon must lie"),
        (lambda y, r: survival_calibration(y, np.full(100, 0.5), 100, n_groups=101), "n_groups"),
    ],
)
def test_bad_inputs(follow_up, call, message):
    y, risk = follow_up
    with pytest.raises(ValueError, match=message):
        call(y, risk)


def test_no_comparable_pair_and_parameter_validation():
    y = outcome([False, True], [1.0, 2.0])  # the only event comes last
    with pytest.raises(ValueError, match="Harrell's C is undefined: no comparable pair"):
        concordance_index_censored(y, [0.1, 0.2])
    y, risk = simulate(50, 0)
    with pytest.raises(InvalidParameterError, match="n_bootstraps"):
        survival_metrics(y, y, risk, np.full((50, 2), 0.5), [0.2, 0.4], 0.3, n_bootstraps=-1)
    with pytest.raises(InvalidParameterError, match="tau"):
        concordance_index_ipcw(y, y, risk, tau=-1.0)


@pytest.fixture(scope="module")
def table_data():
    y, risk = simulate(400, 6, ties=False)
    times = np.array([0.2, 0.4, 0.6, 0.8])
    return y, risk, np.exp(-0.8 * np.exp(risk)[:, None] * times), times


def test_survival_metrics_bootstrap(table_data):
    y, risk, survival, times = table_data
    table = survival_metrics(
        y, y, risk, survival, times, [0.3, 0.6], n_bootstraps=200, random_state=0
    )
    assert table.index.tolist() == [
        "harrell_c", "uno_c", "integrated_brier", "td_auc@0.3", "td_auc@0.6"
    ]  # fmt: skip
    assert table.columns.tolist() == ["estimate", "ci_lower", "ci_upper"]
    assert (table["ci_lower"] < table["estimate"]).all() and (
        table["estimate"] < table["ci_upper"]
    ).all()
    # the point estimates are the public functions'
    assert table.loc["harrell_c", "estimate"] == pytest.approx(concordance_index_censored(y, risk))
    assert table.loc["uno_c", "estimate"] == pytest.approx(concordance_index_ipcw(y, y, risk))
    ibs = integrated_brier_score(y, y, survival, times)
    assert table.loc["integrated_brier", "estimate"] == pytest.approx(ibs)
    auc = cumulative_dynamic_auc(y, y, risk, [0.3, 0.6])[0]
    assert table["estimate"].iloc[3:].to_numpy() == pytest.approx(auc)
    # reproducible with a seed, different with another
    again = survival_metrics(
        y, y, risk, survival, times, [0.3, 0.6], n_bootstraps=200, random_state=0
    )
    pd.testing.assert_frame_equal(table, again)
    other = survival_metrics(
        y, y, risk, survival, times, [0.3, 0.6], n_bootstraps=200, random_state=1
    )
    assert not np.allclose(table["ci_lower"], other["ci_lower"])
    assert table.attrs == {"n_bootstraps": 200, "confidence_level": 0.95, "random_state": 0}


def test_survival_metrics_without_bootstrap(table_data):
    y, risk, survival, times = table_data
    table = survival_metrics(y, y, risk, survival, times, 0.5, n_bootstraps=0)
    assert table[["ci_lower", "ci_upper"]].isna().all().all()
    assert table["estimate"].notna().all()


def test_calibration_on_a_known_exponential_hazard():
    rng = np.random.default_rng(7)
    n, horizon = 5000, 2.0
    rate = np.exp(rng.normal(np.log(0.2), 0.6, n))
    t, c = rng.exponential(1 / rate), rng.uniform(1.0, 6.0, n)
    y = outcome(t <= c, np.minimum(t, c))
    truth = np.exp(-rate * horizon)
    table = survival_calibration(y, truth, horizon, n_groups=5)
    assert table["group"].tolist() == ["1", "2", "3", "4", "5", "overall"]
    groups, overall = table.iloc[:5], table.iloc[5]
    assert groups["n"].sum() == overall["n"] == n
    assert (np.diff(groups["predicted"]) < 0).all()  # group 1 has the lowest risk
    assert np.abs(groups["observed"] - groups["predicted"]).max() < 0.05
    assert (
        (groups["ci_lower"] < groups["observed"]) & (groups["observed"] < groups["ci_upper"])
    ).all()
    assert overall["difference"] == pytest.approx(overall["observed"] - overall["predicted"])


# ---------------------------------------------------------------------- against scikit-survival


def sksurv_values(sm, y_train, y_test, risk, survival, times, tau=None):
    return {
        "harrell": sm.concordance_index_censored(y_test["event"], y_test["time"], risk)[0],
        "uno": sm.concordance_index_ipcw(y_train, y_test, risk, tau=tau)[0],
        "auc": sm.cumulative_dynamic_auc(y_train, y_test, risk, times),
        "auc_2d": sm.cumulative_dynamic_auc(y_train, y_test, 1 - survival, times),
        "brier": sm.brier_score(y_train, y_test, survival, times)[1],
        "ibs": sm.integrated_brier_score(y_train, y_test, survival, times),
    }


def skmed_values(y_train, y_test, risk, survival, times, tau=None):
    return {
        "harrell": concordance_index_censored(y_test, risk),
        "uno": concordance_index_ipcw(y_train, y_test, risk, tau=tau),
        "auc": cumulative_dynamic_auc(y_train, y_test, risk, times),
        "auc_2d": cumulative_dynamic_auc(y_train, y_test, 1 - survival, times),
        "brier": brier_score(y_train, y_test, survival, times)[1],
        "ibs": integrated_brier_score(y_train, y_test, survival, times),
    }


def assert_agree(ours, theirs):
    for name in ours:
        a, b = ours[name], theirs[name]
        if isinstance(a, tuple):  # (auc, mean_auc)
            np.testing.assert_allclose(a[0], b[0], rtol=0, atol=TOL, err_msg=name)
            np.testing.assert_allclose(a[1], b[1], rtol=0, atol=TOL, err_msg=name)
        else:
            np.testing.assert_allclose(a, b, rtol=0, atol=TOL, err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_sksurv_on_simulated_data(seed):
    sm = pytest.importorskip("sksurv.metrics")
    y, risk = simulate(600, seed)  # times on a grid of 1/8 and risks in steps of 1/2: ties
    y_train, y_test = y[:400], y[400:]
    risk = risk[400:]
    times = np.array([0.25, 0.5, 0.75, 1.0])
    survival = np.round(np.exp(-np.exp(risk)[:, None] * times), 2)  # tied survival too
    tau = 0.9 if seed % 2 else None
    assert_agree(
        skmed_values(y_train, y_test, risk, survival, times, tau),
        sksurv_values(sm, y_train, y_test, risk, survival, times, tau),
    )


def cox_predictions(load):
    """A Cox model on the numeric columns of a table of sksurv's: risks and survival curves."""
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    X, y = load()
    X = X.select_dtypes("number")
    X = (X - X.mean()) / X.std()
    y = outcome(y[y.dtype.names[0]], y[y.dtype.names[1]])
    model = CoxPHSurvivalAnalysis(alpha=1e-4).fit(X, y)
    y_test, X_test = y[::2], X.iloc[::2]
    times = np.quantile(y_test["time"][y_test["event"]], [0.1, 0.3, 0.5, 0.7])
    survival = np.vstack([f(times) for f in model.predict_survival_function(X_test)])
    return y, y_test, model.predict(X_test), survival, times


@pytest.mark.parametrize("name", ["load_whas500", "load_gbsg2", "load_veterans_lung_cancer"])
def test_agrees_with_sksurv_on_real_tables(name):
    datasets = pytest.importorskip("sksurv.datasets")
    sm = pytest.importorskip("sksurv.metrics")
    y_train, y_test, risk, survival, times = cox_predictions(getattr(datasets, name))
    assert_agree(
        skmed_values(y_train, y_test, risk, survival, times),
        sksurv_values(sm, y_train, y_test, risk, survival, times),
    )
    tau = float(times[2])
    assert concordance_index_ipcw(y_train, y_test, risk, tau) == pytest.approx(
        sm.concordance_index_ipcw(y_train, y_test, risk, tau=tau)[0], abs=TOL
    )
    table = survival_metrics(y_train, y_test, risk, survival, times, times[1:3], n_bootstraps=0)
    ours = skmed_values(y_train, y_test, risk, survival, times)
    assert table.loc["harrell_c", "estimate"] == pytest.approx(ours["harrell"], abs=TOL)
    assert table.loc["uno_c", "estimate"] == pytest.approx(ours["uno"], abs=TOL)
    assert table.loc["integrated_brier", "estimate"] == pytest.approx(ours["ibs"], abs=TOL)
    assert table["estimate"].iloc[3:].to_numpy() == pytest.approx(ours["auc"][0][1:3], abs=TOL)


@pytest.mark.parametrize("name", ["load_whas500", "load_gbsg2"])
def test_calibration_intervals_are_sksurv_kaplan_meier(name):
    datasets = pytest.importorskip("sksurv.datasets")
    from sksurv.nonparametric import kaplan_meier_estimator

    _, y, _, survival, times = cox_predictions(getattr(datasets, name))
    horizon = float(times[2])
    table = survival_calibration(y, survival[:, 2], horizon, n_groups=4)
    order = np.argsort(-survival[:, 2], kind="stable")
    for k, rows in enumerate([*np.array_split(order, 4), np.arange(y.size)]):
        t, s, ci = kaplan_meier_estimator(y["event"][rows], y["time"][rows], conf_type="log-log")
        at = np.searchsorted(t, horizon, side="right") - 1
        expected = [s[at], ci[0, at], ci[1, at]]
        observed = table.iloc[k][["observed", "ci_lower", "ci_upper"]].to_numpy(dtype=float)
        np.testing.assert_allclose(observed, expected, rtol=0, atol=TOL)
        assert table.iloc[k]["predicted"] == pytest.approx(survival[rows, 2].mean())
