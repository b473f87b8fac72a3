"""The ROC curve with a bootstrap confidence band."""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed.metrics._bootstrap import bootstrap_estimate
from skmed.metrics._checks import check_risks
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, DOCS


@fill_doc(DOCS)
@validate_params(BOOTSTRAP_CONSTRAINTS, prefer_skip_nested_validation=True)
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

    Each replicate's curve is :func:`sklearn.metrics.roc_curve` with the replicate's weights
    as ``sample_weight`` (and ``drop_intermediate=False``), computed for a whole chunk of
    replicates at once: a call of ``roc_curve`` per replicate would repeat its input checks a
    thousand times.

    Parameters
    ----------
    {{risks}}
    {{bootstrap}}
    fpr_grid : array-like, default=None
        False-positive rates at which the band is evaluated; default 101 points in [0, 1].

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
    checked = check_risks(y_true, y_prob, pos_label)
    y, p = checked.positive()
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

    tpr, lo, hi, _ = bootstrap_estimate(
        curve, checked.y_idx, n_bootstraps, random_state, confidence_level
    )
    return {"fpr": grid, "tpr": tpr, "tpr_lower": lo, "tpr_upper": hi}
