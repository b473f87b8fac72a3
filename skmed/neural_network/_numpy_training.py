"""The fast training loop: Keras' own training step, computed by hand with numpy.

A clinical MLP is small: one step on 256 rows of a 30-64-32-3 network is ~6 MFLOP, tens of
microseconds of arithmetic. ``keras.Model.fit`` spends milliseconds of Python per step
(tensor conversion, autograd, optimizer bookkeeping), so on every backend it is overhead-bound.
This loop computes the same step with numpy on preallocated buffers:

- the same forward pass (float32, dropout as Keras draws it: inverted, rate ``p``);
- the same loss: Keras' sparse categorical cross-entropy on the softmax probabilities, clipped
  to ``[eps, 1 - eps]`` (a clipped row contributes no gradient), weighted and summed over the
  batch size, plus the L2 penalties of the kernels
  (on TensorFlow, ``Model.fit`` computes this loss from the logits without clipping: the two
  differ only on rows whose probability is clipped);
- its gradient written out by hand (back-propagation through the dense steps and activations);
- the same Adam / SGD update as Keras' optimizers, applied to one flat vector that holds every
  weight, so an update is a dozen vector operations whatever the depth.

The output layer works transposed (classes x rows), so the softmax reduces over contiguous
rows; bias gradients are products with a vector of ones (faster than a column sum).

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
from skmed.neural_network._activations import activation
from skmed.neural_network._heads import SOFTMAX, Head
from skmed.neural_network._network import LINEAR_PATH, apply_activation

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
    seed: int,
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
    net = _Trainer(model, batch_size, np.random.default_rng(seed), head)
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
        net.read_learning_rate()
        order = net.rng.permutation(n)
        if rows is not None:  # only these rows train (the others validate)
            order = rows[order]
        total = 0.0
        seen = 0
        for i in range(n_steps):
            batch = order[i * batch_size : (i + 1) * batch_size]
            if batch_hooks:
                callback_list.on_train_batch_begin(i)
            loss = net.step(X, y, weights, batch)
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
            logs["val_loss"] = net.loss(*validation)
        net.write_to()
        callback_list.on_epoch_end(epoch, logs)
        net.read_from()  # a callback may have changed the weights
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


class _Trainer:
    """One network's flat weights, gradient, optimizer slots and per-batch buffers."""

    def __init__(self, model: Any, batch_size: int, rng: np.random.Generator, head: Head) -> None:
        self.head = head
        all_dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
        dense = [layer for layer in all_dense if layer.name != LINEAR_PATH]
        linear = [layer for layer in all_dense if layer.name == LINEAR_PATH]
        dropout = [layer for layer in model.layers if type(layer).__name__ == "Dropout"]
        self.activation = dense[0].activation.__name__ if len(dense) > 1 else "linear"
        self.act = activation(self.activation)  # its table entry, looked up once
        self.rate = float(dropout[0].rate) if dropout else 0.0
        self.rng = rng
        self.eps = np.float32(_keras_epsilon())
        self.optimizer = model.optimizer
        widths = [int(dense[0].kernel.shape[0])] + [int(d.kernel.shape[1]) for d in dense]
        self.widths = widths
        # the linear path (input -> logits, no bias) is stored after the chain's weights
        self.skip_shape = (widths[0], widths[-1]) if linear else None
        chain = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
        self.params = np.zeros(chain + (widths[0] * widths[-1] if linear else 0), np.float32)
        self.grad = np.zeros_like(self.params)
        self.weights = _views(self.params, widths)  # [kernel, bias, kernel, bias, ...]
        self.weight_grads = _views(self.grad, widths)
        self.skip = self._skip_view(self.params)
        self.skip_grad = self._skip_view(self.grad)
        # 2 * l2 on kernel entries, 0 on biases: the penalty's gradient is params * decay
        self.decay = np.zeros_like(self.params)
        kernels = _views(self.decay, widths)[::2]
        skip_decay = self._skip_view(self.decay)
        if skip_decay is not None:
            kernels.append(skip_decay)
        for d, view in zip(dense + linear, kernels, strict=True):
            l2 = getattr(d.kernel_regularizer, "l2", 0.0) if d.kernel_regularizer else 0.0
            view[...] = 2.0 * float(l2)
        self.has_penalty = bool(self.decay.any())
        self.tmp = np.empty_like(self.params), np.empty_like(self.params)
        self.ones = np.ones(batch_size, dtype=np.float32)
        self.inputs = [np.empty((batch_size, w), dtype=np.float32) for w in widths[:-1]]
        self.deltas = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.out = np.empty((widths[-1], batch_size), dtype=np.float32)
        self.masks = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.pre = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.variables = [v for d in dense for v in (d.kernel, d.bias)] + [
            layer.kernel for layer in linear
        ]
        self._setup_optimizer(model)
        self.read_from()

    def _skip_view(self, flat: np.ndarray) -> np.ndarray | None:
        if self.skip_shape is None:
            return None
        size = self.skip_shape[0] * self.skip_shape[1]
        return flat[flat.size - size :].reshape(self.skip_shape)

    def _all_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views in the order of ``self.variables``: the chain, then the linear path."""
        skip = self._skip_view(flat)
        return _views(flat, self.widths) + ([] if skip is None else [skip])

    # ----------------------------------------------------------------- Keras model <-> buffers
    def _setup_optimizer(self, model: Any) -> None:
        opt = self.optimizer
        variables = self.variables
        if not opt.built:
            opt.build(model.trainable_variables)
        name = type(opt).__name__.lower()
        if name == "sgd" and float(opt.momentum) == 0.0:
            self.kind = "sgd"
        elif name == "adam" and not opt.amsgrad:
            self.kind = "adam"
            self.beta_1, self.beta_2 = float(opt.beta_1), float(opt.beta_2)
            self.epsilon = float(opt.epsilon)
            slot_variables = adam_slot_variables(opt, variables)
            self.slots = np.zeros_like(self.params), np.zeros_like(self.params)
        else:
            raise ValueError(f"The numpy training loop has no update for {type(opt).__name__}.")
        self.iterations = int(np.asarray(opt.iterations))
        # (buffer view, Keras variable, numpy view of its memory or None): weights first, then
        # Adam's slots, all written back every epoch so callbacks see Model.fit's state
        pairs = list(zip(self._all_views(self.params), variables, strict=True))
        self.n_weight_variables = len(pairs)
        if self.kind == "adam":
            for slot, slot_vars in zip(self.slots, slot_variables):
                pairs += zip(self._all_views(slot), slot_vars, strict=True)
        self.synced = [(view, var, _shared(var)) for view, var in pairs]
        for view, variable, _ in self.synced[self.n_weight_variables :]:
            view[...] = np.asarray(variable)

    def read_learning_rate(self) -> None:
        self.lr = float(np.asarray(self.optimizer.learning_rate))

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
        self.optimizer.iterations.assign(self.iterations)

    # -------------------------------------------------------------------------- the step
    def _forward(self, n: int, train: bool) -> np.ndarray:
        """Run the network on ``inputs[0][:n]``; return the head's output (outputs x n)."""
        w = self.weights
        last = len(w) // 2 - 1
        for i in range(last):
            kernel, bias, h = w[2 * i], w[2 * i + 1], self.inputs[i + 1][:n]
            if self.act.from_input:  # the derivative reads z
                z = self.pre[i][:n]
                np.matmul(self.inputs[i][:n], kernel, out=z)
                z += bias
                np.copyto(h, apply_activation(self.activation, z))
            else:
                np.matmul(self.inputs[i][:n], kernel, out=h)
                h += bias
                if self.activation in ("relu", "tanh", "linear"):
                    apply_activation(self.activation, h)  # in place
                else:
                    np.copyto(h, apply_activation(self.activation, h))
            if train and self.rate > 0:
                # the derivative reads the activation before dropout: keep it in ``pre``
                if not self.act.from_input:
                    np.copyto(self.pre[i][:n], h)
                mask = self.masks[i][:n]
                self.rng.random(out=mask, dtype=np.float32)
                np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
                mask *= 1.0 / (1.0 - self.rate)
                h *= mask
        out = self.out[:, :n]
        np.matmul(w[-2].T, self.inputs[last][:n].T, out=out)
        if self.skip is not None:
            out += self.skip.T @ self.inputs[0][:n].T
        out += w[-1][:, None]
        return apply_activation(self.head.activation, out, axis=0)

    @np.errstate(all="ignore")  # a diverging step stops training; the classifier reports it
    def step(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, batch: np.ndarray) -> float:
        """One training step on rows ``batch``; return the batch loss (as Keras logs it)."""
        n = len(batch)
        np.take(X, batch, axis=0, out=self.inputs[0][:n])
        loss, delta = self.head.loss_and_delta(self._forward(n, train=True), y[batch], w[batch],
                                               self.eps)  # fmt: skip
        weights, grads, ones = self.weights, self.weight_grads, self.ones[:n]
        last = len(weights) // 2 - 1
        np.matmul(self.inputs[last][:n].T, delta.T, out=grads[-2])
        np.matmul(delta, ones, out=grads[-1])
        if self.skip_grad is not None:
            np.matmul(self.inputs[0][:n].T, delta.T, out=self.skip_grad)
        for i in range(last - 1, -1, -1):
            d = self.deltas[i][:n]
            if i == last - 1:
                np.matmul(delta.T, weights[-2].T, out=d)
            else:
                np.matmul(self.deltas[i + 1][:n], weights[2 * i + 2].T, out=d)
            if self.rate > 0:
                d *= self.masks[i][:n]
            self._times_derivative(d, i, n)
            np.matmul(self.inputs[i][:n].T, d, out=grads[2 * i])
            np.matmul(ones, d, out=grads[2 * i + 1])
        if self.has_penalty:
            penalty_grad = self.tmp[0]
            np.multiply(self.params, self.decay, out=penalty_grad)
            loss += 0.5 * float(np.dot(penalty_grad, self.params))
            self.grad += penalty_grad
        self._update()
        return loss

    def _times_derivative(self, d: np.ndarray, i: int, n: int) -> None:
        """``d *= activation'`` for hidden layer ``i`` (from its output, or pre-activation)."""
        from_pre = self.rate > 0 or self.act.from_input  # ``pre``: z, or the output before dropout
        self.act.times_derivative(d, self.pre[i][:n] if from_pre else self.inputs[i + 1][:n])

    def _update(self) -> None:
        """Keras' optimizer update on the flat weights."""
        self.iterations += 1
        params, grad = self.params, self.grad
        if self.kind == "sgd":
            params -= grad * np.float32(self.lr)
            return
        # keras.optimizers.Adam.update_step, in the same order of operations
        t = self.iterations
        b1, b2 = self.beta_1, self.beta_2
        alpha = np.float32(self.lr * math.sqrt(1 - b2**t) / (1 - b1**t))
        m, v = self.slots
        a, b = self.tmp
        np.subtract(grad, m, out=a)
        a *= np.float32(1 - b1)
        m += a
        np.multiply(grad, grad, out=a)
        a -= v
        a *= np.float32(1 - b2)
        v += a
        np.sqrt(v, out=a)
        a += np.float32(self.epsilon)
        np.multiply(m, alpha, out=b)
        b /= a
        params -= b

    # --------------------------------------------------------------------- validation loss
    @np.errstate(all="ignore")
    def loss(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
        """Keras' evaluate loss: the weighted loss summed over all rows / rows, plus L2 (the
        classifier's in batches; the Cox head's over all rows, one set of risk sets)."""
        batch = len(self.inputs[0])
        total = 0.0
        outputs = []
        for start in range(0, len(X), batch):
            stop = min(start + batch, len(X))
            n = stop - start
            self.inputs[0][:n] = X[start:stop]
            out = self._forward(n, train=False)
            if self.head.row_separable:
                total += self.head.summed_loss(out, y[start:stop], w[start:stop], self.eps)
            else:
                outputs.append(out.copy())
        if outputs:
            total = self.head.summed_loss(np.hstack(outputs), y, w, self.eps)
        penalty = 0.5 * float(np.dot(self.params * self.decay, self.params))
        return total / len(X) + penalty


def _views(flat: np.ndarray, widths: list[int]) -> list[np.ndarray]:
    """Split a flat vector into [kernel, bias, kernel, bias, ...], Keras' variable order."""
    views, offset = [], 0
    for a, b in zip(widths, widths[1:]):
        views.append(flat[offset : offset + a * b].reshape(a, b))
        views.append(flat[offset + a * b : offset + (a + 1) * b])
        offset += (a + 1) * b
    return views


def _shared(variable: Any) -> np.ndarray | None:
    """A numpy view sharing a Keras variable's memory (torch on CPU), else ``None``."""
    value: Any = getattr(variable, "value", None)
    if type(value).__module__.startswith("torch") and value.device.type == "cpu":
        return value.detach().numpy()
    return None


def _keras_epsilon() -> float:
    from skmed._backend import import_keras

    return float(import_keras().backend.epsilon())
