"""A lean training loop for the torch backend: Keras' own step, without Keras' per-step overhead.

``keras.Model.fit`` spends a few milliseconds of Python per step (tensor conversion, tracking,
optimizer bookkeeping), which dominates on clinical-sized tables: an MLP step on 200 rows is
~0.1 ms of arithmetic. This loop computes exactly Keras' step on the model's own variables:
the same forward pass, the same loss (softmax probabilities renormalised, clipped to
``[eps, 1 - eps]``, log, weighted sum over the batch size, plus the L2 penalties), and the same
Adam / SGD update on the optimizer's own slot variables. Keras callbacks (early stopping,
history, progress bar, the user's) run through Keras' ``CallbackList``, so the epoch-level
behaviour is Keras'. ``tests/test_training_paths.py`` checks both paths train the same network.

Used for MedicalMLPClassifier's own architecture on the torch backend with the optimizers
below; everything else (batch normalization, other optimizers, other backends) uses
``Model.fit``. Rows are shuffled (and dropout masks drawn) with a torch generator seeded for the
fit, so a seeded fit is reproducible even when other fits run in threads of the same process;
the two paths draw differently, so they are not bit-identical to each other.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Optimizers whose Keras update this loop reproduces.
OPTIMIZERS = ("adam", "sgd")


def eligible(backend: str, optimizer: str, batch_normalization: bool) -> bool:
    """Whether this loop can train a MedicalMLPClassifier network with these settings."""
    return backend == "torch" and optimizer in OPTIMIZERS and not batch_normalization


def fit(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    *,
    rows: np.ndarray | None,
    batch_size: int,
    epochs: int,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    callbacks: list,
    verbose: int,
    seed: int,
) -> Any:
    """Train ``model`` (compiled by MedicalMLPClassifier) like ``model.fit``; return its History.

    ``rows`` selects the training rows of ``X`` (``None``: all), read in place rather than
    copied, so holding out a validation share costs only the copy of that share.

    Shuffling and dropout draw from a torch generator seeded with ``seed``, not from torch's
    process-wide generator, so concurrent fits in threads (joblib's threading backend, a Dask
    worker running a seceded task) do not change each other's results.
    """
    import keras
    import torch

    layers = _forward_plan(model)
    penalties = [
        (layer.kernel.value, float(layer.kernel_regularizer.l2))
        for layer in model.layers
        if type(layer).__name__ == "Dense" and layer.kernel_regularizer is not None
    ]
    variables = [v.value for v in model.trainable_variables]
    step = _optimizer_step(model.optimizer, model.trainable_variables)

    Xt, yt, wt = _tensors(X, y.astype(np.int64), weights)
    train_rows = None if rows is None else torch.from_numpy(np.asarray(rows, dtype=np.int64))
    n = len(Xt) if train_rows is None else len(train_rows)
    n_steps = -(-n // batch_size)
    eps = float(keras.backend.epsilon())
    callback_list = keras.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=n_steps,
        model=model,
    )
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        order = torch.randperm(n, generator=generator)
        if train_rows is not None:  # only these rows train (the others validate)
            order = train_rows[order]
        total, seen = 0.0, 0
        for i in range(n_steps):
            callback_list.on_train_batch_begin(i)
            batch = order[i * batch_size : (i + 1) * batch_size]
            for v in variables:
                v.grad = None
            loss = _loss(layers, penalties, Xt[batch], yt[batch], wt[batch], eps, generator)
            loss.backward()
            with torch.no_grad():
                step([v.grad for v in variables])
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
            callback_list.on_train_batch_end(i, {"loss": total / seen})
            if model.stop_training:
                break
        logs = {"loss": total / seen}
        if validation is not None:
            logs["val_loss"] = _evaluate(layers, penalties, validation, batch_size, eps)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


def _tensors(*arrays: np.ndarray) -> list[Any]:
    import torch

    return [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]


def _forward_plan(model: Any) -> list[tuple[str, Any]]:
    """The model's layers as (kind, payload) pairs the loop runs with torch functions."""
    plan: list[tuple[str, Any]] = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            plan.append(("dense", (layer.kernel.value, layer.bias.value)))
            plan.append(("activation", layer.activation.__name__))
        elif kind == "Activation":
            plan.append(("activation", layer.activation.__name__))
        elif kind == "Dropout":
            plan.append(("dropout", float(layer.rate)))
        else:  # pragma: no cover - eligible() keeps other layers on the Keras path
            raise ValueError(f"The torch training loop cannot run layer {layer.name!r} ({kind}).")
    return plan


