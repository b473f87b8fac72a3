"""skmed.metrics and skmed.calibration: values against scikit-learn and by hand, CIs, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from scipy.stats import norm
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    class_likelihood_ratios,
    precision_score,
    recall_score,
    roc_auc_score,
)

from skmed.calibration import assess_calibration, reliability_table
from skmed.metrics import (
    METRICS,
    calibration_intercept_slope,
    clinical_metrics,
    likelihood_ratios,
    net_benefit,
    npv_score,
    ppv_score,
    roc_curve_ci,
    sensitivity_score,
    specificity_score,
    subgroup_metrics,
)
from skmed.metrics._bootstrap import BinaryProblem, stratified_weights


def _binary_data(n=400, seed=0, decimals=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = expit(rng.normal(1.2 * y - 0.6, 1.0))
    return y, np.round(p, decimals)  # rounding creates ties, the hard case for AUC/AP


def _estimates(table, cls=None):
    if cls is not None:
        table = table[table["class"] == cls]
    return table.set_index("metric")["estimate"]


def test_hand_computed_small_example():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    est = _estimates(clinical_metrics(y, p, n_bootstraps=0))
    # threshold 0.5: TP=2 (0.8, 0.9), FN=1 (0.35), FP=1 (0.6), TN=2
    assert est["sensitivity"] == pytest.approx(2 / 3)
    assert est["specificity"] == pytest.approx(2 / 3)
    assert est["ppv"] == pytest.approx(2 / 3)
    assert est["npv"] == pytest.approx(2 / 3)
    assert est["lr_positive"] == pytest.approx(2.0)
    assert est["lr_negative"] == pytest.approx(0.5)
    assert est["balanced_accuracy"] == pytest.approx(2 / 3)
    # positive 0.35 beats one negative, 0.8 and 0.9 beat all three: 7 of 9 pairs
    assert est["roc_auc"] == pytest.approx(7 / 9)
    assert est["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert list(est.index) == list(METRICS)


def test_binary_metrics_match_scikit_learn():
    y, p = _binary_data()
    thr = 0.4
    est = _estimates(clinical_metrics(y, p, threshold=thr, n_bootstraps=0))
    pred = (p >= thr).astype(int)
    lr_pos, lr_neg = class_likelihood_ratios(y, pred)
    assert est["sensitivity"] == pytest.approx(recall_score(y, pred))
    assert est["specificity"] == pytest.approx(recall_score(y, pred, pos_label=0))
    assert est["ppv"] == pytest.approx(precision_score(y, pred))
    assert est["npv"] == pytest.approx(precision_score(y, pred, pos_label=0))
    assert est["lr_positive"] == pytest.approx(lr_pos)
    assert est["lr_negative"] == pytest.approx(lr_neg)
    assert est["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert est["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert est["pr_auc"] == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert est["brier"] == pytest.approx(brier_score_loss(y, p))


def test_pos_label_and_string_labels():
    y, p = _binary_data()
    labels = np.where(y == 1, "sick", "well")
    # columns ordered ["sick", "well"]; "well" would be the default positive (classes[1])
    proba = np.column_stack([p, 1 - p])
    est = _estimates(clinical_metrics(labels, proba, pos_label="sick", n_bootstraps=0))
    assert est["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert est["sensitivity"] == pytest.approx(recall_score(y, (p >= 0.5).astype(int)))
    default = clinical_metrics(labels, proba, n_bootstraps=0)
    assert set(default["class"]) == {"well"}
    assert _estimates(default)["roc_auc"] == pytest.approx(roc_auc_score(y == 0, 1 - p))


def test_calibration_slope_matches_logistic_regression_and_intercept_solves_score_equation():
    y, p = _binary_data(n=2000, seed=1, decimals=6)
    intercept, slope = calibration_intercept_slope(y, p)
    z = logit(np.clip(p, 1e-12, 1 - 1e-12))
    lr = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(z[:, None], y)
    assert slope == pytest.approx(lr.coef_[0, 0], rel=1e-4)
    # calibration-in-the-large: with slope fixed at 1, expected events equal observed events
    assert np.sum(expit(intercept + z)) == pytest.approx(np.sum(y), rel=1e-6)
    # a well-calibrated model: intercept ~ 0, slope ~ 1 (simulated from its own risks)
    rng = np.random.default_rng(2)
    risk = rng.uniform(0.05, 0.95, 20000)
    a, b = calibration_intercept_slope(rng.random(20000) < risk, risk)
    assert abs(a) < 0.05 and abs(b - 1) < 0.05
    # three-times-too-extreme risks give slope ~ 1/3
    _, b3 = calibration_intercept_slope(rng.random(20000) < risk, expit(3 * logit(risk)))
    assert b3 == pytest.approx(1 / 3, abs=0.03)


def test_multiclass_one_vs_rest_and_macro():
    rng = np.random.default_rng(0)
    n, k = 600, 3
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array(["a", "b", "c"])[y]
    table = clinical_metrics(labels, proba, n_bootstraps=0)
    assert list(dict.fromkeys(table["class"])) == ["a", "b", "c", "macro"]
    pred = np.argmax(proba, axis=1)
    recalls = recall_score(y, pred, average=None)
    for j, c in enumerate("abc"):
        est = _estimates(table, c)
        assert est["roc_auc"] == pytest.approx(roc_auc_score(y == j, proba[:, j]))
        assert est["pr_auc"] == pytest.approx(average_precision_score(y == j, proba[:, j]))
        assert est["sensitivity"] == pytest.approx(recalls[j])
        assert est["brier"] == pytest.approx(np.mean((proba[:, j] - (y == j)) ** 2))
    macro = _estimates(table, "macro")
    assert macro["roc_auc"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    assert macro["sensitivity"] == pytest.approx(balanced_accuracy_score(y, pred))


def test_bootstrap_weights_are_stratified_and_metrics_match_weighted_sklearn():
    y, p = _binary_data(n=300, seed=3)
    rng = np.random.default_rng(0)
    W = np.vstack(list(stratified_weights(y, 7, rng)))
    assert W.shape == (7, 300)
    # every replicate keeps the class counts
    np.testing.assert_array_equal(W[:, y == 1].sum(axis=1), np.full(7, (y == 1).sum()))
    np.testing.assert_array_equal(W[:, y == 0].sum(axis=1), np.full(7, (y == 0).sum()))
    problem = BinaryProblem(y == 1, p, p >= 0.5)
    problem.metrics(np.ones((1, 300)))  # point estimate first (warm start)
    vals = problem.metrics(W)
    for b in range(7):
        w = W[b]
        pred = (p >= 0.5).astype(int)
        assert vals["roc_auc"][b] == pytest.approx(roc_auc_score(y, p, sample_weight=w))
        assert vals["pr_auc"][b] == pytest.approx(average_precision_score(y, p, sample_weight=w))
        assert vals["sensitivity"][b] == pytest.approx(recall_score(y, pred, sample_weight=w))
        assert vals["brier"][b] == pytest.approx(brier_score_loss(y, p, sample_weight=w))
        # the replicate equals the metric on the explicitly resampled rows
        rows = np.repeat(np.arange(300), w.astype(int))
        assert vals["roc_auc"][b] == pytest.approx(roc_auc_score(y[rows], p[rows]))
        _, slope = calibration_intercept_slope(y[rows], p[rows])
        assert vals["calibration_slope"][b] == pytest.approx(slope, abs=1e-6)


def test_confidence_intervals_are_seeded_and_bracket_the_estimate():
    y, p = _binary_data()
    a = clinical_metrics(y, p, n_bootstraps=300, random_state=5)
    b = clinical_metrics(y, p, n_bootstraps=300, random_state=5)
    c = clinical_metrics(y, p, n_bootstraps=300, random_state=6)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_lower"], c["ci_lower"])
    assert np.all(a["ci_lower"] <= a["estimate"] + 1e-9)
    assert np.all(a["estimate"] <= a["ci_upper"] + 1e-9)
    auc = a.set_index("metric").loc["roc_auc"]
    # the AUC interval width is about 2 * 1.96 * SE; SE of AUC here is about 0.02
    assert 0.04 < auc["ci_upper"] - auc["ci_lower"] < 0.15
    assert a.attrs["n_bootstraps"] == 300 and a.attrs["threshold"] == 0.5


def test_bootstrap_ci_coverage_on_simulated_data():
    """A 95% interval covers the true AUC and sensitivity in roughly 95% of simulations."""
    rng = np.random.default_rng(2024)
    n_pos = n_neg = 150
    d, thr = 1.0, 0.5
    true_auc = norm.cdf(d / np.sqrt(2))
    true_sens = norm.sf(logit(thr) - d)  # score = d + N(0, 1) for positives, p = expit(score)
    hits = {"roc_auc": 0, "sensitivity": 0}
    n_sim = 200
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    for i in range(n_sim):
        score = np.r_[rng.normal(d, 1, n_pos), rng.normal(0, 1, n_neg)]
        table = clinical_metrics(y, expit(score), threshold=thr, n_bootstraps=200, random_state=i)
        rows = table.set_index("metric")
        for m, truth in (("roc_auc", true_auc), ("sensitivity", true_sens)):
            hits[m] += rows.loc[m, "ci_lower"] <= truth <= rows.loc[m, "ci_upper"]
    for m, h in hits.items():
        assert 0.88 <= h / n_sim <= 0.99, (m, h / n_sim)


def test_single_metric_functions():
    y = [1, 1, 1, 0, 0, 0, 0]
    pred = [1, 1, 0, 0, 0, 0, 1]
    assert sensitivity_score(y, pred) == pytest.approx(2 / 3)
    assert specificity_score(y, pred) == pytest.approx(3 / 4)
    assert ppv_score(y, pred) == pytest.approx(2 / 3)
    assert npv_score(y, pred) == pytest.approx(3 / 4)
    assert likelihood_ratios(y, pred) == pytest.approx(((2 / 3) / (1 / 4), (1 / 3) / (3 / 4)))
    assert likelihood_ratios([1, 0], [1, 0])[0] == np.inf
    assert np.isnan(ppv_score([1, 0], [0, 0]))


STRING_Y = ["pos", "pos", "pos", "neg", "neg", "neg", "neg"]
STRING_PRED = ["pos", "pos", "neg", "neg", "neg", "neg", "pos"]


@pytest.mark.parametrize(
    ("y", "pred", "pos_label"),
    [
        (STRING_Y, STRING_PRED, None),
        (pd.Series(STRING_Y, dtype="string"), pd.Series(STRING_PRED, dtype="string"), None),
        ([2, 2, 2, 0, 0, 0, 0], [2, 2, 0, 0, 0, 0, 2], None),
        ([2, 2, 2, 0, 0, 0, 0], [2, 2, 0, 0, 0, 0, 2], 2),
    ],
)
def test_single_metrics_default_pos_label_is_the_larger_label(y, pred, pos_label):
    # pos_label=None is classes[1], the larger label, as everywhere else in skmed
    # by hand: TP = 2, FN = 1, TN = 3, FP = 1
    kw = {} if pos_label is None else {"pos_label": pos_label}
    assert sensitivity_score(y, pred, **kw) == pytest.approx(2 / 3)
    assert specificity_score(y, pred, **kw) == pytest.approx(3 / 4)
    assert ppv_score(y, pred, **kw) == pytest.approx(2 / 3)
    assert npv_score(y, pred, **kw) == pytest.approx(3 / 4)
    assert likelihood_ratios(y, pred, **kw) == pytest.approx(((2 / 3) / (1 / 4), (1 / 3) / (3 / 4)))


@pytest.mark.parametrize(
    "score", [sensitivity_score, specificity_score, ppv_score, npv_score, likelihood_ratios]
)
def test_single_metrics_reject_a_pos_label_that_is_not_a_label(score):
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the labels \['neg', 'pos'\]"):
        score(["neg", "pos", "pos"], ["pos", "pos", "neg"], pos_label=1)
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the labels \[0, 2\]"):
        score([0, 2, 2], [2, 2, 0], pos_label=1)
    with pytest.raises(ValueError, match=r"pos_label=None.*3 labels \[0, 1, 2\]"):
        score([0, 1, 2], [0, 1, 1])


def test_infinite_likelihood_ratio_is_reported_not_dropped():
    y = np.r_[np.ones(30, int), np.zeros(30, int)]
    p = np.r_[np.linspace(0.3, 0.9, 30), np.linspace(0.0, 0.45, 30)]  # no false positive at 0.5
    rows = clinical_metrics(y, p, n_bootstraps=100).set_index("metric")
    assert rows.loc["specificity", "estimate"] == 1.0
    assert rows.loc["lr_positive", "estimate"] == np.inf
    assert rows.loc["lr_positive", "ci_upper"] == np.inf


def test_net_benefit_by_hand():
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.3, 0.6, 0.2, 0.1])
    nb = net_benefit(y, p, thresholds=[0.25, 0.5])
    # pt=0.25: treat 0.9, 0.3, 0.6 -> TP=2, FP=1; NB = 2/5 - 1/5 * (1/3)
    assert nb["model"].tolist() == pytest.approx([2 / 5 - 1 / 15, 1 / 5 - 1 / 5])
    assert nb["treat_all"].tolist() == pytest.approx([0.4 - 0.6 / 3, 0.4 - 0.6])
    assert nb["treat_none"].tolist() == [0.0, 0.0]


def test_roc_curve_ci_band_contains_curve():
    y, p = _binary_data()
    band = roc_curve_ci(y, p, n_bootstraps=200)
    assert band["fpr"].shape == band["tpr"].shape == (101,)
    assert np.all(band["tpr_lower"] <= band["tpr"] + 1e-9)
    assert np.all(band["tpr"] <= band["tpr_upper"] + 1e-9)
    assert band["tpr"][-1] == 1.0


# ----------------------------------------------------------------------------- subgroups


def test_subgroup_metrics_per_level_and_small_groups_flagged():
    y, p = _binary_data(n=500, seed=4)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], 500),
            "age_band": rng.choice(["<40", "40-65", ">65"], 500, p=[0.47, 0.47, 0.06]),
        }
    )
    X.loc[:4, "sex"] = None
    table = subgroup_metrics(y, p, ["sex", "age_band"], X=X, n_bootstraps=100)
    assert set(table["variable"]) == {"sex", "age_band"}
    assert set(table.loc[table["variable"] == "sex", "level"]) == {"F", "M", "(missing)"}
    for (var, level), block in table.groupby(["variable", "level"]):
        mask = (X[var].fillna("(missing)") == level).to_numpy()
        assert block["n"].iloc[0] == mask.sum()
        if np.unique(y[mask]).size == 2:
            expected = _estimates(clinical_metrics(y[mask], p[mask], n_bootstraps=0))
            got = block.set_index("metric")["estimate"]
            np.testing.assert_allclose(got.to_numpy(), expected[got.index].to_numpy())
        if mask.sum() < 50:
            assert block["too_small"].all()
            assert block["ci_lower"].isna().all()  # no interval for a flagged group
            assert f"n={mask.sum()} < 50" in block["note"].iloc[0]
        else:
            assert not block["too_small"].any()
            assert block["ci_lower"].notna().sum() >= 10


def test_subgroup_missing_a_class_is_flagged_with_nan():
    y = np.r_[np.ones(60, int), np.zeros(60, int)]
    p = np.r_[np.full(60, 0.8), np.full(60, 0.2)]
    site = np.r_[np.full(60, "A"), np.full(30, "A"), np.full(30, "B")]  # site B: no positives
    table = subgroup_metrics(y, p, pd.Series(site, name="site"), n_bootstraps=50)
    b = table[table["level"] == "B"].set_index("metric")
    assert b["too_small"].all()
    assert np.isnan(b.loc["sensitivity", "estimate"])
    assert b.loc["specificity", "estimate"] == 1.0
    assert "1: 0" in b["note"].iloc[0]


def test_subgroup_string_column_with_pd_na_is_a_missing_level():
    y, p = _binary_data(n=200, seed=5)
    sex = pd.Series(np.where(np.arange(200) % 2, "F", "M"), dtype="string", name="sex")
    sex.iloc[:7] = pd.NA
    table = subgroup_metrics(y, p, ["sex"], X=sex.to_frame(), n_bootstraps=20)
    assert set(table["level"]) == {"F", "M", "(missing)"}
    assert table.loc[table["level"] == "(missing)", "n"].iloc[0] == 7
    assert set(subgroup_metrics(y, p, sex, n_bootstraps=0)["level"]) == {"F", "M", "(missing)"}


# ----------------------------------------------------------------------------- calibration


def test_reliability_table_matches_calibration_curve():
    y, p = _binary_data(n=1000, seed=5, decimals=6)
    for strategy in ("uniform", "quantile"):
        table = reliability_table(y, p, n_bins=8, strategy=strategy)
        prob_true, prob_pred = calibration_curve(y, p, n_bins=8, strategy=strategy)
        np.testing.assert_allclose(table["observed"], prob_true)
        np.testing.assert_allclose(table["mean_predicted"], prob_pred)
        assert table["count"].sum() == 1000


def test_assess_calibration_flags_overconfident_model():
    rng = np.random.default_rng(0)
    risk = rng.uniform(0.05, 0.95, 5000)
    y = rng.random(5000) < risk
    good = assess_calibration(y, risk)
    assert not good.needs_recalibration and good.warnings == []
    bad = assess_calibration(y, expit(2.5 * logit(risk)))
    assert bad.needs_recalibration
    assert bad.slope == pytest.approx(0.4, abs=0.05)
    assert "too extreme" in bad.warnings[0]
    assert "CalibratedClassifierCV" in bad.warnings[-1]
    assert bad.to_dict()["curve"][0].keys() >= {"mean_predicted", "observed", "count"}


# ----------------------------------------------------------------------------- bad input


def test_label_missing_a_class_raises():
    y = np.zeros(10, int)
    with pytest.raises(ValueError, match=r"no samples of class\(es\) \[1\]"):
        clinical_metrics(y, np.full((10, 2), 0.5), classes=[0, 1])
    with pytest.raises(ValueError, match="contains 1 classes .* but y_proba has 2 columns"):
        clinical_metrics(y, np.full((10, 2), 0.5))


def test_probabilities_outside_unit_interval_raise():
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*-0.2 to 1.3"):
        clinical_metrics(y, np.array([-0.2, 0.5, 0.3, 1.3]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        clinical_metrics(y, np.array([np.nan, 0.5, 0.3, 0.3]))


def test_other_bad_inputs_raise():
    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.9])
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        clinical_metrics(np.array([0, 1, 2, 1]), p, classes=[0, 1])
    with pytest.raises(ValueError, match="3 columns but 2 classes"):
        clinical_metrics(y, np.full((4, 3), 1 / 3), classes=[0, 1])
    with pytest.raises(ValueError, match="4 rows but y_proba has 3"):
        clinical_metrics(y, p[:3])
    with pytest.raises(ValueError, match="threshold must be a probability"):
        clinical_metrics(y, p, threshold=1.5)
    with pytest.raises(ValueError, match="pos_label=5 is not one of the classes"):
        clinical_metrics(y, p, pos_label=5)
    with pytest.raises(ValueError, match="threshold applies to binary problems only"):
        clinical_metrics([0, 1, 2], np.eye(3), threshold=0.3)
    with pytest.raises(
        ValueError, match=r"'n_bootstraps' parameter .* int in the range \[0, inf\)"
    ):
        clinical_metrics(y, p, n_bootstraps=-1)


def test_subgroup_column_that_does_not_exist_raises():
    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.9])
    X = pd.DataFrame({"sex": ["F", "M", "F", "M"]})
    with pytest.raises(ValueError, match=r"Grouping column\(s\) \['age'\] not found in X"):
        subgroup_metrics(y, p, ["sex", "age"], X=X)
    with pytest.raises(ValueError, match="X must be a pandas DataFrame"):
        subgroup_metrics(y, p, "sex")
    with pytest.raises(ValueError, match="has 3 values but y_true has 4"):
        subgroup_metrics(y, p, ["F", "M", "F"])
