"""The lean torch training loop trains the same network as keras.Model.fit."""

from __future__ import annotations

import numpy as np
import pytest

from skmed import MedicalMLPClassifier, _torch_training
from skmed._backend import import_keras

pytestmark = pytest.mark.skipif(
    import_keras().backend.backend() != "torch", reason="the lean loop is torch-only"
)


def _fit_both(monkeypatch, X, y, **params):
    """Fit once through the lean loop and once through Model.fit, same seed and settings."""
    fast = MedicalMLPClassifier(**params, random_state=0).fit(X, y)
    with monkeypatch.context() as m:
        m.setattr(_torch_training, "eligible", lambda *args: False)
        keras_fit = MedicalMLPClassifier(**params, random_state=0).fit(X, y)
    return fast, keras_fit


@pytest.mark.parametrize(
    "params",
    [
        dict(optimizer="adam", alpha=1e-3, class_weight="balanced"),
        dict(optimizer="sgd", learning_rate=0.05, activation="tanh"),
        dict(optimizer="adam", early_stopping=True, n_iter_no_change=3, activation="elu"),
    ],
    ids=["adam-l2-balanced", "sgd-tanh", "adam-early-stopping"],
)
def test_full_batch_training_matches_keras_fit(monkeypatch, breast_cancer_scaled, params):
    # One batch per epoch, so shuffling cannot matter: every step must match Keras' step.
    X, y = breast_cancer_scaled
    settings = dict(hidden_layer_sizes=(16, 8), batch_size=1024, epochs=25, early_stopping=False)
    fast, keras_fit = _fit_both(monkeypatch, X, y, **{**settings, **params})
    assert fast.history_.keys() == keras_fit.history_.keys()
    for key in fast.history_:
        np.testing.assert_allclose(fast.history_[key], keras_fit.history_[key], rtol=1e-5)
    assert fast.n_iter_ == keras_fit.n_iter_
    np.testing.assert_allclose(fast.predict_proba(X), keras_fit.predict_proba(X), atol=1e-5)
    iterations = [int(np.asarray(c.model_.optimizer.iterations)) for c in (fast, keras_fit)]
    assert iterations[0] == iterations[1] == fast.n_iter_


def test_mini_batch_training_is_reproducible_and_as_good(monkeypatch, breast_cancer_scaled):
    X, y = breast_cancer_scaled
    settings = dict(hidden_layer_sizes=(16,), batch_size=32, epochs=15, early_stopping=False)
    fast, keras_fit = _fit_both(monkeypatch, X, y, **settings)
    again = MedicalMLPClassifier(**settings, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fast.predict_proba(X))
    # different shuffles, same optimisation problem: final losses agree closely
    np.testing.assert_allclose(fast.history_["loss"][-1], keras_fit.history_["loss"][-1], rtol=0.3)
    assert fast.score(X, y) >= keras_fit.score(X, y) - 0.01
