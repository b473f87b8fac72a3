"""skmed.metrics.fairness_gaps: between-group gaps, checked against per-group metrics."""

from __future__ import annotations

import numpy as np
import pytest

from skmed.metrics import (
    calibration_intercept_slope,
    fairness_gaps,
    ppv_score,
    sensitivity_score,
    specificity_score,
)


def _data(n=2400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sex = np.where(rng.random(n) < 0.6, "F", "M")
    age = rng.choice(["<50", "50-70", ">70", "rare"], n, p=[0.4, 0.35, 0.24, 0.01])
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, n) + 0.15 * (sex == "M"), 0.001, 0.999)
    return y, p, sex, age


def test_gaps_match_per_group_metrics_computed_directly():
    y, p, sex, age = _data()
    gaps = fairness_gaps(y, p, {"sex": sex, "age": age}, threshold=0.4, n_bootstraps=300)
    pred = (p >= 0.4).astype(int)
    for level in ("F", "M"):
        m = sex == level
        row = gaps.by_group.loc[("sex", level)]
        assert row["n"] == m.sum()
        assert row["sensitivity"] == pytest.approx(sensitivity_score(y[m], pred[m]), abs=1e-12)
        fpr = 1 - specificity_score(y[m], pred[m])
        assert row["false_positive_rate"] == pytest.approx(fpr, abs=1e-12)
        assert row["ppv"] == pytest.approx(ppv_score(y[m], pred[m]), abs=1e-12)
        a, _ = calibration_intercept_slope(y[m], p[m])
        assert row["calibration_intercept"] == pytest.approx(a, abs=1e-6)
    diff = gaps.differences.set_index(["variable", "metric", "level"])
    by = gaps.by_group
    for metric in ("sensitivity", "false_positive_rate", "ppv", "calibration_intercept"):
        want = by.loc[("sex", "M"), metric] - by.loc[("sex", "F"), metric]  # F is larger
        assert diff.loc[("sex", metric, "M"), "difference"] == pytest.approx(want, abs=1e-12)
        assert diff.loc[("sex", metric, "M"), "reference"] == "F"
    # the simulated model over-predicts for men: more positives, risks too high on average
    assert diff.loc[("sex", "false_positive_rate", "M"), "ci_lower"] > 0
    assert diff.loc[("sex", "calibration_intercept", "M"), "ci_upper"] < 0
    assert "rare" in gaps.warnings[0] and bool(by.loc[("age", "rare"), "too_small"])
    assert "rare" not in set(gaps.differences["level"]) | set(gaps.max_gaps["highest"])
    top = gaps.max_gaps.set_index(["variable", "metric"]).loc[("age", "sensitivity")]
    usable = by.loc["age"][~by.loc["age"]["too_small"]]
    assert top["gap"] == pytest.approx(np.ptp(usable["sensitivity"].to_numpy()), abs=1e-12)
    assert gaps.difference().loc["sex", "ppv"] == pytest.approx(
        abs(by.loc[("sex", "M"), "ppv"] - by.loc[("sex", "F"), "ppv"]), abs=1e-12
    )


def test_metricframe_shape_and_fairlearn():
    fairlearn = pytest.importorskip("fairlearn")
    assert fairlearn
    y, p, sex, _ = _data()
    gaps = fairness_gaps(y, p, sex, n_bootstraps=50)
    frame = gaps.to_metricframe(y, (p >= 0.5).astype(int))
    mine = gaps.by_group.loc["group"][["sensitivity", "false_positive_rate", "ppv"]]
    np.testing.assert_allclose(frame.by_group.loc[mine.index].to_numpy(), mine.to_numpy())
    np.testing.assert_allclose(
        frame.difference().to_numpy(),
        gaps.difference().loc["group", ["sensitivity", "false_positive_rate", "ppv"]].to_numpy(),
    )


def test_reference_and_bad_input():
    y, p, sex, _ = _data(800)
    gaps = fairness_gaps(y, p, sex, reference={"group": "M"}, n_bootstraps=50)
    assert set(gaps.differences["reference"]) == {"M"}
    with pytest.raises(ValueError, match="reference level 'X' is not a level of 'group'"):
        fairness_gaps(y, p, sex, reference={"group": "X"}, n_bootstraps=10)
    with pytest.raises(ValueError, match="needs two classes"):
        fairness_gaps(np.arange(30) % 3, np.full((30, 3), 1 / 3), np.zeros(30))
    with pytest.raises(ValueError, match="has 10 values but y_true has 800"):
        fairness_gaps(y, p, sex[:10])


def test_in_the_report():
    from skmed.report import build_report

    y, p, sex, _ = _data(1000)
    report = build_report(y, p, groups=sex, n_bootstraps=100, plots=False)
    direct = fairness_gaps(y, p, sex, n_bootstraps=100)
    assert report.fairness == direct.to_dict()
    page = report.to_html()
    assert 'id="fairness"' in page and "M vs F" in page and 'class="flag"' in page


def test_without_bootstrap_and_a_small_reference():
    y, p, sex, age = _data(800)
    gaps = fairness_gaps(y, p, sex, n_bootstraps=0)
    with_ci = fairness_gaps(y, p, sex, n_bootstraps=50, random_state=0)
    # the point estimates do not depend on the replicates; the intervals are absent
    np.testing.assert_allclose(gaps.max_gaps["gap"], with_ci.max_gaps["gap"], rtol=1e-12)
    assert gaps.max_gaps[["ci_lower", "ci_upper"]].isna().all().all()
    with pytest.raises(ValueError, match="reference level 'rare' of 'group' is too small"):
        fairness_gaps(y, p, age, reference={"group": "rare"}, n_bootstraps=10)
