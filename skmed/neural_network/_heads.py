"""What a network's output means: its activation, its loss (for Keras and for the numpy loop),
the strata its held-out rows are drawn from, and the classical model its linear path starts at.

- :data:`SOFTMAX` (the classifier): class probabilities, cross-entropy, strata = classes, start
  = scikit-learn's ``LogisticRegression``.
- :data:`COX` (the survival network, DeepSurv's head): one linear output, the log partial
  hazard; loss = Breslow's negative log partial likelihood over the rows of a batch (risk sets
  within the batch, as in DeepSurv); strata = event or censored; start = the L2-penalised Cox
  model, fitted here by L-BFGS on the same loss.

Targets: the classifier trains on encoded classes ``(n,)``; the Cox head on ``(n, 3)`` float64
rows ``(time, event, weight)`` (the weight column lets the Keras loss weight the risk sets as the
numpy loop does; Keras multiplies each row's term by the same weight).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from skmed.neural_network._ensemble import logistic_start


@dataclass(frozen=True)
class Head:
    """One kind of network output (see the module docstring)."""

    name: str
    activation: str
    #: whether the loss is a sum of per-row terms (evaluated in batches); the Cox loss's risk
    #: sets span all rows evaluated together
    row_separable: bool

    def keras_loss(self) -> Any:
        raise NotImplementedError

    def strata(self, y: np.ndarray) -> np.ndarray:
        """Integer stratum of each row, for the members' folds and the validation split."""
        raise NotImplementedError

    def n_strata(self, n_outputs: int) -> int:
        """How many strata :meth:`strata` draws from."""
        raise NotImplementedError

    def start(self, X, y, weights, n_outputs, C) -> tuple[np.ndarray, np.ndarray]:
        """Kernel ``(n_features, n_outputs)`` and bias of the classical model of ``y`` on X."""
        raise NotImplementedError

    def select_C(self, X, y, weights, validation, grid) -> float:
        """The ``C`` of ``grid`` whose classical model of ``(X, y)`` has the lowest loss on the
        ``validation`` rows ``(X, y, weights)`` (``linear_C="auto"``)."""
        raise NotImplementedError(f"linear_C='auto' is not available for the {self.name} head.")

    def loss_and_delta(self, out, y, w, eps) -> tuple[list[float], np.ndarray]:
        """Each member's batch loss (weighted, divided by the rows) and its gradient with
        respect to the logits, for the activated outputs ``out`` (members x outputs x rows) of
        targets ``y`` and weights ``w`` (members x rows); ``out`` may be reused."""
        raise NotImplementedError

    def summed_loss(self, out, y, w, eps) -> float:
        """The weighted loss summed over all rows of ``out`` (Keras' evaluate times rows)."""
        raise NotImplementedError


class _Softmax(Head):
    def keras_loss(self) -> Any:
        return "sparse_categorical_crossentropy"

    def strata(self, y: np.ndarray) -> np.ndarray:
        return y

    def n_strata(self, n_outputs: int) -> int:
        return n_outputs  # one per class

    def start(self, X, y, weights, n_outputs, C):
        return logistic_start(X, y, weights, n_outputs, C)

    def loss_and_delta(self, out, y, w, eps):
        # Keras: cross-entropy of the probabilities clipped to [eps, 1 - eps]; a clipped row
        # passes no gradient. d loss / d logits = (p - onehot) * w / n, per row
        k, _, n = out.shape
        members, columns = np.arange(k)[:, None], np.arange(n)
        p_true = out[members, y, columns]
        clipped = np.clip(p_true, eps, 1 - eps)
        coef = w * np.float32(1.0 / n)
        logs = np.log(clipped)
        losses = [-float(np.dot(logs[m], coef[m])) for m in range(k)]
        coef[clipped != p_true] = 0.0
        out[members, y, columns] -= 1.0
        out *= coef[:, None, :]
        return losses, out

    def summed_loss(self, out, y, w, eps):
        p_true = np.clip(out[y, np.arange(out.shape[1])], eps, 1 - eps)
        return -float(np.dot(np.log(p_true), np.asarray(w, dtype=np.float32)))


