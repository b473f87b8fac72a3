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
        return values_at(self.x, self.y[None, :], t.reshape(-1), self.initial)[0].reshape(t.shape)

    def __repr__(self) -> str:
        return f"StepFunction(x=<{self.x.size} times>, y=<{self.y.size} values>)"


def values_at(grid: np.ndarray, values: np.ndarray, times: Any, initial: float) -> np.ndarray:
    """The step functions of ``values`` (rows x ``grid``) at ``times``: (rows, len(times)).

    Raises ``ValueError`` for times that are negative or not finite.
    """
    times = np.asarray(times, dtype=np.float64)
    bad = ~(np.isfinite(times) & (times >= 0))
    if bad.any():
        raise ValueError(f"Times must be finite and >= 0; got {times[bad][:3].tolist()}.")
    index = np.searchsorted(grid, times, side="right") - 1
    out = values[:, np.maximum(index, 0)]
    out[:, index < 0] = initial
    return out


def step_functions(grid: np.ndarray, values: np.ndarray, initial: float) -> np.ndarray:
    """An object array of one :class:`StepFunction` per row of ``values``."""
    out = np.empty(len(values), dtype=object)
    for i, row in enumerate(values):
        out[i] = StepFunction(grid, row, initial)
    return out
