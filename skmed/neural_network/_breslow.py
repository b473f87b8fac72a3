"""Breslow's baseline cumulative hazard.

A Cox-type network predicts a log partial hazard ``r(x)``; the survival function is
``S(t | x) = exp(-H0(t) exp(r(x)))`` with Breslow's estimate of the baseline cumulative hazard
on the training rows: ``H0(t) = sum_{event times s <= t} (weighted events at s) /
(sum over patients still at risk at s of w_j exp(r_j))``.
"""

from __future__ import annotations

import numpy as np


def breslow_baseline(
    risk: np.ndarray, time: np.ndarray, event: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct event times and ``H0`` at each (both increasing)."""
    order = np.argsort(time, kind="stable")
    t = time[order]
    e = weights[order] * np.exp(risk[order] - risk.max())  # shifted: exp() cannot overflow
    at_risk = np.cumsum(e[::-1])[::-1]  # at_risk[k] = sum over rows sorted at k and after
    grid = np.unique(time[event])
    first = np.searchsorted(t, grid, side="left")
    events = np.bincount(
        np.searchsorted(grid, time[event]), weights=weights[event], minlength=grid.size
    )
    hazard = events / at_risk[first] * np.exp(-risk.max())
    return grid, np.cumsum(hazard)
