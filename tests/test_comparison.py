"""skmed.metrics.compare_models: several models on the same patients, paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from skmed.metrics import clinical_metrics, compare_models, net_benefit


def _binary(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    signal = y + rng.normal(0, 1.0, n)
    sharp = 1 / (1 + np.exp(-2.0 * signal + 1.0))
    noisy = 1 / (1 + np.exp(-(signal + rng.normal(0, 1.5, n)) + 0.5))
    return y, sharp, noisy


def test_each_model_equals_clinical_metrics_with_the_same_seed():
    y, sharp, noisy = _binary()
    result = compare_models(y, {"a": noisy, "b": sharp}, threshold=0.3, n_bootstraps=300)
    table = result.metrics.set_index(["model", "metric"])
    for name, p in (("a", noisy), ("b", sharp)):
        want = clinical_metrics(y, p, threshold=0.3, n_bootstraps=300).set_index("metric")
        for metric in ("roc_auc", "brier", "calibration_intercept", "calibration_slope"):
            np.testing.assert_allclose(
                table.loc[(name, metric), ["estimate", "ci_lower", "ci_upper"]].to_numpy(float),
                want.loc[metric, ["estimate", "ci_lower", "ci_upper"]].to_numpy(float),
                rtol=1e-10,
            )
        nb = net_benefit(y, p, thresholds=[0.3])["model"].iloc[0]
        assert table.loc[(name, "net_benefit"), "estimate"] == pytest.approx(nb, abs=1e-12)


def test_paired_differences_and_verdicts():
    y, sharp, noisy = _binary()
    result = compare_models(y, {"noisy": noisy, "sharp": sharp}, n_bootstraps=400)
    diff = result.differences.set_index("metric")
    point = result.metrics.set_index(["model", "metric"])["estimate"]
    assert diff.loc["roc_auc", "difference"] == pytest.approx(
        point[("sharp", "roc_auc")] - point[("noisy", "roc_auc")], abs=1e-12
    )
    assert diff.loc[["roc_auc", "brier"], "better"].tolist() == [True, True]
    assert diff.loc["roc_auc", "ci_lower"] > 0
    # paired: the difference's interval is narrower than either model's own interval
    width = diff.loc["roc_auc", "ci_upper"] - diff.loc["roc_auc", "ci_lower"]
    own = result.metrics.set_index(["model", "metric"]).loc[("sharp", "roc_auc")]
    assert width < 2 * (own["ci_upper"] - own["ci_lower"])
    assert "sharp is better than noisy on ROC AUC" in result.sentences()[0]
    # the same model twice: no difference at all, and none claimed
    same = compare_models(y, [sharp, sharp.copy()], n_bootstraps=100)
    assert (same.differences["difference"] == 0).all()
    assert same.differences["better"].isna().all()
    assert "no difference" in same.sentences()[0]
    assert same.models == ["model 1", "model 2"] and same.reference == "model 1"


def test_several_classes_use_the_macro_average():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 500)
    vague = rng.dirichlet([1, 1, 1], 500)
    good = 0.5 * vague + 0.5 * np.eye(3)[y]
    result = compare_models(y, {"vague": vague, "good": good}, n_bootstraps=200)
    assert set(result.differences["metric"]) == {"roc_auc", "brier"}
    macro = clinical_metrics(y, good, n_bootstraps=200).set_index(["class", "metric"])
    got = result.metrics.set_index(["model", "metric"]).loc[("good", "roc_auc"), "estimate"]
    assert got == pytest.approx(macro.loc[("macro", "roc_auc"), "estimate"], abs=1e-12)
    assert result.to_dict()["settings"]["threshold"] is None


def test_bad_input():
    y, sharp, noisy = _binary(100)
    with pytest.raises(ValueError, match="at least two models"):
        compare_models(y, {"only": sharp})
    with pytest.raises(ValueError, match="Model 'b': y_true has 100 rows but y_proba has 99"):
        compare_models(y, {"a": sharp, "b": noisy[:99]})
    with pytest.raises(ValueError, match="threshold applies to binary problems only"):
        compare_models(np.arange(100) % 3, [np.full((100, 3), 1 / 3)] * 2, threshold=0.2)
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\)"):
        compare_models(y, [sharp, noisy], threshold=0.0)


def test_without_bootstrap_the_differences_have_no_interval():
    y, sharp, noisy = _binary()
    point = compare_models(y, {"sharp": sharp, "noisy": noisy}, n_bootstraps=0).differences
    full = compare_models(y, {"sharp": sharp, "noisy": noisy}, n_bootstraps=100).differences
    np.testing.assert_allclose(point["difference"], full["difference"], rtol=1e-12)
    assert point[["ci_lower", "ci_upper"]].isna().all().all()
    assert point["better"].isna().all()


def test_small_differences_print_with_the_digits_their_interval_needs():
    """A nearly identical model: a Brier difference of a few 1e-5 is not printed as
    "+0.000 (+0.000 to +0.000)" beside a verdict that it is worse."""
    import re

    from skmed.metrics._comparison import interval_decimals

    y, sharp, _ = _binary(2000)
    nudged = np.clip(sharp + 0.004 * (0.5 - y), 0, 1)  # slightly towards the wrong class
    result = compare_models(y, {"a": sharp, "b": nudged}, n_bootstraps=300)
    brier = result.differences.set_index("metric").loc["brier"]
    assert brier["better"] is False or brier["better"] == False  # noqa: E712 (numpy bool)
    assert brier["ci_lower"] > 0 and brier["ci_upper"] < 2e-3  # 3 decimals: all "+0.001"
    part = re.search(r"Brier score (\S+) \((\S+) to (\S+)\)", result.sentences()[0]).groups()
    assert all(float(v) != 0.0 for v in part)  # the sign of each is visible
    assert float(part[1]) == pytest.approx(brier["ci_lower"], rel=0.1)
    assert interval_decimals(0.1, 0.3) == 3 and interval_decimals(1e-4, 3e-4) == 5
    assert interval_decimals(0.0, 0.0) == 3 and interval_decimals(None, 1.0) == 3
