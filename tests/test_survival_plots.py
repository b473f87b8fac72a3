"""skmed.plotting's survival plots: predicted survival curves, calibration at a horizon and the
time-dependent AUC draw the values of the model and of skmed.metrics; bad input is refused."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmed import MedicalMLPSurvival, plotting
from skmed._step_function import values_at
from skmed.datasets import survival_target
from skmed.metrics import cumulative_dynamic_auc, survival_calibration

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

FAST = {"hidden_layer_sizes": (8,), "epochs": 20, "n_members": 2, "random_state": 0}


def simulate(n=400, seed=0):
    """Exponential event times with log hazard ``0.8 x0 - 0.5 x1`` (baseline hazard 1),
    exponential censoring of rate 0.5."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    log_hazard = 0.8 * X[:, 0] - 0.5 * X[:, 1]
    T = rng.exponential(np.exp(-log_hazard))
    C = rng.exponential(2.0, n)
    return X, survival_target(T <= C, np.minimum(T, C)), log_hazard


@pytest.fixture(scope="module")
def case():
    X, y, log_hazard = simulate()
    pipe = make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST)).fit(X[:250], y[:250])
    return pipe, X[250:], y[:250], y[250:], log_hazard[250:]


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_survival_curves_are_the_predicted_step_functions(case):
    pipe, X, *_ = case
    grid = pipe[-1].unique_times_
    fig = plotting.plot_survival_curves(pipe, X[:3])
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines] == ["patient 1", "patient 2", "patient 3"]
    t = np.r_[0.0, grid]
    expected = values_at(grid, pipe.predict_survival_function(X[:3], return_array=True), t, 1.0)
    for line, row in zip(lines, expected):
        assert line.get_drawstyle() == "steps-post"
        np.testing.assert_allclose(line.get_xdata(), t)
        np.testing.assert_allclose(line.get_ydata(), row)
        assert line.get_ydata()[0] == 1.0  # everyone is alive at time 0
    assert fig.axes[0].get_ylabel() == "Survival probability"


def test_survival_curves_at_given_times_with_labels_on_given_axes(case):
    import matplotlib.pyplot as plt

    pipe, X, _, _, log_hazard = case
    low, high = int(np.argmin(log_hazard)), int(np.argmax(log_hazard))
    times = np.array([0.0, 0.5, 1.0, 2.0])
    fig, ax = plt.subplots()
    out = plotting.plot_survival_curves(pipe, X[[low, high]], times=times, labels=["a", "b"], ax=ax)
    assert out is fig and len(ax.lines) == 2
    functions = pipe.predict_survival_function(X[[low, high]])
    for line, fn, label in zip(ax.lines, functions, ["a", "b"]):
        assert line.get_label() == label
        np.testing.assert_allclose(line.get_ydata(), fn(times))
    # the true lowest-risk patient is predicted to live longer than the highest-risk one
    assert np.all(ax.lines[0].get_ydata()[1:] > ax.lines[1].get_ydata()[1:])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": "rows21"}, r"X must hold 1 to 20 patients .* got 21 rows"),
        ({"labels": ["only one"]}, r"labels has 1 entries but X has 3 rows"),
        ({"times": [1.0, 0.5]}, r"times must be strictly increasing"),
        ({"times": [-1.0, 1.0]}, r"times must be a non-empty 1-D array of finite times >= 0"),
        ({"model": "logistic"}, r"model must be a fitted MedicalMLPSurvival or a Pipeline"),
        ({"model": "unfitted"}, r"has no fitted survival network with unique_times_"),
    ],
)
def test_survival_curves_refuse_bad_input(case, kwargs, match):
    pipe, X, *_ = case
    models = {
        "logistic": LogisticRegression(),
        "unfitted": make_pipeline(StandardScaler(), MedicalMLPSurvival(**FAST)),
    }
    model = models.get(kwargs.pop("model", None), pipe)
    rows = np.repeat(X[:1], 21, axis=0) if kwargs.pop("X", None) else X[:3]
    with pytest.raises(ValueError, match=match):
        plotting.plot_survival_curves(model, rows, **kwargs)


