"""The step functions survival predictions are made of (numpy only: the runtime uses them)."""

from __future__ import annotations

from typing import Any

import numpy as np


class StepFunction:
    """A right-continuous step function: ``initial`` before ``x[0]``, ``y[k]`` on
    ``[x[k], x[k + 1])`` and ``y[-1]`` from ``x[-1]`` on (no event is seen after it).

    Like scikit-survival's ``StepFunction``: call it with times to get the values.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, initial: float) -> None:
        self.x = x
        self.y = y
        self.initial = initial

    def __call__(self, t: Any) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if np.any(t < 0) or not np.all(np.isfinite(t)):
            raise ValueError(f"Times must be finite and >= 0; got {t[~(t >= 0)][:3].tolist()}.")
        index = np.searchsorted(self.x, t, side="right") - 1
        return np.where(index < 0, self.initial, self.y[np.maximum(index, 0)])

    def __repr__(self) -> str:
        return f"StepFunction(x=<{self.x.size} times>, y=<{self.y.size} values>)"


def step_functions(grid: np.ndarray, values: np.ndarray, initial: float) -> np.ndarray:
    """An object array of one :class:`StepFunction` per row of ``values``."""
    out = np.empty(len(values), dtype=object)
    for i, row in enumerate(values):
        out[i] = StepFunction(grid, row, initial)
    return out