def _run(plan: list[tuple[str, Any]], x: Any, generator: Any) -> Any:
    """Forward pass; ``generator`` draws the dropout masks (``None``: inference, no dropout)."""
    import torch
    import torch.nn.functional as F

    for kind, payload in plan:
        if kind == "dense":
            kernel, bias = payload
            x = torch.matmul(x, kernel) + bias
        elif kind == "dropout":
            if generator is not None and payload > 0:  # inverted dropout, as Keras
                keep = torch.rand(x.shape, generator=generator) >= payload
                x = x * keep / (1.0 - payload)
        elif payload == "relu":
            x = F.relu(x)
        elif payload == "softmax":
            x = F.softmax(x, dim=-1)
        elif payload in ("sigmoid", "tanh"):
            x = getattr(torch, payload)(x)
        elif payload in ("elu", "selu", "silu"):
            x = getattr(F, payload)(x)
        elif payload != "linear":  # pragma: no cover - the classifier validates activations
            raise ValueError(f"Unknown activation {payload!r}.")
    return x


def _loss(plan, penalties, x, y, w, eps: float, generator: Any) -> Any:
    """Keras' sparse categorical cross-entropy on probabilities, weighted, plus L2 penalties."""
    import torch
    import torch.nn.functional as F

    proba = _run(plan, x, generator)
    proba = proba / torch.sum(proba, dim=1, keepdim=True)
    proba = torch.clip(proba, eps, 1.0 - eps)
    per_row = F.nll_loss(torch.log(proba), y, reduction="none")
    loss = torch.sum(per_row * w) / per_row.shape[0]
    for kernel, l2 in penalties:
        loss = loss + l2 * torch.sum(torch.square(kernel))
    return loss


def _evaluate(plan, penalties, validation, batch_size: int, eps: float) -> float:
    """Keras' evaluate: per-batch losses averaged with batch-size weights."""
    import torch

    X, y, w = _tensors(validation[0], validation[1].astype(np.int64), validation[2])
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            rows = slice(start, start + batch_size)
            loss = _loss(plan, penalties, X[rows], y[rows], w[rows], eps, None)
            total += float(loss) * len(X[rows])
    return total / len(X)


def _optimizer_step(optimizer: Any, keras_variables: list) -> Any:
    """Return ``step(grads)`` applying Keras' update for ``optimizer`` to its own slots."""
    import torch

    if not optimizer.built:
        optimizer.build(keras_variables)
    params = [v.value for v in keras_variables]
    lr = float(optimizer.learning_rate)
    name = type(optimizer).__name__.lower()
    if name == "sgd" and optimizer.momentum == 0:

        def sgd(grads: list) -> None:
            torch._foreach_add_(params, grads, alpha=-lr)
            optimizer.iterations.value.add_(1)

        return sgd
    if name == "adam" and not optimizer.amsgrad:
        index = optimizer._get_variable_index
        m = [optimizer._momentums[index(v)].value for v in keras_variables]
        s = [optimizer._velocities[index(v)].value for v in keras_variables]
        beta_1, beta_2, epsilon = optimizer.beta_1, optimizer.beta_2, optimizer.epsilon
        step = [int(optimizer.iterations)]

        def adam(grads: list) -> None:
            step[0] += 1
            t = step[0]
            alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            torch._foreach_mul_(m, beta_1)
            torch._foreach_add_(m, grads, alpha=1 - beta_1)
            torch._foreach_mul_(s, beta_2)
            torch._foreach_add_(s, torch._foreach_mul(grads, grads), alpha=1 - beta_2)
            torch._foreach_add_(
                params,
                torch._foreach_div(
                    torch._foreach_mul(m, alpha),
                    torch._foreach_add(torch._foreach_sqrt(s), epsilon),
                ),
                alpha=-1,
            )
            optimizer.iterations.value.add_(1)

        return adam
    raise ValueError(f"The torch training loop has no update for {type(optimizer).__name__}.")
