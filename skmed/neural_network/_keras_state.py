"""A Keras model's state as arrays: the snapshot pickles hold and failed fits restore."""

from __future__ import annotations

import numpy as np


def snapshot(model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The Keras model's weights and optimizer state, as arrays (copies)."""
    weights = [np.array(w) for w in model.get_weights()]
    optimizer = getattr(model, "optimizer", None)
    slots = []
    if optimizer is not None and optimizer.built:  # a merged model has not trained yet
        slots = [np.array(v.numpy()) for v in optimizer.variables]
    return weights, slots


def load_snapshot(model, weights, optimizer_state) -> None:
    """Put weights (and, when given, the optimizer's state) back into a compiled Keras model."""
    model.set_weights(weights)
    if optimizer_state:
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        for variable, value in zip(model.optimizer.variables, optimizer_state, strict=True):
            variable.assign(value)


def stop_on_nan(keras):
    """A silent TerminateOnNaN: fit then reports the divergence as one clear error."""

    class StopOnNaN(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not np.isfinite(float(loss)):
                self.model.stop_training = True

    return StopOnNaN()


class Patience:
    """scikit-learn's ``MLPClassifier`` early-stopping rule, for one network.

    ``patience`` epochs in a row without a decrease of more than ``tol`` below the best loss
    stop training; the epoch with the lowest loss, however small its lead, is the best one.
    :func:`early_stopping` and ``_members.train`` both ask it.
    """

    def __init__(self, patience: int, tol: float) -> None:
        self.patience, self.tol = patience, tol
        self.best, self.wait, self.seen = np.inf, 0, False

    def update(self, loss: float) -> tuple[bool, bool]:
        """Record an epoch's loss: (whether it is the best so far, whether to stop)."""
        first = not self.seen
        self.seen = True
        self.wait = 0 if first or loss < self.best - self.tol else self.wait + 1
        is_best = first or loss < self.best
        if is_best:
            self.best = loss
        return is_best, self.wait >= self.patience


def early_stopping(keras, patience: int, tol: float):
    """Early stopping on ``val_loss`` by :class:`Patience`, restoring the best epoch's weights
    at the end. (Keras' ``EarlyStopping`` has one ``min_delta`` for both, so a ``tol`` there
    would also discard the best epoch.)
    """

    class EarlyStopping(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.rule, self.best_weights = Patience(patience, tol), None

        def on_epoch_end(self, epoch, logs=None):
            is_best, stop = self.rule.update(float((logs or {})["val_loss"]))
            if is_best:
                self.best_weights = self.model.get_weights()
            if stop:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return EarlyStopping()
