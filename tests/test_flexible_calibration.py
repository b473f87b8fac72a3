"""Flexible calibration (restricted cubic spline) and the ICI, E50, E90 of Austin & Steyerberg."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logit

from skmed.calibration import assess_calibration, flexible_calibration


def _hand(y, p, quantiles):
    """The same statistics written out from the textbook formulas, fitted with scipy."""
    x = logit(p)
    t = np.quantile(x, quantiles)
    k = len(t)

    def basis(v):
        cols = [np.ones_like(v), v]
        for j in range(k - 2):
            a = np.clip(v - t[j], 0, None) ** 3
            b = np.clip(v - t[k - 2], 0, None) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            c = np.clip(v - t[k - 1], 0, None) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
            cols.append((a - b + c) / (t[k - 1] - t[0]) ** 2)
        return np.column_stack(cols)

    X = basis(x)

    def nll(beta):
        eta = X @ beta
        return float(np.sum(np.logaddexp(0, eta) - y * eta))

    beta = minimize(nll, np.zeros(X.shape[1]), method="BFGS", options={"gtol": 1e-10}).x
    gap = np.abs(expit(X @ beta) - p)
    return gap.mean(), np.median(gap), np.quantile(gap, 0.9), gap.max()


@pytest.mark.parametrize(
    "n_knots, quantiles", [(3, (0.1, 0.5, 0.9)), (4, (0.05, 0.35, 0.65, 0.95))]
)
def test_ici_e50_e90_match_a_hand_computation(n_knots, quantiles):
    rng = np.random.default_rng(3)
    q = rng.beta(1.2, 3.0, 800)
    y = (rng.random(800) < q).astype(int)
    p = np.clip(expit(1.6 * logit(q) + 0.3), 1e-6, 1 - 1e-6)  # too extreme and too high
    got = flexible_calibration(y, p, n_knots=n_knots)
    want = _hand(y, p, quantiles)
    assert got.n_knots == n_knots
    np.testing.assert_allclose([got.ici, got.e50, got.e90, got.emax], want, rtol=1e-4)


def test_the_curve_recovers_a_known_miscalibration():
    rng = np.random.default_rng(0)
    n = 20000
    truth = rng.uniform(0.02, 0.98, n)
    y = rng.random(n) < truth
    p = expit(2 * logit(truth))  # twice too extreme: the true curve is expit(logit(p) / 2)
    result = flexible_calibration(y, p)
    gap = np.abs(expit(logit(p) / 2) - p)
    assert result.ici == pytest.approx(gap.mean(), abs=0.01)
    assert result.e90 == pytest.approx(np.quantile(gap, 0.9), abs=0.015)
    inside = (result.lower <= expit(logit(result.grid) / 2)) & (
        expit(logit(result.grid) / 2) <= result.upper
    )
    assert inside.mean() > 0.8  # a 95% pointwise band holds the true curve almost everywhere
    assert np.all(result.lower <= result.observed) and np.all(result.observed <= result.upper)
    calibrated = flexible_calibration(y, truth)
    assert calibrated.ici < 0.01 < result.ici


def test_in_the_assessment_and_edge_cases():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 500)
    y = rng.random(500) < p
    a = assess_calibration(y, p)
    assert a.flexible is not None and a.to_dict()["flexible"]["ici"] == a.flexible.ici
    assert a.flexible.n_knots == 4  # >= 100 of each outcome
    few = flexible_calibration(y[:120], p[:120])
    assert few.n_knots == 3
    # two distinct predictions: no spline possible, a straight line on the log-odds
    two = flexible_calibration([0, 1, 0, 1, 1, 0, 1, 0], [0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.7, 0.2])
    assert two.n_knots == 2 and np.isfinite(two.ici)
    with pytest.raises(ValueError, match=r"'n_knots' parameter .* among \{3, 4, 5\} or None"):
        flexible_calibration(y, p, n_knots=7)
