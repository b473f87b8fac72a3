"""The ROC curve with a bootstrap confidence band."""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed.metrics._bootstrap import stratified_weights
from skmed.metrics._checks import check_bootstrap_args, check_inputs, quantiles


def roc_curve_ci(
    y_true: Any,
    y_prob: Any,
    *,
    pos_label: Any = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    fpr_grid: Any = None,
    random_state: Any = 0,
) -> dict[str, np.ndarray]:
    """ROC curve with a pointwise bootstrap confidence band for the true-positive rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_prob : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    pos_label : label, default=None
        Positive class; ``None`` means the larger of the two labels.
    n_bootstraps : int, default=1000
        Stratified bootstrap replicates.
    confidence_level : float, default=0.95
        Coverage of the band.
    fpr_grid : array-like, default=None
        False-positive rates at which the band is evaluated; default 101 points in [0, 1].
    random_state : int, Generator or None, default=0
        Seed of the bootstrap.

    Returns
    -------
    band : dict
        ``fpr`` (the grid), ``tpr`` (the ROC curve interpolated on the grid), ``tpr_lower``,
        ``tpr_upper``.

    Examples
    --------
    >>> band = roc_curve_ci([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7], n_bootstraps=50)
    >>> band["fpr"].shape == band["tpr_lower"].shape
    True
    """
    check_bootstrap_args(n_bootstraps, confidence_level)
    checked = check_inputs(y_true, np.asarray(y_prob, dtype=np.float64).ravel(), None, pos_label)
    p = checked.proba[:, checked.pos]
    y = checked.y_idx == checked.pos
    grid = np.linspace(0, 1, 101) if fpr_grid is None else np.asarray(fpr_grid, dtype=float)
    order = np.argsort(-p, kind="stable")
    p_desc, y_desc = p[order], y[order]
    last_of_run = np.r_[p_desc[1:] != p_desc[:-1], True]

    def curve(w: np.ndarray) -> np.ndarray:
        wd = w[:, order]
        tps = np.cumsum(wd * y_desc, axis=1)[:, last_of_run]
        fps = np.cumsum(wd * ~y_desc, axis=1)[:, last_of_run]
        tpr = np.hstack([np.zeros((w.shape[0], 1)), tps / tps[:, -1:]])
        fpr = np.hstack([np.zeros((w.shape[0], 1)), fps / fps[:, -1:]])
        return np.stack([np.interp(grid, f, t) for f, t in zip(fpr, tpr)])

    tpr = curve(np.ones((1, y.size)))[0]
    if n_bootstraps == 0:
        lo = hi = np.full_like(grid, np.nan)
    else:
        rng = np.random.default_rng(random_state)
        reps = np.vstack([curve(W) for W in stratified_weights(checked.y_idx, n_bootstraps, rng)])
        lo, hi = quantiles(reps, confidence_level)
    return {"fpr": grid, "tpr": tpr, "tpr_lower": lo, "tpr_upper": hi}
