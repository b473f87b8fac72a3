"""The numpy forward pass, with the network analysed once (at fit or unpickling), not per call.

A merged default classifier holds its members side by side, so its deeper kernels are
block-diagonal (:func:`block_groups`); :class:`PreparedNetwork` finds the blocks and casts the
weights to both float precisions once, so that a one-row prediction costs only its products.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed.neural_network._network import Network, apply_activation

#: ``(kernel or stacked diagonal blocks, bias, activation)`` of one hidden step
Step = tuple[np.ndarray, np.ndarray, str]


def block_groups(kernel: np.ndarray) -> int:
    """The most equal diagonal blocks ``kernel`` splits into with zeros elsewhere (1: dense).

    The default classifier's members sit side by side in one network, so its deeper kernels
    are block-diagonal; computed densely, most of their multiplications are by zero.
    """
    rows, cols = kernel.shape
    for groups in range(min(rows, cols), 1, -1):
        if rows % groups or cols % groups:
            continue
        a, b = rows // groups, cols // groups
        blocks = kernel.reshape(groups, a, groups, b)
        off = ~np.eye(groups, dtype=bool)
        if not np.any(blocks.transpose(0, 2, 1, 3)[off]):
            return groups
    return 1


def diagonal_blocks(kernel: np.ndarray, groups: int) -> np.ndarray:
    """The ``groups`` diagonal blocks of ``kernel``, stacked: shape ``(groups, a, b)``."""
    rows, cols = kernel.shape
    a, b = rows // groups, cols // groups
    return np.stack([kernel[i * a : (i + 1) * a, i * b : (i + 1) * b] for i in range(groups)])


class PreparedNetwork:
    """A network ready to run: blocks found and weights cast once, for float32 and float64.

    Parameters
    ----------
    network : list of dict
        The network description (:mod:`skmed.neural_network._network`).

    Notes
    -----
    Calling it runs :meth:`forward`. The hidden layers compute in float32 for float32 input
    (Keras' own precision) and in float64 otherwise; the output activation (e.g. the softmax)
    and the result are float64.
    """

    def __init__(self, network: Network) -> None:
        groups = [block_groups(s["kernel"]) for s in network[:-1]]
        self._by_dtype = {dt: _cast(network, groups, dt) for dt in (np.float32, np.float64)}

    def __call__(self, X: np.ndarray, block_rows: int = 8192) -> np.ndarray:
        return self.forward(X, block_rows)

    def forward(self, X: np.ndarray, block_rows: int = 8192) -> np.ndarray:
        """The last step's output for the rows of ``X``, in blocks of ``block_rows`` rows (the
        intermediate activations stay in cache)."""
        X = np.asarray(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        hidden, (kernel_t, bias, activation), skip = self._by_dtype[dtype]
        if X.shape[0] == 1:  # one patient: no block loop, no temporary output array
            x = X.astype(dtype, copy=False)
            return np.ascontiguousarray(_rows(x, hidden, kernel_t, bias, activation, skip))
        out = np.empty((X.shape[0], bias.size))
        for start in range(0, X.shape[0], block_rows):
            x = np.asarray(X[start : start + block_rows], dtype=dtype)
            out[start : start + x.shape[0]] = _rows(x, hidden, kernel_t, bias, activation, skip)
        return out


def _cast(
    network: Network, groups: list[int], dtype: Any
) -> tuple[list[Step], Step, np.ndarray | None]:
    hidden = []
    for step, g in zip(network[:-1], groups):
        kernel = step["kernel"].astype(dtype)
        # block-diagonal kernels (members side by side) as stacked blocks: no products with 0
        kernel = kernel if g == 1 else np.ascontiguousarray(diagonal_blocks(kernel, g))
        hidden.append((kernel, step["bias"].astype(dtype), step["activation"]))
    last = network[-1]
    # the output kernel transposed once: the output is computed classes x rows (see _rows)
    out = (np.ascontiguousarray(last["kernel"].T.astype(dtype)), last["bias"], last["activation"])
    skip = last.get("skip")
    return hidden, out, None if skip is None else skip.astype(dtype)


def _rows(
    x: np.ndarray,
    hidden: list[Step],
    kernel_t: np.ndarray,
    bias: np.ndarray,
    activation: str,
    skip: np.ndarray | None,
) -> np.ndarray:
    h = x
    for k, b, a in hidden:
        if k.ndim == 3:  # (groups, a, b): one product per member's block
            n, (groups, width, _) = h.shape[0], k.shape
            h = np.matmul(h.reshape(n, groups, width).transpose(1, 0, 2), k)
            h = h.transpose(1, 0, 2).reshape(n, -1)
        else:
            h = h @ k  # a new array: the in-place steps below never touch X
        h += b
        h = apply_activation(a, h)
    # the output transposed (classes x rows): the softmax then reduces over long contiguous
    # rows (~7x faster than over 3 columns of 8192 rows); float64, so each row sums to 1
    z = (kernel_t @ h.T).astype(np.float64)
    if skip is not None:  # the linear path, rows x classes like the hidden products
        z += (x @ skip).T
    z += bias[:, None]
    return apply_activation(activation, z, axis=0).T
