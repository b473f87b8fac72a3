"""One network's training step, computed with numpy on buffers allocated once per fit.

A clinical MLP is small: one step on 256 rows of a 30-64-32-3 network is ~6 MFLOP, tens of
microseconds of arithmetic, while ``keras.Model.fit`` spends milliseconds of Python per step.
:class:`NumpyNet` computes Keras' own step:

- the same forward pass (float32, dropout as Keras draws it: inverted, rate ``p``);
- the same loss: the head's (softmax: Keras' sparse categorical cross-entropy on the
  probabilities clipped to ``[eps, 1 - eps]``, a clipped row passing no gradient), weighted and
  summed over the batch size, plus the L2 penalties of the kernels;
- its gradient written out by hand (back-propagation through the dense steps and activations);
- the same Adam / SGD update as Keras' optimizers, applied to one flat vector that holds every
  weight, so an update is a dozen vector operations whatever the depth.

The output layer works transposed (outputs x rows), so the softmax reduces over contiguous
rows; bias gradients are products with a vector of ones (faster than a column sum). Who owns
the weights is the caller's business: :mod:`._numpy_training` syncs them with a Keras model,
:mod:`._members` trains cross-fitted members without one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from skmed.neural_network._activations import activation
from skmed.neural_network._heads import Head
from skmed.neural_network._network import apply_activation


@dataclass(frozen=True)
class Spec:
    """What a step needs to know of a network.

    ``widths`` are the input, hidden and output widths; ``activation`` the hidden layers' Keras
    name; ``l2`` each chain kernel's penalty; ``skip_l2`` the linear path's (``None``: no path).
    """

    widths: tuple[int, ...]
    activation: str
    dropout: float
    l2: tuple[float, ...]
    skip_l2: float | None


@dataclass
class Optimizer:
    """Keras' Adam (without amsgrad) or plain SGD, with its step count."""

    kind: str
    learning_rate: float
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    iterations: int = 0


class NumpyNet:
    """One network's flat weights, gradient, optimizer slots and per-batch buffers.

    ``params`` holds the chain's ``[kernel, bias, kernel, bias, ...]`` (Keras' variable order),
    then the linear path's kernel; :meth:`views` splits any vector of that layout.
    """

    def __init__(
        self,
        spec: Spec,
        optimizer: Optimizer,
        batch_size: int,
        rng: np.random.Generator,
        head: Head,
        eps: float,
    ) -> None:
        self.spec, self.optimizer, self.head, self.rng = spec, optimizer, head, rng
        self.activation = spec.activation
        self.act = activation(spec.activation)  # its table entry, looked up once
        self.rate = float(spec.dropout)
        self.eps = np.float32(eps)
        widths = self.widths = list(spec.widths)
        self.skip_shape = (widths[0], widths[-1]) if spec.skip_l2 is not None else None
        chain = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
        skip_size = widths[0] * widths[-1] if self.skip_shape else 0
        self.params = np.zeros(chain + skip_size, np.float32)
        self.grad = np.zeros_like(self.params)
        self.weights = _chain_views(self.params, widths)
        self.weight_grads = _chain_views(self.grad, widths)
        self.skip = self._skip_view(self.params)
        self.skip_grad = self._skip_view(self.grad)
        # 2 * l2 on kernel entries, 0 on biases: the penalty's gradient is params * decay
        self.decay = np.zeros_like(self.params)
        kernels = _chain_views(self.decay, widths)[::2]
        for view, l2 in zip(kernels, spec.l2, strict=True):
            view[...] = 2.0 * l2
        if self.skip_shape is not None:
            self._skip_view(self.decay)[...] = 2.0 * float(spec.skip_l2)  # type: ignore[index]
        self.has_penalty = bool(self.decay.any())
        self.tmp = np.empty_like(self.params), np.empty_like(self.params)
        self.slots = (np.zeros_like(self.params), np.zeros_like(self.params))
        self.ones = np.ones(batch_size, dtype=np.float32)
        self.inputs = [np.empty((batch_size, w), dtype=np.float32) for w in widths[:-1]]
        self.deltas = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.out = np.empty((widths[-1], batch_size), dtype=np.float32)
        self.masks = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.pre = [np.empty((batch_size, w), dtype=np.float32) for w in widths[1:-1]]

    def _skip_view(self, flat: np.ndarray) -> np.ndarray | None:
        if self.skip_shape is None:
            return None
        size = self.skip_shape[0] * self.skip_shape[1]
        return flat[flat.size - size :].reshape(self.skip_shape)

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """``flat`` split into the chain's kernels and biases, then the linear path's kernel."""
        skip = self._skip_view(flat)
        return _chain_views(flat, self.widths) + ([] if skip is None else [skip])

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
        opt = self.optimizer
        opt.iterations += 1
        params, grad = self.params, self.grad
        if opt.kind == "sgd":
            params -= grad * np.float32(opt.learning_rate)
            return
        # keras.optimizers.Adam.update_step, in the same order of operations
        t = opt.iterations
        b1, b2 = opt.beta_1, opt.beta_2
        alpha = np.float32(opt.learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t))
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
        a += np.float32(opt.epsilon)
        np.multiply(m, alpha, out=b)
        b /= a
        params -= b

    def epoch(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, rows: np.ndarray | None,
              batch_size: int) -> float:  # fmt: skip
        """One epoch over ``rows`` of ``X`` (``None``: all) in a fresh shuffle; its mean loss
        (``nan`` as soon as a step's loss is not finite: training has diverged)."""
        n = len(X) if rows is None else len(rows)
        order = self.rng.permutation(n)
        if rows is not None:
            order = rows[order]
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            loss = self.step(X, y, w, batch)
            if not math.isfinite(loss):
                return math.nan
            total += loss * len(batch)
        return total / n

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


def _chain_views(flat: np.ndarray, widths: list[int]) -> list[np.ndarray]:
    """Split a flat vector into [kernel, bias, kernel, bias, ...], Keras' variable order."""
    views, offset = [], 0
    for a, b in zip(widths, widths[1:]):
        views.append(flat[offset : offset + a * b].reshape(a, b))
        views.append(flat[offset + a * b : offset + (a + 1) * b])
        offset += (a + 1) * b
    return views
