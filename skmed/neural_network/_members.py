"""Cross-fitted members trained with numpy alone.

The default recipe trains five small networks (:mod:`._ensemble`). Building a Keras model and
running Keras' callback machinery for each costs more than training it on a table of a few
hundred rows, so when nothing needs Keras during training (no user callbacks, no progress bar,
an optimizer :class:`~._numpy_step.NumpyNet` reproduces) a member is trained here: weights
drawn as Keras' initializers draw them (Glorot-uniform kernels, zero biases; with the linear
path a zero head kernel), Keras' step, and the early stopping of
:func:`~._keras_state.early_stopping` written out. ``tests/test_members.py`` checks the result
is the network the Keras-model path trains from the same starting weights and seed.

The members train together, in lockstep: one :class:`~._numpy_step.NumpyNet` holds them all, so
each numpy call of a step serves every member (a step is a few dozen calls of microseconds:
paid once rather than five times). Each member keeps its own rows, shuffles, dropout masks and
stopping; one that stops leaves the stack, and its arithmetic is the same as if it had trained
alone (``tests/test_members.py``). Threads were measured first: with one member per thread a
fit was 1.4-1.9x *slower* on four clinical tables, the threads handing the GIL back and forth
between kernels of microseconds.
"""

from __future__ import annotations

import math

import numpy as np

from skmed.neural_network._heads import Head
from skmed.neural_network._keras_state import Patience
from skmed.neural_network._network import Network
from skmed.neural_network._numpy_step import NumpyNet, Optimizer, Spec


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras' default kernel initializer: uniform on +-sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def initialise(views: list[np.ndarray], n_dense: int, rng: np.random.Generator,
               start: tuple[np.ndarray, np.ndarray] | None) -> None:  # fmt: skip
    """Draw one member's starting weights into its ``views`` (:meth:`NumpyNet.views`):
    Glorot-uniform kernels, zero biases; with the linear path (``start``: its kernel and the
    output bias) the head kernel starts at zero."""
    for i in range(n_dense):
        views[2 * i + 1][...] = 0.0
        if start is not None and i == n_dense - 1:
            views[2 * i][...] = 0.0  # the hidden layers' output starts at zero
        else:
            views[2 * i][...] = glorot_uniform(rng, *views[2 * i].shape)
    if start is not None:
        views[-1][...] = start[0]  # the linear path
        views[2 * n_dense - 1][...] = start[1]  # the output bias


def seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """A member's two random streams: its starting weights', and its shuffles' and dropout
    masks' (what :func:`~._numpy_training.fit` draws from its ``seed``)."""
    init_seed, train_seed = np.random.SeedSequence(seed).spawn(2)
    return init_seed, train_seed


def starting_weights(spec: Spec, head: Head, seed: int,
                     start: tuple[np.ndarray, np.ndarray] | None) -> list[np.ndarray]:  # fmt: skip
    """The weights :func:`train` starts a member from, in the order of a Keras model's
    variables (the Keras-model path sets them, so a progress bar or a callback changes no
    weight)."""
    net = NumpyNet([spec], Optimizer("sgd", 0.0), 1, [np.random.default_rng(0)], head, 0.0)
    views = net.views(net.params[0])
    initialise(views, len(spec.widths) - 1, np.random.default_rng(seeds(seed)[0]), start)
    return views


def train(
    specs: list[Spec],
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    *,
    rows: list[np.ndarray | None],
    validations: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None],
    starts: list[tuple[np.ndarray, np.ndarray] | None],
    member_seeds: list[int],
    batch_size: int,
    epochs: int,
    patience: int,
    tol: float,
    head: Head,
    eps: float,
) -> list[tuple[dict[str, list[float]], Network]]:
    """Train the members together; return each one's history (Keras' ``History.history``)
    and network.

    Member ``m`` trains on ``rows[m]`` of ``X`` (``None``: all) from ``starts[m]`` with the
    two streams of :func:`seeds` of ``member_seeds[m]``. With ``validations[m]`` it stops as
    :func:`~._keras_state.early_stopping` does (``patience`` epochs without a decrease of
    ``tol``) and keeps the weights of its epoch with the lowest validation loss. A loss that
    is not finite stops that member (the caller reports the divergence).
    """
    streams = [seeds(seed) for seed in member_seeds]
    n_max = max(len(X) if r is None else len(r) for r in rows)
    rngs = [np.random.default_rng(train_seed) for _, train_seed in streams]
    net = NumpyNet(specs, optimizer, min(batch_size, n_max), rngs, head, eps)
    n_dense = len(net.widths) - 1
    for m, ((init_seed, _), start) in enumerate(zip(streams, starts, strict=True)):
        initialise(net.views(net.params[m]), n_dense, np.random.default_rng(init_seed), start)
    weights = np.asarray(weights, dtype=np.float32)
    k = len(specs)
    histories: list[dict[str, list[float]]] = [{"loss": []} for _ in range(k)]
    rules = [Patience(patience, tol) for _ in range(k)]
    kept: list[np.ndarray | None] = [None] * k
    active = list(range(k))  # the member in each slot of ``net``
    for _ in range(epochs):
        losses = net.epoch(X, y, weights, [rows[m] for m in active])
        done = []
        for j, m in enumerate(active):
            histories[m]["loss"].append(losses[j])
            if validations[m] is not None:
                val = net.loss(j, *validations[m])  # type: ignore[misc]
                histories[m].setdefault("val_loss", []).append(val)
                is_best, stop = rules[m].update(val)
                if is_best:
                    kept[m] = net.params[j].copy()
                if stop:
                    done.append(j)
            if not math.isfinite(losses[j]) and j not in done:
                done.append(j)
        for j in done:
            m = active[j]
            if kept[m] is None:
                kept[m] = net.params[j].copy()
        if done:
            slots = [j for j in range(len(active)) if j not in done]
            if not slots:
                break
            net, active = net.keep(slots), [active[j] for j in slots]
    for j, m in enumerate(active):
        if kept[m] is None:
            kept[m] = net.params[j].copy()
    final = [params for params in kept if params is not None]
    return [(history, to_network(net, params, head.activation))
            for history, params in zip(histories, final, strict=True)]  # fmt: skip


def to_network(net: NumpyNet, params: np.ndarray, output_activation: str) -> Network:
    """One member's weights ``params`` as a :data:`~._network.Network` (as ``describe_keras``
    reads a Keras model)."""
    views = net.views(params)
    n_dense = len(net.widths) - 1
    steps: Network = []
    for i in range(n_dense):
        last = i == n_dense - 1
        steps.append({
            "kernel": np.ascontiguousarray(views[2 * i]),
            "bias": np.ascontiguousarray(views[2 * i + 1]),
            "activation": output_activation if last else net.activation,
        })  # fmt: skip
    if net.skip_shape is not None:
        steps[-1]["skip"] = np.ascontiguousarray(views[-1])
    return steps
