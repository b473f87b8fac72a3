"""Cross-fitted members trained with numpy alone.

The default recipe trains five small networks (:mod:`._ensemble`). Building a Keras model and
running Keras' callback machinery for each costs more than training it on a table of a few
hundred rows, so when nothing needs Keras during training (no user callbacks, no progress bar,
an optimizer :class:`~._numpy_step.NumpyNet` reproduces) a member is trained here: weights
drawn as Keras' initializers draw them (Glorot-uniform kernels, zero biases; with the linear
path a zero head kernel), Keras' step, and the early stopping of
:func:`~._keras_state.early_stopping` written out. ``tests/test_members.py`` checks the result
is the network the Keras-model path trains from the same starting weights and seed.

Members train one after another. In threads (numpy releases the GIL inside its kernels) a fit
was 1.4-1.9x *slower* on four clinical tables: a step is a few dozen kernels of microseconds,
and the threads spend the time handing the GIL back and forth.
"""

from __future__ import annotations

import math

import numpy as np

from skmed.neural_network._heads import Head
from skmed.neural_network._network import Network
from skmed.neural_network._numpy_step import NumpyNet, Optimizer, Spec


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras' default kernel initializer: uniform on +-sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def initialise(net: NumpyNet, rng: np.random.Generator,
               start: tuple[np.ndarray, np.ndarray] | None) -> None:  # fmt: skip
    """Draw the starting weights: Glorot-uniform kernels, zero biases; with the linear path
    (``start``: its kernel and the output bias) the head kernel starts at zero."""
    views = net.views(net.params)
    kernels = views[: 2 * (len(net.widths) - 1) : 2]
    for i, kernel in enumerate(kernels):
        if start is not None and i == len(kernels) - 1:
            continue  # the hidden layers' output starts at zero
        kernel[...] = glorot_uniform(rng, *kernel.shape)
    if start is not None:
        views[-1][...] = start[0]  # the linear path
        views[2 * len(kernels) - 1][...] = start[1]  # the output bias


def seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """A member's two random streams: its starting weights', and its shuffles' and dropout
    masks' (what :func:`~._numpy_training.fit` draws from its ``seed``)."""
    init_seed, train_seed = np.random.SeedSequence(seed).spawn(2)
    return init_seed, train_seed


def starting_weights(spec: Spec, head: Head, seed: int,
                     start: tuple[np.ndarray, np.ndarray] | None) -> list[np.ndarray]:  # fmt: skip
    """The weights :func:`train` starts from, in the order of a Keras model's variables (the
    Keras-model path sets them, so a progress bar or a callback changes no weight)."""
    net = NumpyNet(spec, Optimizer("sgd", 0.0), 1, np.random.default_rng(0), head, 0.0)
    initialise(net, np.random.default_rng(seeds(seed)[0]), start)
    return net.views(net.params)


def train(
    spec: Spec,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    *,
    rows: np.ndarray | None,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    start: tuple[np.ndarray, np.ndarray] | None,
    batch_size: int,
    epochs: int,
    patience: int,
    tol: float,
    seed: int,
    head: Head,
    eps: float,
) -> tuple[dict[str, list[float]], NumpyNet]:
    """Train one member; return its history (Keras' ``History.history``) and its network.

    ``seed`` gives the two streams of :func:`seeds`.

    With ``validation`` it stops as :func:`~._keras_state.early_stopping` does (``patience``
    epochs without a decrease of ``tol``) and keeps the weights of the epoch with the lowest
    validation loss. A loss that is not finite stops training (the caller reports it).
    """
    init_seed, train_seed = seeds(seed)
    n = len(X) if rows is None else len(rows)
    batch_size = min(batch_size, n)
    net = NumpyNet(spec, optimizer, batch_size, np.random.default_rng(train_seed), head, eps)
    initialise(net, np.random.default_rng(init_seed), start)
    weights = np.asarray(weights, dtype=np.float32)
    history: dict[str, list[float]] = {"loss": []}
    best, best_params, wait = math.inf, None, 0
    for _ in range(epochs):
        loss = net.epoch(X, y, weights, rows, batch_size)
        history["loss"].append(loss)
        if validation is not None:
            val = net.loss(*validation)
            history.setdefault("val_loss", []).append(val)
            wait = 0 if best_params is None or val < best - tol else wait + 1
            if best_params is None or val < best:
                best, best_params = val, net.params.copy()
            if wait >= patience:
                break
        if not math.isfinite(loss):
            break
    if best_params is not None:
        net.params[...] = best_params
    return history, net


def to_network(net: NumpyNet, output_activation: str) -> Network:
    """The trained weights as a :data:`~._network.Network` (as ``describe_keras`` reads them)."""
    views = net.views(net.params)
    n_dense = len(net.widths) - 1
    steps: Network = []
    for i in range(n_dense):
        last = i == n_dense - 1
        steps.append({
            "kernel": np.ascontiguousarray(views[2 * i]),
            "bias": np.ascontiguousarray(views[2 * i + 1]),
            "activation": output_activation if last else net.activation,
        })  # fmt: skip
    if net.skip is not None:
        steps[-1]["skip"] = np.ascontiguousarray(views[-1])
    return steps
