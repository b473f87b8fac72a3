"""Restricted cubic splines and a small logistic fit: the machinery of flexible calibration.

A restricted (natural) cubic spline is cubic between its knots and linear beyond the outer
ones, so a calibration curve fitted with it does not swing at the extremes where patients are
few. The basis is Harrell's (``rms::rcs``): ``x`` and ``k - 2`` truncated-power terms scaled by
the squared knot range. The fit is plain Newton-Raphson on the log-likelihood, which also gives
the covariance of the coefficients for a confidence band.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

#: Harrell's knot quantiles by number of knots (Regression Modeling Strategies, 2.4.6).
KNOT_QUANTILES = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
}


def knots_at_quantiles(x: np.ndarray, n_knots: int) -> np.ndarray:
    """Harrell's knots for ``n_knots`` (3 to 5): quantiles of ``x``, made distinct."""
    return np.unique(np.quantile(x, KNOT_QUANTILES[n_knots]))


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Design matrix ``[1, x, s_1(x), ..., s_{k-2}(x)]`` of a restricted cubic spline."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(knots, dtype=np.float64)
    k = t.size
    columns = [np.ones_like(x), x]
    if k >= 3:
        scale = (t[-1] - t[0]) ** 2
        tail = t[-1] - t[-2]

        def cube(u: np.ndarray) -> np.ndarray:
            return np.maximum(u, 0.0) ** 3

        for j in range(k - 2):
            columns.append(
                (
                    cube(x - t[j])
                    - cube(x - t[-2]) * (t[-1] - t[j]) / tail
                    + cube(x - t[-1]) * (t[-2] - t[j]) / tail
                )
                / scale
            )
    return np.column_stack(columns)


def fit_logistic(
    design: np.ndarray, y: np.ndarray, *, max_iter: int = 50, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximum likelihood ``beta`` and its covariance for ``P(y=1) = expit(design @ beta)``.

    Returns None when Newton's method does not converge (separation, a singular design).
    """
    beta = np.zeros(design.shape[1])
    for _ in range(max_iter):
        eta = design @ beta
        mu = expit(eta)
        w = mu * (1.0 - mu)
        hessian = (design * w[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian, design.T @ (y - mu))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 1e6:
            return None
        if np.abs(step).max() < tol * (1.0 + np.abs(beta).max()):
            mu = expit(design @ beta)
            w = mu * (1.0 - mu)
            try:
                cov = np.linalg.inv((design * w[:, None]).T @ design)
            except np.linalg.LinAlgError:
                return None
            return beta, cov
    return None
