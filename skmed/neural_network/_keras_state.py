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
