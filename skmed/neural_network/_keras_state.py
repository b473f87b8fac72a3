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


def early_stopping(keras, patience: int, tol: float):
    """Early stopping on ``val_loss`` as scikit-learn's ``MLPClassifier`` does it.

    ``patience`` epochs in a row without a decrease of more than ``tol`` below the best loss
    stop training; the weights of the epoch with the lowest loss, however small its decrease,
    are restored at the end. (Keras' ``EarlyStopping`` has one ``min_delta`` for both, so a
    ``tol`` there would also discard the best epoch.) ``_members.train`` does the same.
    """

    class EarlyStopping(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.best, self.best_weights, self.wait = np.inf, None, 0

        def on_epoch_end(self, epoch, logs=None):
            val = float((logs or {})["val_loss"])
            first = self.best_weights is None
            self.wait = 0 if first or val < self.best - tol else self.wait + 1
            if first or val < self.best:
                self.best, self.best_weights = val, self.model.get_weights()
            if self.wait >= patience:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return EarlyStopping()
