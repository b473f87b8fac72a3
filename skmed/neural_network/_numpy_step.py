"""Networks' training steps, computed with numpy on buffers allocated once per fit.

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

It trains ``k`` networks of one shape at once (the cross-fitted members): every buffer has a
leading member axis, so each numpy call of a step serves all of them (``np.matmul`` runs one
BLAS product per member) and the Python cost of a step is paid once, not ``k`` times. Each
member keeps its own rows, random generator, penalty and step count; a member's arithmetic is
the same as if it trained alone. The output layer works transposed (outputs x rows), so the
softmax reduces over contiguous rows; bias gradients are products with a vector of ones.
Who owns the weights is the caller's business: :mod:`._numpy_training` syncs one network with a
Keras model, :mod:`._members` trains the members without one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    """Keras' Adam (without amsgrad) or plain SGD."""

    kind: str
    learning_rate: float
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7


class NumpyNet:
    """``k`` networks' flat weights, gradients, optimizer slots and per-batch buffers.

    ``params[m]`` holds member ``m``'s chain ``[kernel, bias, kernel, bias, ...]`` (Keras'
    variable order), then its linear path's kernel; :meth:`views` splits a vector of that
    layout. ``specs`` share their widths, activation and dropout; penalties may differ.
    """

    def __init__(
        self,
        specs: Sequence[Spec],
        optimizer: Optimizer,
        batch_size: int,
        rngs: Sequence[np.random.Generator],
        head: Head,
        eps: float,
    ) -> None:
        spec = specs[0]
        if any((s.widths, s.activation, s.dropout) != (spec.widths, spec.activation, spec.dropout)
               for s in specs):  # fmt: skip
            raise ValueError("Members trained together must have one shape.")
        k = self.k = len(specs)
        self.specs, self.optimizer, self.head, self.rngs = list(specs), optimizer, head, list(rngs)
        self.activation = spec.activation
        self.act = activation(spec.activation)  # its table entry, looked up once
        self.rate = float(spec.dropout)
        self.eps = np.float32(eps)
        self.batch_size = batch_size
        widths = self.widths = list(spec.widths)
        self.skip_shape = (widths[0], widths[-1]) if spec.skip_l2 is not None else None
        chain = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
        size = chain + (widths[0] * widths[-1] if self.skip_shape else 0)
        self.params = np.zeros((k, size), np.float32)
        self.grad = np.zeros_like(self.params)
        self.weights = self.views(self.params)  # (k, ...) views: the chain, then the path
        self.weight_grads = self.views(self.grad)
        # 2 * l2 on kernel entries, 0 on biases: the penalty's gradient is params * decay
        self.decay = np.zeros_like(self.params)
        decay_views = self.views(self.decay)
        for m, member in enumerate(specs):
            for view, l2 in zip(decay_views[: 2 * len(member.l2) : 2], member.l2, strict=True):
                view[m] = 2.0 * l2
            if self.skip_shape is not None:
                decay_views[-1][m] = 2.0 * float(member.skip_l2)  # type: ignore[arg-type]
        self.has_penalty = bool(self.decay.any())
        self.tmp = np.empty_like(self.params), np.empty_like(self.params)
        self.slots = (np.zeros_like(self.params), np.zeros_like(self.params))
        self.iterations = np.zeros(k, dtype=np.int64)
        self.ones = np.ones(batch_size, dtype=np.float32)
        self.inputs = [np.empty((k, batch_size, w), dtype=np.float32) for w in widths[:-1]]
        self.deltas = [np.empty((k, batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.out = np.empty((k, widths[-1], batch_size), dtype=np.float32)
        self.masks = [np.empty((k, batch_size, w), dtype=np.float32) for w in widths[1:-1]]
        self.pre = [np.empty((k, batch_size, w), dtype=np.float32) for w in widths[1:-1]]

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """``flat`` (one member's vector, or ``(k, size)``) split into the chain's kernels and
        biases, then the linear path's kernel: views, in Keras' variable order."""
        lead = flat.shape[:-1]
        views, offset = [], 0
        for a, b in zip(self.widths, self.widths[1:]):
            views.append(flat[..., offset : offset + a * b].reshape(*lead, a, b))
            views.append(flat[..., offset + a * b : offset + (a + 1) * b])
            offset += (a + 1) * b
        if self.skip_shape is not None:
            views.append(flat[..., offset:].reshape(*lead, *self.skip_shape))
        return views

    # -------------------------------------------------------------------------- the step
    def _forward(self, sel: slice, n: int, train: bool) -> np.ndarray:
        """Run members ``sel`` on ``inputs[0][sel, :n]``; their outputs (members, outputs, n)."""
        w = [v[sel] for v in self.weights]
        last = len(self.widths) - 2
        inputs = [x[sel, :n] for x in self.inputs]
        for i in range(last):
            kernel, bias, h = w[2 * i], w[2 * i + 1][:, None, :], inputs[i + 1]
            if self.act.from_input:  # the derivative reads z
                z = self.pre[i][sel, :n]
                np.matmul(inputs[i], kernel, out=z)
                z += bias
                np.copyto(h, apply_activation(self.activation, z))
            else:
                np.matmul(inputs[i], kernel, out=h)
                h += bias
                if self.activation in ("relu", "tanh", "linear"):
                    apply_activation(self.activation, h)  # in place
                else:
                    np.copyto(h, apply_activation(self.activation, h))
            if train and self.rate > 0:
                # the derivative reads the activation before dropout: keep it in ``pre``
                if not self.act.from_input:
                    np.copyto(self.pre[i][sel, :n], h)
                mask = self.masks[i][sel, :n]
                for m, rng in zip(range(mask.shape[0]), self.rngs[sel]):
                    rng.random(out=mask[m], dtype=np.float32)
                np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
                mask *= 1.0 / (1.0 - self.rate)
                h *= mask
        out = self.out[sel, :, :n]
        np.matmul(w[2 * last].transpose(0, 2, 1), inputs[last].transpose(0, 2, 1), out=out)
        if self.skip_shape is not None:
            out += w[-1].transpose(0, 2, 1) @ inputs[0].transpose(0, 2, 1)
        out += w[2 * last + 1][:, :, None]
        return apply_activation(self.head.activation, out, axis=1)

    @np.errstate(all="ignore")  # a diverging step stops training; the classifier reports it
    def step(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, batch: np.ndarray,
             sel: slice = slice(None)) -> list[float]:  # fmt: skip
        """One training step of members ``sel`` on rows ``batch`` (one row of indices per
        member, all of one length); return each member's batch loss (as Keras logs it)."""
        n = batch.shape[1]
        np.take(X, batch, axis=0, out=self.inputs[0][sel, :n])
        losses, delta = self.head.loss_and_delta(
            self._forward(sel, n, train=True), y[batch], w[batch], self.eps
        )
        weights = [v[sel] for v in self.weights]
        grads = [v[sel] for v in self.weight_grads]
        inputs = [x[sel, :n] for x in self.inputs]
        ones = self.ones[:n]
        last = len(self.widths) - 2
        delta_t = delta.transpose(0, 2, 1)
        np.matmul(inputs[last].transpose(0, 2, 1), delta_t, out=grads[2 * last])
        np.matmul(delta, ones, out=grads[2 * last + 1])
        if self.skip_shape is not None:
            np.matmul(inputs[0].transpose(0, 2, 1), delta_t, out=grads[-1])
        for i in range(last - 1, -1, -1):
            d = self.deltas[i][sel, :n]
            if i == last - 1:
                np.matmul(delta_t, weights[2 * last].transpose(0, 2, 1), out=d)
            else:
                np.matmul(self.deltas[i + 1][sel, :n], weights[2 * i + 2].transpose(0, 2, 1),
                          out=d)  # fmt: skip
            if self.rate > 0:
                d *= self.masks[i][sel, :n]
            from_pre = self.rate > 0 or self.act.from_input  # z, or the output before dropout
            self.act.times_derivative(d, self.pre[i][sel, :n] if from_pre else inputs[i + 1])
            np.matmul(inputs[i].transpose(0, 2, 1), d, out=grads[2 * i])
            np.matmul(ones, d, out=grads[2 * i + 1])
        params, grad = self.params[sel], self.grad[sel]
        if self.has_penalty:
            penalty_grad = self.tmp[0][sel]
            np.multiply(params, self.decay[sel], out=penalty_grad)
            losses = [loss + 0.5 * float(np.dot(g, p))
                      for loss, g, p in zip(losses, penalty_grad, params)]  # fmt: skip
            grad += penalty_grad
        self._update(sel)
        return losses

    def _update(self, sel: slice) -> None:
        """Keras' optimizer update on members ``sel``' flat weights."""
        opt = self.optimizer
        self.iterations[sel] += 1
        params, grad = self.params[sel], self.grad[sel]
        if opt.kind == "sgd":
            params -= grad * np.float32(opt.learning_rate)
            return
        # keras.optimizers.Adam.update_step, in the same order of operations
        b1, b2 = opt.beta_1, opt.beta_2
        alpha = np.array(
            [[np.float32(opt.learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t))]
             for t in self.iterations[sel].tolist()], dtype=np.float32,
        )  # fmt: skip
        m, v = self.slots[0][sel], self.slots[1][sel]
        a, b = self.tmp[0][sel], self.tmp[1][sel]
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

    def epoch(self, X: np.ndarray, y: np.ndarray, w: np.ndarray,
              rows: Sequence[np.ndarray | None]) -> list[float]:  # fmt: skip
        """One epoch of every member over its ``rows`` of ``X`` (``None``: all), each in a
        fresh shuffle of its own; each member's mean loss (``nan`` once a step's loss is not
        finite: that member has diverged and takes no further step)."""
        orders = []
        for rng, member_rows in zip(self.rngs, rows, strict=True):
            n = len(X) if member_rows is None else len(member_rows)
            order = rng.permutation(n)
            orders.append(order if member_rows is None else member_rows[order])
        totals = [0.0] * self.k
        alive = [True] * self.k
        size = self.batch_size
        for start in range(0, max(len(order) for order in orders), size):
            parts = [order[start : start + size] for order in orders]
            stepping = [m for m in range(self.k) if alive[m] and len(parts[m])]
            if len(stepping) == self.k and len({len(p) for p in parts}) == 1:
                groups = [(slice(None), range(self.k))]
            else:  # the last batches differ in length: one member at a time
                groups = [(slice(m, m + 1), range(m, m + 1)) for m in stepping]
            for sel, members in groups:
                losses = self.step(X, y, w, np.stack([parts[m] for m in members]), sel)
                for m, loss in zip(members, losses):
                    totals[m] += loss * len(parts[m])
                    if not math.isfinite(loss):
                        alive[m] = False
        return [t / len(o) if alive[m] else math.nan
                for m, (t, o) in enumerate(zip(totals, orders))]  # fmt: skip

    # --------------------------------------------------------------------- validation loss
    @np.errstate(all="ignore")
    def loss(self, member: int, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
        """Keras' evaluate loss of one member: the weighted loss summed over all rows / rows,
        plus L2 (the classifier's in batches; the Cox head's over all rows at once)."""
        sel = slice(member, member + 1)
        total = 0.0
        outputs = []
        for start in range(0, len(X), self.batch_size):
            stop = min(start + self.batch_size, len(X))
            n = stop - start
            self.inputs[0][member, :n] = X[start:stop]
            out = self._forward(sel, n, train=False)[0]
            if self.head.row_separable:
                total += self.head.summed_loss(out, y[start:stop], w[start:stop], self.eps)
            else:
                outputs.append(out.copy())
        if outputs:
            total = self.head.summed_loss(np.hstack(outputs), y, w, self.eps)
        params = self.params[member]
        penalty = 0.5 * float(np.dot(params * self.decay[member], params))
        return total / len(X) + penalty

    def keep(self, members: Sequence[int]) -> NumpyNet:
        """A net of only ``members`` (their weights, optimizer state and generators)."""
        members = list(members)
        net = NumpyNet([self.specs[m] for m in members], self.optimizer, self.batch_size,
                       [self.rngs[m] for m in members], self.head, float(self.eps))  # fmt: skip
        net.params[...] = self.params[members]
        for ours, theirs in zip(net.slots, self.slots):
            ours[...] = theirs[members]
        net.iterations[...] = self.iterations[members]
        return net
