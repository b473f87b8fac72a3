"""The numpy training loop trains the same network as keras.Model.fit, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from skmed import MedicalMLPClassifier
from skmed._backend import import_keras
from skmed.neural_network import _numpy_training


def _fit_both(monkeypatch, X, y, **params):
    """Fit once through the numpy loop and once through Model.fit, same seed and settings."""
    fast = MedicalMLPClassifier(**params, random_state=0).fit(X, y)
    with monkeypatch.context() as m:
        m.setattr(_numpy_training, "eligible", lambda *args: False)
        keras_fit = MedicalMLPClassifier(**params, random_state=0).fit(X, y)
    return fast, keras_fit


@pytest.mark.parametrize(
    "params",
    [
        dict(optimizer="adam", alpha=1e-3, class_weight="balanced"),
        dict(optimizer="sgd", learning_rate=0.05, activation="tanh"),
        dict(optimizer="adam", early_stopping=True, n_iter_no_change=3, activation="elu"),
        dict(optimizer="adam", activation="logistic", alpha=0.0),
        dict(optimizer="adam", activation="selu", learning_rate=0.01),
        dict(optimizer="adam", activation="silu", learning_rate=0.01),
        dict(optimizer="sgd", activation="identity", learning_rate=0.1, alpha=0.01),
    ],
    ids=[
        "adam-l2-balanced",
        "sgd-tanh",
        "adam-early-stopping",
        "logistic",
        "selu",
        "silu",
        "identity",
    ],
)
def test_full_batch_training_matches_keras_fit(monkeypatch, breast_cancer_scaled, params):
    # One batch per epoch, so shuffling cannot matter: every step must match Keras' step.
    X, y = breast_cancer_scaled
    # one network with the linear path (its gradient too must match Keras' autograd)
    settings = dict(
        hidden_layer_sizes=(16, 8), batch_size=1024, epochs=25, early_stopping=False, n_members=1
    )
    fast, keras_fit = _fit_both(monkeypatch, X, y, **{**settings, **params})
    assert fast.history_.keys() == keras_fit.history_.keys()
    for key in fast.history_:
        np.testing.assert_allclose(fast.history_[key], keras_fit.history_[key], rtol=1e-5)
    assert fast.n_iter_ == keras_fit.n_iter_
    np.testing.assert_allclose(fast.predict_proba(X), keras_fit.predict_proba(X), atol=3e-5)
    iterations = [int(np.asarray(c.model_.optimizer.iterations)) for c in (fast, keras_fit)]
    assert iterations[0] == iterations[1] == fast.n_iter_


@pytest.mark.parametrize(
    "settings, slack",
    [
        (dict(hidden_layer_sizes=(16,), batch_size=32, epochs=15), 0.01),
        (dict(hidden_layer_sizes=(32,), dropout=0.3, epochs=20), 0.02),
    ],
    ids=["mini-batch", "dropout"],
)
def test_random_training_is_reproducible_and_as_good(
    monkeypatch, breast_cancer_scaled, settings, slack
):
    # Shuffles and dropout masks come from different generators on the two paths: compare the
    # outcome, and the numpy path with itself for reproducibility.
    X, y = breast_cancer_scaled
    settings = {**settings, "early_stopping": False, "n_members": 1}
    fast, keras_fit = _fit_both(monkeypatch, X, y, **settings)
    again = MedicalMLPClassifier(**settings, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fast.predict_proba(X))
    np.testing.assert_allclose(fast.history_["loss"][-1], keras_fit.history_["loss"][-1], rtol=0.3)
    assert fast.score(X, y) >= keras_fit.score(X, y) - slack


def test_callbacks_that_change_learning_rate_or_weights_are_honoured(breast_cancer_scaled):
    keras = import_keras()
    X, y = breast_cancer_scaled

    class ZeroWeights(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])

    # learning rate 0 from the second epoch: training stops moving the weights
    frozen = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch >= 3 else lr)
    clf = MedicalMLPClassifier(
        (8,), epochs=6, batch_size=64, early_stopping=False, callbacks=[ZeroWeights(), frozen]
    ).fit(X, y)
    # zeroed after epoch 3, never updated after: every kernel and bias is still zero
    assert all(not np.any(step["kernel"]) and not np.any(step["bias"]) for step in clf.network_)
    np.testing.assert_allclose(clf.predict_proba(X), 0.5, atol=1e-7)


def test_partial_fit_continues_the_optimizer_state(breast_cancer_scaled):
    # Full batches remove shuffling: two one-epoch partial_fit calls must equal one two-epoch
    # fit, which holds only if Adam's moments and step count carry over between the calls.
    X, y = breast_cancer_scaled
    # no linear path: fit starts it at the logistic regression, partial_fit at zero
    params = dict(
        hidden_layer_sizes=(8,), batch_size=1024, n_members=1, linear_path=False, random_state=0
    )
    once = MedicalMLPClassifier(**params, epochs=2, early_stopping=False).fit(X, y)
    twice = MedicalMLPClassifier(**params, early_stopping=False)
    twice.partial_fit(X, y, classes=[0, 1])
    twice.partial_fit(X, y)
    np.testing.assert_allclose(twice.predict_proba(X), once.predict_proba(X), atol=1e-6)
    assert int(np.asarray(twice.model_.optimizer.iterations)) == 2


def test_batch_callbacks_and_optimizer_state_are_seen_as_under_model_fit(breast_cancer_scaled):
    keras = import_keras()
    X, y = breast_cancer_scaled
    calls = {"lambda": 0, "legacy": 0}
    iterations = []

    class Legacy(keras.callbacks.Callback):  # overrides only the alias Keras forwards to
        def on_batch_end(self, batch, logs=None):
            calls["legacy"] += 1

        def on_epoch_end(self, epoch, logs=None):
            iterations.append(int(np.asarray(self.model.optimizer.iterations)))

    count = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: calls.__setitem__("lambda", calls["lambda"] + 1)
    )
    n_batches = -(-len(X) // 200)
    MedicalMLPClassifier(
        (8,), epochs=3, batch_size=200, early_stopping=False, n_members=1,
        callbacks=[count, Legacy()],
    ).fit(X, y)  # fmt: skip
    assert calls == {"lambda": 3 * n_batches, "legacy": 3 * n_batches}
    assert iterations == [n_batches, 2 * n_batches, 3 * n_batches]