class _Cox(Head):
    def keras_loss(self) -> Any:
        return cox_keras_loss

    def strata(self, y: np.ndarray) -> np.ndarray:
        return (y[:, 1] > 0).astype(np.int64)

    def n_strata(self, n_outputs: int) -> int:
        return 2  # censored, event

    def start(self, X, y, weights, n_outputs, C):
        return cox_start(X, y[:, 0], y[:, 1], weights, C), np.zeros(1)

    def select_C(self, X, y, weights, validation, grid):
        X_val, y_val, w_val = validation
        X_val = np.asarray(X_val, dtype=np.float64)
        losses, beta = [], None
        for C in sorted(grid):  # weakest penalty last; each fit starts at the previous one
            beta = cox_start(X, y[:, 0], y[:, 1], weights, C, beta)
            losses.append(cox_loss(X_val @ beta[:, 0], y_val[:, 0], y_val[:, 1], w_val,
                                   gradient=False)[0])  # fmt: skip
        return float(sorted(grid)[int(np.argmin(losses))])

    def loss_and_delta(self, out, y, w, eps):
        n = out.shape[2]
        losses = []
        for m in range(out.shape[0]):  # each member's risk sets are its own batch's
            loss, grad = cox_loss(out[m, 0].astype(np.float64), y[m, :, 0], y[m, :, 1], w[m])
            out[m, 0] = grad / n
            losses.append(loss / n)
        return losses, out

    def summed_loss(self, out, y, w, eps):
        return cox_loss(out[0].astype(np.float64), y[:, 0], y[:, 1], w, gradient=False)[0]


SOFTMAX = _Softmax("softmax", "softmax", row_separable=True)
COX = _Cox("cox", "linear", row_separable=False)
HEADS = {head.name: head for head in (SOFTMAX, COX)}


def cox_loss(
    risk: np.ndarray, time: np.ndarray, event: np.ndarray, w: np.ndarray, gradient: bool = True
) -> tuple[float, np.ndarray | None]:
    """Breslow's weighted negative log partial likelihood, summed over rows, and its gradient.

    ``sum_i w_i d_i (log sum_{j: t_j >= t_i} w_j exp(r_j) - r_i)``: tied times share one risk
    set. Sorting once makes the risk sets suffix sums and the gradient a prefix sum, so a step
    costs O(n log n) whatever the batch.
    """
    order = np.argsort(time, kind="stable")
    t, r = time[order], risk[order]
    weight = np.asarray(w, dtype=np.float64)[order]
    wd = weight * (np.asarray(event, dtype=np.float64)[order] > 0)
    shift = r.max()
    e = weight * np.exp(r - shift)
    at_risk = np.cumsum(e[::-1])[::-1][np.searchsorted(t, t, side="left")]
    loss = float(np.dot(wd, np.log(at_risk) + shift - r))
    if not gradient:
        return loss, None
    share = np.cumsum(wd / at_risk)[np.searchsorted(t, t, side="right") - 1]
    grad = np.empty_like(r)
    grad[order] = e * share - wd
    return loss, grad


def cox_keras_loss(y_true: Any, y_pred: Any) -> Any:
    """The Cox loss per row, for ``Model.fit``: targets ``(time, event, weight)``."""
    from keras import ops

    risk = ops.cast(y_pred[:, 0], "float32")
    y_true = ops.cast(y_true, "float32")
    time, event, weight = y_true[:, 0], y_true[:, 1], y_true[:, 2]
    at_risk = ops.cast(ops.greater_equal(time[None, :], time[:, None]), "float32")
    shift = ops.stop_gradient(ops.max(risk))
    total = ops.sum(at_risk * (weight * ops.exp(risk - shift))[None, :], axis=1)
    return event * (ops.log(total) + shift - risk)


def cox_start(X, time, event, weights, C: float, initial: np.ndarray | None = None) -> np.ndarray:
    """Coefficients ``(n_features, 1)`` of the Cox model with penalty ``||beta||^2 / (2 C)``
    (L-BFGS from ``initial``, or from zero)."""
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=np.float64)

    def objective(beta: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = cox_loss(X @ beta, time, event, weights)
        assert grad is not None
        return loss + beta @ beta / (2 * C), X.T @ grad + beta / C

    start = np.zeros(X.shape[1]) if initial is None else np.asarray(initial, float).reshape(-1)
    fitted = minimize(objective, start, jac=True, method="L-BFGS-B",
                      options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-7})  # fmt: skip
    return fitted.x[:, None]
