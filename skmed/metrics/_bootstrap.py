"""Vectorised stratified bootstrap: replicate weights and metrics computed from them.

A bootstrap replicate that draws row ``i`` ``k`` times is the same as weighting row ``i`` by
``k``. Every metric here is therefore written for a matrix of weights ``W`` of shape
``(n_replicates, n_samples)``: sums become matrix products, so a thousand replicates cost a few
passes over a ``(1000, n)`` array instead of a thousand Python-level metric calls. The point
estimate is the same code with ``W = ones((1, n))``, so point and bootstrap cannot disagree.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from skmed.metrics._scores import confusion_rates

#: Probabilities are clipped to [_EPS, 1 - _EPS] before the logit of calibration fits.
_EPS = 1e-12

#: Target number of cells (replicates x rows) per chunk; bounds memory to a few tens of MB.
_CHUNK_CELLS = 1_000_000

BINARY_METRICS = (
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "lr_positive",
    "lr_negative",
    "balanced_accuracy",
    "roc_auc",
    "pr_auc",
    "brier",
    "calibration_intercept",
    "calibration_slope",
)


def stratified_weights(
    y_idx: np.ndarray, n_bootstraps: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Yield bootstrap weight matrices, resampling rows within each class.

    Parameters
    ----------
    y_idx : ndarray of shape (n_samples,)
        Integer class index of each row.
    n_bootstraps : int
        Total number of replicates over all yielded chunks.
    rng : numpy.random.Generator
        Source of randomness.

    Yields
    ------
    W : ndarray of shape (chunk, n_samples), float64
        ``W[b, i]`` is how many times replicate ``b`` drew row ``i``. Each row of ``W`` keeps
        the class counts of ``y_idx``.
    """
    n = y_idx.shape[0]
    members = [np.flatnonzero(y_idx == c) for c in np.unique(y_idx)]
    chunk = max(1, min(n_bootstraps, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < n_bootstraps:
        b = min(chunk, n_bootstraps - done)
        positions = np.concatenate(
            [idx[rng.integers(0, idx.size, size=(b, idx.size))] for idx in members], axis=1
        )
        positions += (np.arange(b) * n)[:, None]
        yield np.bincount(positions.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        done += b


def replicate(
    score: Callable[[np.ndarray], np.ndarray],
    strata: np.ndarray,
    n_bootstraps: int,
    random_state: Any,
) -> np.ndarray:
    """``score(W)`` for the weights of every stratified replicate, stacked on the first axis.

    ``score`` maps weights of shape ``(B, n)`` to values of shape ``(B, ...)``; the result has
    shape ``(n_bootstraps, ...)`` (no rows when ``n_bootstraps`` is 0). ``random_state`` is a
    seed or a Generator (a shared Generator continues its stream, as for successive subgroups).
    """
    rng = np.random.default_rng(random_state)
    chunks = [score(W) for W in stratified_weights(strata, n_bootstraps, rng)]
    return np.concatenate(chunks) if chunks else score(np.ones((1, strata.size)))[:0]


def quantiles(values: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column, ignoring NaN; +-inf are kept (e.g. LR+ at specificity 1).

    No replicates (``n_bootstraps=0``) give NaN intervals of the columns' shape.
    """
    if values.shape[0] == 0:
        empty = np.full(values.shape[1:], np.nan)
        return empty, empty.copy()
    alpha = 1.0 - confidence_level
    big = np.finfo(np.float64).max / 4
    finite = np.clip(values, -big, big)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns -> NaN interval
        lo, hi = np.nanquantile(finite, [alpha / 2, 1 - alpha / 2], axis=0)
    lo = np.where(lo >= big / 2, np.inf, np.where(lo <= -big / 2, -np.inf, lo))
    hi = np.where(hi >= big / 2, np.inf, np.where(hi <= -big / 2, -np.inf, hi))
    return lo, hi


def bootstrap_estimate(
    score: Callable[[np.ndarray], np.ndarray],
    strata: np.ndarray,
    n_bootstraps: int,
    random_state: Any,
    confidence_level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(point, lower, upper, replicates)`` of ``score``: its value on the data as they are
    (unit weights), its percentile interval over the :func:`replicate` values, and those."""
    point = score(np.ones((1, strata.size)))[0]
    replicates = replicate(score, strata, n_bootstraps, random_state)
    return (point, *quantiles(replicates, confidence_level), replicates)


@dataclass
class BinaryProblem:
    """One binary (or one-vs-rest) problem, prepared once and scored for any weights.

    Parameters
    ----------
    y : ndarray of bool, shape (n_samples,)
        True where the row belongs to the positive class.
    score : ndarray of shape (n_samples,)
        Predicted probability of the positive class.
    pred : ndarray of bool, shape (n_samples,)
        Predicted positive at the operating point.
    """

    y: np.ndarray
    score: np.ndarray
    pred: np.ndarray

    def __post_init__(self) -> None:
        self.order_desc = np.argsort(-self.score, kind="stable")
        s_desc = self.score[self.order_desc]
        self.y_desc = self.y[self.order_desc].astype(np.float64)
        # start of each run of tied scores, in descending order
        self.starts_desc = np.flatnonzero(np.r_[True, s_desc[1:] != s_desc[:-1]])
        self.tied = self.starts_desc.size < self.score.size
        p = np.clip(self.score, _EPS, 1 - _EPS)
        self.z = np.log(p) - np.log1p(-p)
        yf = self.y.astype(np.float64)
        self.columns = np.column_stack(
            [
                yf,
                1.0 - yf,
                yf * self.pred,
                (1.0 - yf) * self.pred,
                (self.score - yf) ** 2,
                yf * self.z,
            ]
        )
        self._init: tuple[float, float, float] | None = None

    def metrics(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """All binary metrics for each row of weights ``W`` (shape (B, n)); arrays of shape (B,)."""
        sums = W @ self.columns
        P, N, TP, FP, sq, _ = sums.T
        out = confusion_rates(TP, FP, P - TP, N - FP)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["brier"] = sq / (P + N)
            out.update(self._ranking(W, P, N))
        out.update(self._calibration(W, sums))
        return out

    def _ranking(self, W: np.ndarray, P: np.ndarray, N: np.ndarray) -> dict[str, np.ndarray]:
        # scores in descending order; ties are merged into one level
        Ws = W[:, self.order_desc]
        pos = Ws * self.y_desc
        if self.tied:
            neg = np.add.reduceat(Ws - pos, self.starts_desc, axis=1)
            pos = np.add.reduceat(pos, self.starts_desc, axis=1)
            predicted = np.cumsum(pos + neg, axis=1)
        else:
            predicted = np.cumsum(Ws, axis=1)
            neg = np.subtract(Ws, pos, out=Ws)
        tp = np.cumsum(pos, axis=1)
        # ROC AUC = P(score_pos > score_neg) + 0.5 P(tie): each negative level meets the
        # positive weight strictly above it (tp - pos) and half the tied positive weight.
        above = tp - 0.5 * pos
        auc = np.einsum("ij,ij->i", neg, above) / (P * N)
        # average precision: sum over levels of (R_k - R_{k-1}) * precision_k
        np.divide(tp, predicted, out=tp, where=predicted > 0)
        ap = np.einsum("ij,ij->i", pos, tp) / P
        return {"roc_auc": auc, "pr_auc": ap}

    def _calibration(self, W: np.ndarray, sums: np.ndarray) -> dict[str, np.ndarray]:
        if self._init is None:  # point estimate first; it warm-starts the replicates
            a0 = b0 = c0 = 0.0
        else:
            a0, b0, c0 = self._init
        slope_a, slope_b = _newton_logistic(W, sums, self.z, a0, b0, fit_slope=True)
        intercept, _ = _newton_logistic(W, sums, self.z, c0, 1.0, fit_slope=False)
        if self._init is None and W.shape[0] == 1:
            vals = (slope_a[0], slope_b[0], intercept[0])
            if all(np.isfinite(vals)):
                self._init = (float(vals[0]), float(vals[1]), float(vals[2]))
        return {"calibration_intercept": intercept, "calibration_slope": slope_b}


def _newton_logistic(
    W: np.ndarray,
    sums: np.ndarray,
    z: np.ndarray,
    a0: float,
    b0: float,
    *,
    fit_slope: bool,
    max_iter: int = 50,
    tol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic recalibration ``logit P(y=1) = a + b * z`` for every row of ``W``.

    With ``fit_slope=False`` the slope is fixed at 1 (``z`` is an offset) and only the intercept
    ("calibration-in-the-large") is fitted. Rows that do not converge (e.g. perfect separation,
    a single class) give NaN.
    """
    B = W.shape[0]
    P = sums[:, 0]
    Pz = sums[:, 5]
    a = np.full(B, a0)
    b = np.full(B, b0)
    active = np.ones(B, dtype=bool)
    converged = np.zeros(B, dtype=bool)
    degenerate = (P <= 0) | (sums[:, 1] <= 0)
    active &= ~degenerate
    design = np.column_stack([np.ones_like(z), z, z * z])
    for it in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        Wa = W if idx.size == B else W[idx]
        if it == 0:
            # every replicate starts at the same (a0, b0), so mu is one vector: the first
            # Newton step is matrix products only (no (B, n) expit)
            mu = np.broadcast_to(expit(a0 + b0 * z), Wa.shape).copy()
        else:
            mu = np.multiply(b[idx, None], z)
            mu += a[idx, None]
            expit(mu, out=mu)
        Wmu = np.multiply(Wa, mu)
        if fit_slope:
            g = Wmu @ design[:, :2]
            g0, g1 = P[idx] - g[:, 0], Pz[idx] - g[:, 1]
        else:
            g0 = P[idx] - Wmu.sum(axis=1)
        np.subtract(1.0, mu, out=mu)
        mu *= Wmu  # now W * mu * (1 - mu)
        if fit_slope:
            h = mu @ design
            h00, h01, h11 = h[:, 0], h[:, 1], h[:, 2]
            det = h00 * h11 - h01 * h01
            with np.errstate(divide="ignore", invalid="ignore"):
                da = (h11 * g0 - h01 * g1) / det
                db = (h00 * g1 - h01 * g0) / det
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                da = g0 / mu.sum(axis=1)
            db = np.zeros_like(da)
        bad = ~np.isfinite(da) | ~np.isfinite(db) | (np.abs(a[idx] + da) > 1e3)
        da[bad] = 0.0
        db[bad] = 0.0
        a[idx] += da
        b[idx] += db
        done = (np.abs(da) < tol * (1 + np.abs(a[idx]))) & (np.abs(db) < tol * (1 + np.abs(b[idx])))
        done &= ~bad
        converged[idx[done]] = True
        active[idx[done | bad]] = False
    a[~converged] = np.nan
    b[~converged] = np.nan
    if not fit_slope:
        b[converged] = 1.0
    return a, b
