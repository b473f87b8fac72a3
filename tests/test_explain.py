"""skmed.explain: column importance, partial dependence, per-patient attributions, plots."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier
from skmed.explain import (
    column_importance,
    explain_patient,
    feature_sources,
    partial_dependence_plot,
    plot_importance,
    plot_waterfall,
)
from skmed.explain._gradients import gradient as _gradient
from skmed.explain._gradients import integrated_gradients as _integrated_gradients

FAST = dict(
    hidden_layer_sizes=(16,), learning_rate=0.02, epochs=30, early_stopping=False, random_state=0
)
INFORMATIVE = ["crp", "age", "ward"]
NOISE = ["noise1", "noise2", "noise_cat"]


def make_signal_noise(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Binary outcome driven by crp, age and ward only; three noise columns."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "crp": rng.normal(0, 1, n),
            "age": rng.normal(0, 1, n),
            "noise1": rng.normal(0, 1, n),
            "noise2": rng.normal(0, 1, n),
            "ward": rng.choice(["a", "b", "c"], n),
            "noise_cat": rng.choice(["x", "y"], n),
        }
    )
    logit = 2.0 * X["crp"] + 1.5 * X["age"] + 1.5 * (X["ward"] == "c") - 0.5
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "sick", "well")
    return X, pd.Series(y, name="outcome")


@pytest.fixture(scope="module")
def signal_noise():
    X, y = make_signal_noise(1200, seed=0)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["crp", "age", "noise1", "noise2"]),
            ("cat", OneHotEncoder(), ["ward", "noise_cat"]),
        ]
    )
    pipe = make_pipeline(pre, MedicalMLPClassifier(**FAST)).fit(X[:600], y[:600])
    return pipe, X[600:].reset_index(drop=True), y[600:].reset_index(drop=True)


@pytest.fixture(scope="module")
def clinical_pipe(clinical_frame):
    """Mixed table with NaN: imputer + indicator + scaler on numbers, one-hot on text."""
    X, y = clinical_frame
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return make_pipeline(pre, MedicalMLPClassifier(**FAST)).fit(X, y), X, y


# ------------------------------------------------------------------ global importance


def test_informative_columns_rank_first_and_noise_covers_zero(signal_noise):
    pipe, X_test, y_test = signal_noise
    for scoring in ("roc_auc", "neg_log_loss"):
        imp = column_importance(pipe, X_test, y_test, scoring=scoring, n_repeats=10)
        assert list(imp.columns) == [
            "column",
            "importance_mean",
            "importance_std",
            "ci_lower",
            "ci_upper",
            "n_repeats",
        ]
        assert sorted(imp["column"]) == sorted(X_test.columns)  # one row per raw column
        assert set(imp["column"][:3]) == set(INFORMATIVE)
        rows = imp.set_index("column")
        assert (rows.loc[INFORMATIVE, "ci_lower"] > 0).all()
        noise = rows.loc[NOISE]
        assert ((noise["ci_lower"] <= 0) & (noise["ci_upper"] >= 0)).all(), noise


def test_importance_is_reproducible_and_other_intervals(signal_noise):
    pipe, X_test, y_test = signal_noise
    a = column_importance(pipe, X_test, y_test, scoring="roc_auc", n_repeats=3, random_state=1)
    b = column_importance(pipe, X_test, y_test, scoring="roc_auc", n_repeats=3, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    for interval in ("t", "percentile"):
        imp = column_importance(pipe, X_test, y_test, n_repeats=4, interval=interval)
        assert (imp["ci_lower"] <= imp["importance_mean"] + 1e-12).all()
        assert (imp["ci_upper"] >= imp["importance_mean"] - 1e-12).all()
    multi = column_importance(pipe, X_test, y_test, scoring=["roc_auc", "accuracy"], n_repeats=2)
    assert set(multi["scoring"]) == {"roc_auc", "accuracy"}
    assert len(multi) == 2 * X_test.shape[1]


def test_importance_bad_input(signal_noise):
    pipe, X_test, y_test = signal_noise
    with pytest.raises(ValueError, match="crp"):
        column_importance(pipe, X_test.drop(columns="crp"), y_test)
    with pytest.raises(ValueError, match="interval"):
        column_importance(pipe, X_test, y_test, interval="wald")
    with pytest.raises(NotFittedError, match="This Pipeline instance is not fitted"):
        column_importance(make_pipeline(StandardScaler(), MedicalMLPClassifier()), X_test, y_test)


# ------------------------------------------------------------------ per patient


def test_completeness_and_determinism(clinical_pipe):
    pipe, X, _ = clinical_pipe
    for i in range(10):
        row = X.iloc[[i]]
        for baseline in (None, X, X.iloc[[50]]):
            e = explain_patient(pipe, row, baseline=baseline)
            assert abs(e.attributions.sum() - (e.score - e.baseline_score)) <= 1e-4
            assert e.completeness_error <= 1e-8
            assert e.score == pytest.approx(pipe.predict_proba(row)[0].max(), abs=1e-12)
        again = explain_patient(pipe, X.iloc[[i]].copy(), baseline=X)
        first = explain_patient(pipe, row, baseline=X)
        pd.testing.assert_series_equal(first.attributions, again.attributions, check_exact=True)


def test_baselines_and_class_choice(clinical_pipe):
    pipe, X, _ = clinical_pipe
    row = X.iloc[[7]]
    ref = X.iloc[[3]]
    e = explain_patient(pipe, row, baseline=ref, class_="pneumonia")
    assert e.class_ == "pneumonia"
    k = list(pipe.classes_).index("pneumonia")
    assert e.score == pytest.approx(pipe.predict_proba(row)[0, k], abs=1e-12)
    assert e.baseline_score == pytest.approx(pipe.predict_proba(ref)[0, k], abs=1e-12)
    assert "reference patient" in e.baseline
    # a patient compared with themself: nothing to explain
    same = explain_patient(pipe, row, baseline=row)
    assert np.all(same.attributions == 0)
    # a row given as Series or dict explains the same
    as_series = explain_patient(pipe, row.iloc[0], baseline=ref, class_="pneumonia")
    as_dict = explain_patient(pipe, row.iloc[0].to_dict(), baseline=ref, class_="pneumonia")
    np.testing.assert_allclose(as_series.attributions, e.attributions, atol=1e-12)
    np.testing.assert_allclose(as_dict.attributions, e.attributions, atol=1e-12)
    mean = explain_patient(pipe, row, baseline=X)
    assert f"{len(X)} reference patients" in mean.baseline


def test_mapping_back_to_raw_columns(clinical_pipe):
    pipe, X, _ = clinical_pipe
    sources = feature_sources(pipe)
    assert sources.to_dict() == {
        "num__age": "age",
        "num__crp": "crp",
        "num__temperature": "temperature",
        "num__cough": "cough",
        "num__missingindicator_crp": "crp",
        "num__missingindicator_temperature": "temperature",
        "cat__sex_F": "sex",
        "cat__sex_M": "sex",
        "cat__smoker_current": "smoker",
        "cat__smoker_never": "smoker",
    }
    assert list(sources.index) == list(pipe[0].get_feature_names_out())
    e = explain_patient(pipe, X.iloc[[0]], baseline=X)
    assert list(e.attributions.index) == list(X.columns)  # one per raw column, model order
    fa = e.feature_attributions
    assert e.attributions["sex"] == pytest.approx(fa["cat__sex_F"] + fa["cat__sex_M"], abs=1e-15)
    assert e.attributions["crp"] == pytest.approx(
        fa["num__crp"] + fa["num__missingindicator_crp"], abs=1e-15
    )
    assert e.attributions["age"] == fa["num__age"]
    assert e.attributions.sum() == pytest.approx(fa.sum(), abs=1e-12)


def test_bare_classifier_on_arrays(iris_scaled):
    X, y = iris_scaled
    clf = MedicalMLPClassifier(**FAST).fit(X, y)
    e = explain_patient(clf, X[0], baseline=X.mean(axis=0), class_="versicolor")
    assert list(e.attributions.index) == ["x0", "x1", "x2", "x3"]
    assert abs(e.attributions.sum() - (e.score - e.baseline_score)) <= 1e-4


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu", "selu", "silu", "linear"])
def test_gradient_and_integrated_gradients_on_a_network(activation):
    rng = np.random.default_rng(1)
    widths = [7, 12, 9, 3]
    network = [
        {
            "kernel": rng.normal(0, 0.8, (a, b)).astype(np.float32),
            "bias": rng.normal(0, 0.3, b).astype(np.float32),
            "activation": activation if i < len(widths) - 2 else "softmax",
        }
        for i, (a, b) in enumerate(zip(widths, widths[1:]))
    ]
    x, x0 = rng.normal(0, 2, 7), rng.normal(0, 0.5, 7)
    f, g = _gradient(network, x[None, :], 2)
    eps = 1e-6
    numeric = [
        (
            _gradient(network, (x + eps * e)[None, :], 2)[0][0]
            - _gradient(network, (x - eps * e)[None, :], 2)[0][0]
        )
        / (2 * eps)
        for e in np.eye(7)
    ]
    np.testing.assert_allclose(g[0], numeric, atol=1e-6)
    attr, fx, f0, err = _integrated_gradients(network, x, x0, 2)
    assert fx == pytest.approx(f[0])
    assert abs(attr.sum() - (fx - f0)) <= 1e-8 and err <= 1e-8


def test_summary_text(clinical_pipe):
    pipe, X, _ = clinical_pipe
    e = explain_patient(pipe, X.iloc[[5]], baseline=X, top=3)
    text = e.summary(units={"crp": "mg/L"})
    assert text.startswith(f"P({e.class_}) = {e.score:.2f} vs baseline {e.baseline_score:.2f}.")
    assert "Raised by:" in text and "Lowered by:" in text
    named = [c for c in X.columns if f"{c} = " in text]
    assert 1 <= len(named) <= 3
    biggest = e.attributions.abs().idxmax()
    assert f"{biggest} = " in text
    if "crp = " in text and not pd.isna(X.loc[5, "crp"]):
        assert "mg/L" in text
    assert str(e) == e.summary()
    frame = e.to_frame()
    assert list(frame.columns) == ["value", "attribution"]


def test_patient_bad_input(clinical_pipe):
    pipe, X, _ = clinical_pipe
    with pytest.raises(ValueError, match=r"crp.*temperature|temperature.*crp"):
        explain_patient(pipe, X.iloc[[0]].drop(columns=["crp", "temperature"]))
    with pytest.raises(ValueError, match="one patient"):
        explain_patient(pipe, X.iloc[:2])
    with pytest.raises(ValueError, match="not a class"):
        explain_patient(pipe, X.iloc[[0]], class_="measles")
    with pytest.raises(ValueError, match="sex"):
        explain_patient(pipe, X.iloc[[0]], baseline=X.drop(columns="sex"))
    with pytest.raises(NotFittedError, match="This Pipeline instance is not fitted"):
        explain_patient(make_pipeline(StandardScaler(), MedicalMLPClassifier()), X.iloc[[0]])
    with pytest.raises(NotFittedError, match="This MedicalMLPClassifier instance is not fitted"):
        explain_patient(MedicalMLPClassifier(), X.iloc[[0]])
    from sklearn.linear_model import LogisticRegression

    other = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[["age", "cough"]], X["sex"])
    with pytest.raises(TypeError, match="MedicalMLPClassifier"):
        explain_patient(other, X.iloc[[0]])


# ------------------------------------------------------------------ plots


@pytest.fixture
def agg():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_plots(agg, signal_noise, clinical_pipe):
    pipe, X_test, y_test = signal_noise
    imp = column_importance(pipe, X_test, y_test, scoring="roc_auc", n_repeats=3)
    fig = plot_importance(imp)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == imp["column"].iloc[0]
    cpipe, X, _ = clinical_pipe
    e = explain_patient(cpipe, X.iloc[[2]], baseline=X)
    fig = plot_waterfall(e, top=3)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 4 and labels[-1].endswith("other column(s)")
    _, ax = agg.subplots()
    assert e.plot(ax=ax) is ax.figure


def test_partial_dependence(agg, clinical_pipe):
    pipe, X, _ = clinical_pipe
    disp = partial_dependence_plot(
        pipe, X, ["temperature", "sex"], target="pneumonia", grid_resolution=10, subsample=30
    )
    assert len(disp.pd_results) == 2
    with pytest.raises(ValueError, match="lactate"):
        partial_dependence_plot(pipe, X, ["lactate"], target="pneumonia")
    with pytest.raises(ValueError, match="target"):
        partial_dependence_plot(pipe, X, ["temperature"])
    with pytest.raises(NotFittedError, match="This MedicalMLPClassifier instance is not fitted"):
        partial_dependence_plot(MedicalMLPClassifier(), X, ["temperature"])


def test_plots_without_matplotlib(monkeypatch, clinical_pipe):
    pipe, X, _ = clinical_pipe
    e = explain_patient(pipe, X.iloc[[0]])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skmed\[plot\]"):
        plot_waterfall(e)
