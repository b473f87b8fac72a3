"""The fast training loop for a Keras model: Keras' own training step, computed with numpy.

``keras.Model.fit`` spends milliseconds of Python per step on every backend, so a small MLP is
overhead-bound. :func:`fit` runs :class:`~skmed.neural_network._numpy_step.NumpyNet`'s step
instead (the same forward pass, loss, gradient and Adam / SGD update; on TensorFlow,
``Model.fit`` computes the softmax loss from the logits without clipping: the two differ only on
rows whose probability is clipped).

The Keras model stays the source of truth: the loop starts from its weights and optimizer slots
and writes them back after every epoch, before the callbacks run (Keras' ``EarlyStopping``,
``History``, the progress bar and the user's callbacks see the model as under ``Model.fit``,
and a callback that changes the weights or the learning rate is honoured). Rows are shuffled and
dropout masks drawn by a numpy generator seeded for the fit, so fits are reproducible on every
backend and in threads. ``tests/test_training_paths.py`` checks this loop trains the same network
as ``Model.fit``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from skmed._compat import adam_slot_variables
from skmed.neural_network._heads import SOFTMAX, Head
from skmed.neural_network._network import LINEAR_PATH
from skmed.neural_network._numpy_step import NumpyNet, Optimizer, Spec

#: Optimizers whose Keras update this loop reproduces.
OPTIMIZERS = ("adam", "sgd")


def eligible(optimizer: str, batch_normalization: bool) -> bool:
    """Whether this loop can train a MedicalMLPClassifier network with these settings."""
    return optimizer in OPTIMIZERS and not batch_normalization


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
    seed: int | np.random.SeedSequence,
    head: Head = SOFTMAX,
) -> Any:
    """Train ``model`` (compiled by MedicalMLPClassifier) like ``model.fit``; return its History.

    ``X`` is float32 and C-contiguous, ``y`` the encoded classes, ``weights`` the row weights.
    ``rows`` selects the training rows of ``X`` (``None``: all), read in place rather than
    copied, so holding out a validation share costs only the copy of that share. A batch loss
    that is not finite stops training (the caller reports the divergence).
    """
    import keras

    n = len(X) if rows is None else len(rows)
    batch_size = min(batch_size, n)
    n_steps = -(-n // batch_size)
    sync = _KerasSync(model, batch_size, np.random.default_rng(seed), head)
    net = sync.net
    callback_list = keras.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=n_steps,
        model=model,
    )
    # Keras' batch hooks cost more than a step: call them only if a callback uses them
    batch_hooks = any(_uses_batch_hooks(cb, keras) for cb in callback_list.callbacks)
    weights = np.asarray(weights, dtype=np.float32)
    model.stop_training = False
    logs: dict[str, float] = {}
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        sync.read_learning_rate()
        order = net.rngs[0].permutation(n)
        if rows is not None:  # only these rows train (the others validate)
            order = rows[order]
        total = 0.0
        seen = 0
        for i in range(n_steps):
            batch = order[i * batch_size : (i + 1) * batch_size]
            if batch_hooks:
                callback_list.on_train_batch_begin(i)
            (loss,) = net.step(X, y, weights, batch[None, :])
            total += loss * len(batch)
            seen += len(batch)
            if batch_hooks:
                callback_list.on_train_batch_end(i, {"loss": total / seen})
            if not math.isfinite(loss):
                model.stop_training = True
            if model.stop_training:
                break
        logs = {"loss": total / seen}
        if validation is not None:
            logs["val_loss"] = net.loss(0, *validation)
        sync.write_to()
        callback_list.on_epoch_end(epoch, logs)
        sync.read_from()  # a callback may have changed the weights
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def _uses_batch_hooks(callback: Any, keras: Any) -> bool:
    """Whether a callback overrides a batch hook (in its class, or per instance like
    ``LambdaCallback``; ``on_batch_*`` are the aliases Keras' defaults forward to)."""
    base = keras.callbacks.Callback
    return any(
        name in vars(callback) or getattr(type(callback), name) is not getattr(base, name)
        for name in _BATCH_HOOKS
    )


def spec_of(model: Any) -> tuple[Spec, list[Any]]:
    """The step's view of a model built by ``build_keras_mlp`` (without batch normalization),
    and its trainable variables in the order of :meth:`NumpyNet.views`."""
    all_dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    dense = [layer for layer in all_dense if layer.name != LINEAR_PATH]
    linear = [layer for layer in all_dense if layer.name == LINEAR_PATH]
    dropout = [layer for layer in model.layers if type(layer).__name__ == "Dropout"]
    widths = [int(dense[0].kernel.shape[0])] + [int(d.kernel.shape[1]) for d in dense]
    spec = Spec(
        widths=tuple(widths),
        activation=dense[0].activation.__name__ if len(dense) > 1 else "linear",
        dropout=float(dropout[0].rate) if dropout else 0.0,
        l2=tuple(_l2(d) for d in dense),
        skip_l2=_l2(linear[0]) if linear else None,
    )
    variables = [v for d in dense for v in (d.kernel, d.bias)] + [layer.kernel for layer in linear]
    return spec, variables


def _l2(layer: Any) -> float:
    return float(getattr(layer.kernel_regularizer, "l2", 0.0)) if layer.kernel_regularizer else 0.0


class _KerasSync:
    """A :class:`NumpyNet` that reads its weights and optimizer state from a Keras model and
    writes them back (the Keras model is the source of truth between epochs)."""

    def __init__(self, model: Any, batch_size: int, rng: np.random.Generator, head: Head) -> None:
        spec, variables = spec_of(model)
        opt = self.keras_optimizer = model.optimizer
        if not opt.built:
            opt.build(model.trainable_variables)
        name = type(opt).__name__.lower()
        if name == "sgd" and float(opt.momentum) == 0.0:
            optimizer = Optimizer("sgd", 0.0)
        elif name == "adam" and not opt.amsgrad:
            optimizer = Optimizer("adam", 0.0, float(opt.beta_1), float(opt.beta_2),
                                  float(opt.epsilon))  # fmt: skip
        else:
            raise ValueError(f"The numpy training loop has no update for {type(opt).__name__}.")
        self.net = net = NumpyNet([spec], optimizer, batch_size, [rng], head, keras_epsilon())
        net.iterations[0] = int(np.asarray(opt.iterations))
        # (buffer view, Keras variable, numpy view of its memory or None): weights first, then
        # Adam's slots, all written back every epoch so callbacks see Model.fit's state
        pairs = list(zip(net.views(net.params[0]), variables, strict=True))
        self.n_weight_variables = len(pairs)
        if optimizer.kind == "adam":
            for slot, slot_vars in zip(net.slots, adam_slot_variables(opt, variables)):
                pairs += zip(net.views(slot[0]), slot_vars, strict=True)
        self.synced = [(view, var, _shared(var)) for view, var in pairs]
        for view, variable, _ in self.synced[self.n_weight_variables :]:
            view[...] = np.asarray(variable)
        self.read_from()

    def read_learning_rate(self) -> None:
        self.net.optimizer.learning_rate = float(np.asarray(self.keras_optimizer.learning_rate))

    def read_from(self) -> None:
        """Read the weights back (a callback may have set them)."""
        for view, variable, shared in self.synced[: self.n_weight_variables]:
            view[...] = np.asarray(variable) if shared is None else shared

    def write_to(self) -> None:
        """Write the weights, the optimizer's slots and its step count into the Keras model."""
        for view, variable, shared in self.synced:
            if shared is None:
                variable.assign(view)
            else:  # in place: no tensor conversion per epoch
                np.copyto(shared, view)
        self.keras_optimizer.iterations.assign(int(self.net.iterations[0]))


def _shared(variable: Any) -> np.ndarray | None:
    """A numpy view sharing a Keras variable's memory (torch on CPU), else ``None``."""
    value: Any = getattr(variable, "value", None)
    if type(value).__module__.startswith("torch") and value.device.type == "cpu":
        return value.detach().numpy()
    return None


def keras_epsilon() -> float:
    """Keras' fuzz factor (the clip of the probabilities in the cross-entropy)."""
    from skmed._backend import import_keras

    return float(import_keras().backend.epsilon())
