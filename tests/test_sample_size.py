"""skmed.sample_size: Riley et al.'s minimum sample size, against pmsampsize and the paper."""

from __future__ import annotations

import numpy as np
import pytest

from skmed.sample_size import check_sample_size, minimum_sample_size


@pytest.mark.parametrize(
    ("r2", "p", "phi", "sizes", "epp"),
    [
        # pmsampsize's tests 4.1-4.4 (its binary worked examples), computed without rounding
        # the intermediate values as pmsampsize >= 1.1 does
        (0.288, 24, 0.174, [623, 662, 221], [4.52, 4.80, 1.60]),
        (0.55, 24, 0.174, [255, 532, 221], [1.85, 3.86, 1.60]),
        (0.288, 36, 0.174, [934, 992, 221], [4.51, 4.79, 1.07]),
        (0.288, 24, 0.25, [623, 590, 289], [6.49, 6.15, 3.01]),
    ],
)
def test_the_three_criteria_match_pmsampsize(r2, p, phi, sizes, epp):
    result = minimum_sample_size(p, phi, r2)
    criteria = result.criteria
    assert [criteria[k]["n"] for k in ("shrinkage", "optimism", "overall_risk")] == sizes
    got = [round(criteria[k]["events_per_parameter"], 2) for k in criteria]
    assert got == pytest.approx(epp, abs=0.005)
    assert result.n == max(sizes)


def test_the_papers_worked_example():
    # Riley et al. (BMJ 2020), 24 parameters, prevalence 0.174, R2_CS 0.288: max R2_CS 0.60,
    # criterion 2's shrinkage 0.906, and with those printed (rounded) values 668 patients
    result = minimum_sample_size(24, 0.174, 0.288)
    assert round(result.max_r2_cs, 2) == 0.60
    assert round(result.criteria["optimism"]["shrinkage"], 3) == 0.905  # 0.9054: 0.906 rounded up
    assert minimum_sample_size(24, 0.174, 0.288, shrinkage=0.906).criteria["shrinkage"]["n"] == 668
    assert result.criteria["overall_risk"]["n"] == 221


def test_bad_input():
    with pytest.raises(ValueError, match="not below the largest Cox-Snell R-squared 0.603"):
        minimum_sample_size(24, 0.174, 0.7)
    with pytest.raises(ValueError, match="'n_parameters' parameter .* must be an int"):
        minimum_sample_size(0, 0.174, 0.2)
    with pytest.raises(ValueError, match="'prevalence' parameter"):
        minimum_sample_size(10, 1.0, 0.2)


def test_check_on_data():
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    risk = 1 / (1 + np.exp(-(2 * x - 1.5)))
    y = (rng.random(n) < risk).astype(int)
    proba = np.column_stack([1 - risk, risk])
    enough = check_sample_size(y, 5, proba=proba)
    small = check_sample_size(y, 200, proba=proba)
    assert enough.enough and not enough.warnings
    assert not small.enough and "Riley et al.'s criteria ask for at least" in small.warnings[0]
    # the held-out R2 is the one used: the same numbers as the direct formula
    phi = y.mean()
    r2 = enough.per_class["1"].r2_cs
    direct = minimum_sample_size(5, float(phi), float(r2))
    assert enough.required == direct.n and enough.r2_source["1"] == "held-out predictions"
    assert small.events_per_parameter == pytest.approx(n * phi / 200)
    # without predictions: 15% of the largest R2
    assumed = check_sample_size(y, 5)
    assert assumed.per_class["1"].r2_cs == pytest.approx(0.15 * assumed.per_class["1"].max_r2_cs)
    # several classes: one-vs-rest, the rarest class binds
    y3 = np.where(rng.random(n) < 0.05, "rare", np.where(rng.random(n) < 0.5, "a", "b"))
    multi = check_sample_size(y3, 20)
    assert multi.binding_class == "rare" and set(multi.per_class) == {"a", "b", "rare"}
    with pytest.raises(ValueError, match=r"proba has shape \(2000, 3\); expected \(2000, 2\)"):
        check_sample_size(y, 5, proba=np.ones((n, 3)) / 3)


def test_unknown_positive_label():
    with pytest.raises(ValueError, match=r"pos_label='x' is not one of \[0, 1\]"):
        check_sample_size(np.array([0, 1] * 30), 3, pos_label="x")
