"""Gradients through the network description, and integrated gradients along a path split at
the activations' kinks."""

from __future__ import annotations

import numpy as np

from skmed.neural_network._activations import activation


def forward_trace(network: list[dict], X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    trace = []
    x = out = np.asarray(X, dtype=np.float64)
    for step in network:
        z = out @ np.asarray(step["kernel"], dtype=np.float64) + np.asarray(
            step["bias"], dtype=np.float64
        )
        if "skip" in step:  # the linear path, from the input straight to the logits
            z = z + x @ np.asarray(step["skip"], dtype=np.float64)
        out = activation(step["activation"]).forward(z.copy(), 1)
        trace.append((z, out))
    return trace


def gradient(network: list[dict], X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Output ``k`` of the network at each row of X and its exact gradient w.r.t. the row."""
    trace = forward_trace(network, X)
    g = np.zeros_like(trace[-1][1])
    g[:, k] = 1.0
    through_skip = 0.0
    for step, (z, a) in zip(reversed(network), reversed(trace)):
        g = activation(step["activation"]).vjp(z, a, g)
        if "skip" in step:
            through_skip = g @ np.asarray(step["skip"], dtype=np.float64).T
        g = g @ np.asarray(step["kernel"], dtype=np.float64).T
    return trace[-1][1][:, k], g + through_skip


def kinks(network: list[dict], x0: np.ndarray, d: np.ndarray, n_grid: int) -> np.ndarray:
    """Points t in (0, 1) where a ReLU-type unit switches on the path x0 + t d."""
    from scipy.optimize import brentq

    grid = np.linspace(0.0, 1.0, n_grid + 1)
    trace = forward_trace(network, x0 + grid[:, None] * d)
    points: list[float] = []
    for layer, (step, (z, _)) in enumerate(zip(network, trace)):
        if not activation(step["activation"]).kinked:
            continue
        on = z > 0
        rows, units = np.nonzero(on[1:] != on[:-1])
        for i, j in zip(rows.tolist(), units.tolist()):

            def pre(t: float, layer: int = layer, j: int = j) -> float:
                return float(
                    forward_trace(network[: layer + 1], (x0 + t * d)[None, :])[-1][0][0, j]
                )

            lo, hi = grid[i], grid[i + 1]
            points.append(brentq(pre, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return np.unique(np.asarray(points, dtype=np.float64))


def integrated_gradients(
    network: list[dict], x: np.ndarray, x0: np.ndarray, k: int
) -> tuple[np.ndarray, float, float, float]:
    """IG attributions in model-input space, f(x), f(x0) and the completeness error."""
    d = x - x0
    fx = float(gradient(network, x[None, :], k)[0][0])
    f0 = float(gradient(network, x0[None, :], k)[0][0])
    if not np.any(d):
        return np.zeros_like(x), fx, f0, 0.0
    best: tuple[np.ndarray, float] | None = None
    for n_grid, n_nodes in ((128, 24), (512, 48), (2048, 96)):
        edges = np.concatenate([[0.0], kinks(network, x0, d, n_grid), [1.0]])
        edges = edges[np.concatenate([[True], np.diff(edges) > 0])]
        nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
        lo, hi = edges[:-1, None], edges[1:, None]
        t = (lo + (hi - lo) * (nodes + 1.0) / 2.0).ravel()
        w = ((hi - lo) / 2.0 * weights).ravel()
        _, grads = gradient(network, x0 + t[:, None] * d, k)
        attr = d * (w @ grads)
        err = abs(float(attr.sum()) - (fx - f0))
        if best is None or err < best[1]:
            best = (attr, err)
        if err <= 1e-9:
            break
    assert best is not None
    return best[0], fx, f0, best[1]