def test_survival_calibration_points_are_the_table(case):
    pipe, X, _, y_test, _ = case
    horizon = 0.5
    survival = pipe.predict_survival_function(X, return_array=True)
    at_h = values_at(pipe[-1].unique_times_, survival, [horizon], 1.0)[:, 0]
    table = survival_calibration(y_test, at_h, horizon, n_groups=4)
    fig = plotting.plot_survival_calibration(y_test, at_h, horizon, n_groups=4)
    ax = fig.axes[0]
    groups = table.iloc[:-1]
    (container,) = ax.containers
    points, _, (bars,) = container
    np.testing.assert_allclose(points.get_xdata(), groups["predicted"])
    np.testing.assert_allclose(points.get_ydata(), groups["observed"])
    segments = np.array(bars.get_segments())  # (group, [low, high], [x, y])
    np.testing.assert_allclose(segments[:, 0, 1], groups["ci_lower"])
    np.testing.assert_allclose(segments[:, 1, 1], groups["ci_upper"])
    diagonal = ax.lines[0]
    assert diagonal.get_label() == "perfect calibration"
    np.testing.assert_allclose(diagonal.get_xydata(), [[0, 0], [1, 1]])
    assert ax.get_title() == "Calibration at time 0.5"
    overall = table.iloc[-1]
    assert f"observed {overall['observed']:.3f}" in ax.texts[0].get_text()


def test_survival_calibration_plot_of_the_true_survival_is_on_the_diagonal(case):
    *_, y_test, log_hazard = case
    truth = np.exp(-np.exp(log_hazard) * 0.5)  # S(t | x) = exp(-t exp(log hazard))
    fig = plotting.plot_survival_calibration(y_test, truth, 0.5, n_groups=3)
    (container,) = fig.axes[0].containers
    points = container[0]
    assert np.max(np.abs(points.get_ydata() - points.get_xdata())) < 0.12


def test_survival_calibration_plot_refuses_bad_input(case):
    *_, y_test, _ = case
    s = np.full(len(y_test), 0.5)
    with pytest.raises(ValueError, match=r"horizon must lie within the follow-up"):
        plotting.plot_survival_calibration(y_test, s, 1e6)
    with pytest.raises(ValueError, match=r"n_groups=500 exceeds the 150 patients"):
        plotting.plot_survival_calibration(y_test, s, 0.5, n_groups=500)
    with pytest.raises(ValueError, match=r"survival_at_horizon must hold survival probabilities"):
        plotting.plot_survival_calibration(y_test, s + 1, 0.5)
    with pytest.raises(
        InvalidParameterError, match=r"'horizon' parameter of plot_survival_calibration"
    ):
        plotting.plot_survival_calibration(y_test, s, 0.0)


def test_time_dependent_auc_line_is_cumulative_dynamic_auc(case):
    pipe, X, y_train, y_test, _ = case
    risk = pipe.predict(X)
    times = [0.2, 0.4, 0.8, 1.2]
    auc, mean_auc = cumulative_dynamic_auc(y_train, y_test, risk, times)
    fig = plotting.plot_time_dependent_auc(y_train, y_test, risk, times)
    curve, mean_line, chance = fig.axes[0].lines
    np.testing.assert_allclose(curve.get_xdata(), times)
    np.testing.assert_allclose(curve.get_ydata(), auc)
    assert mean_line.get_linestyle() == "--"
    np.testing.assert_allclose(mean_line.get_ydata(), [mean_auc, mean_auc])
    assert mean_line.get_label() == f"mean AUC {mean_auc:.3f}"
    np.testing.assert_allclose(chance.get_ydata(), [0.5, 0.5])
    assert mean_auc > 0.65  # the network learned the hazard


def test_time_dependent_auc_plot_refuses_bad_input(case):
    pipe, X, y_train, y_test, _ = case
    risk = pipe.predict(X)
    with pytest.raises(ValueError, match=r"times must lie within the follow-up of y_test"):
        plotting.plot_time_dependent_auc(y_train, y_test, risk, [0.5, 1e6])
    with pytest.raises(ValueError, match=r"risk_score has 149 rows but y_test has 150"):
        plotting.plot_time_dependent_auc(y_train, y_test, risk[1:], [0.5])
    with pytest.raises(ValueError, match=r"y_train must be a structured array of \(event, time\)"):
        plotting.plot_time_dependent_auc(np.ones(10), y_test, risk, [0.5])


def test_survival_plots_say_how_to_install_matplotlib(case, monkeypatch):
    pipe, X, y_train, y_test, _ = case
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    hint = r"pip install 'skmed\[plot\]'"
    with pytest.raises(ImportError, match=hint):
        plotting.plot_survival_curves(pipe, X[:2])
    with pytest.raises(ImportError, match=hint):
        plotting.plot_survival_calibration(y_test, np.full(len(y_test), 0.5), 0.5)
    with pytest.raises(ImportError, match=hint):
        plotting.plot_time_dependent_auc(y_train, y_test, pipe.predict(X), [0.5])
