"""Cross-fitted members trained without Keras are the networks the Keras-model path trains."""

from __future__ import annotations

import numpy as np
import pytest

from skmed import MedicalMLPClassifier, MedicalMLPSurvival
from skmed._backend import import_keras
from skmed.neural_network import _members, _numpy_training
from skmed.neural_network._keras_state import early_stopping
from skmed.neural_network._network import describe_keras
from skmed.neural_network._numpy_step import Optimizer
from skmed.neural_network._trainer import Trainer


def _trainer(**params) -> Trainer:
    clf = MedicalMLPClassifier(hidden_layer_sizes=(16, 8), **params)
    return Trainer.from_params(clf.get_params(), n_features=30, n_outputs=2)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"dropout": 0.2, "activation": "tanh", "tol": 0.0},
        {"optimizer": "sgd", "learning_rate": 0.05, "linear_path": False, "tol": 1e-3},
    ],
    ids=["defaults", "dropout-tanh", "sgd-no-path"],
)
def test_member_is_the_keras_path_network_from_the_same_start(breast_cancer_scaled, params):
    # the same starting weights and seed, trained once by _members.train and once as a compiled
    # Keras model through the Keras-facing loop and the early-stopping callback
    X, y = breast_cancer_scaled
    weights = np.ones(len(y), np.float32)
    trainer = _trainer(**params)
    rows, held_out = np.arange(100, len(y)), np.arange(100)
    validation = (X[held_out], y[held_out], weights[held_out])
    arch = trainer.single((16, 8), len(rows), C=1.0)
    spec = trainer._spec(arch)
    start = None
    if arch["linear_l2"] is not None:
        start = trainer._classical_start(X, y, weights, rows, 1.0)
    optimizer = Optimizer(trainer.optimizer, trainer.learning_rate)
    eps = _numpy_training.keras_epsilon()
    ((history, ours),) = _members.train(
        [spec], optimizer, X, y, weights, rows=[rows], validations=[validation], starts=[start],
        member_seeds=[3], batch_size=64, epochs=60, patience=5, tol=trainer.tol,
        head=trainer.head, eps=eps,
    )  # fmt: skip
    model = trainer.new_model(arch)
    _, variables = _numpy_training.spec_of(model)
    values = _members.starting_weights(spec, trainer.head, 3, start)
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)
    stopper = early_stopping(import_keras(), 5, trainer.tol)
    keras_history = _numpy_training.fit(
        model, X, y, weights, rows=rows, validation=validation, batch_size=64, epochs=60,
        callbacks=[stopper], verbose=0, seed=_members.seeds(3)[1], head=trainer.head,
    ).history  # fmt: skip
    assert history.keys() == {"loss", "val_loss"}
    for key in history:
        np.testing.assert_allclose(history[key], keras_history[key], rtol=1e-5)
    assert len(history["loss"]) < 60  # stopped early
    theirs = describe_keras(model)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a["activation"] == b["activation"] and a.keys() == b.keys()
        for key in ("kernel", "bias", "skip"):
            if key in a:
                np.testing.assert_allclose(a[key], b[key], atol=1e-6)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_members_trained_together_are_the_members_trained_alone(breast_cancer_scaled, dropout):
    # three members in lockstep (rows of 427, 426 and 425: the last batches differ in length,
    # so the ragged steps run member by member) against each trained on its own
    X, y = breast_cancer_scaled
    weights = np.ones(len(y), np.float32)
    trainer = _trainer(dropout=dropout)
    members = []
    for m, n_held in enumerate((142, 143, 144)):
        held_out = np.arange(m * 100, m * 100 + n_held)
        rows = np.setdiff1d(np.arange(len(y)), held_out)
        arch = trainer.single((16, 8), len(rows), C=1.0)
        start = trainer._classical_start(X, y, weights, rows, 1.0)
        validation = (X[held_out], y[held_out], weights[held_out])
        members.append((trainer._spec(arch), rows, validation, start, 11 + m))
    common = dict(batch_size=100, epochs=60, patience=4, tol=1e-4, head=trainer.head,
                  eps=_numpy_training.keras_epsilon())  # fmt: skip
    optimizer = Optimizer("adam", 1e-3)
    together = _members.train(
        [m[0] for m in members], optimizer, X, y, weights, rows=[m[1] for m in members],
        validations=[m[2] for m in members], starts=[m[3] for m in members],
        member_seeds=[m[4] for m in members], **common,
    )  # fmt: skip
    epochs = []
    for (spec, rows, validation, start, seed), (history, network) in zip(members, together):
        ((alone_history, alone),) = _members.train(
            [spec], optimizer, X, y, weights, rows=[rows], validations=[validation],
            starts=[start], member_seeds=[seed], **common,
        )  # fmt: skip
        assert history == alone_history  # every epoch's losses, bit for bit
        for a, b in zip(network, alone, strict=True):
            for key in ("kernel", "bias", "skip"):
                if key in a:
                    np.testing.assert_array_equal(a[key], b[key])
        epochs.append(len(history["loss"]))
    assert len(set(epochs)) > 1 or epochs[0] == 60  # members stopped at their own epochs


def test_tol_restarts_the_patience_only_on_a_large_enough_decrease(breast_cancer_scaled):
    X, y = breast_cancer_scaled
    for tol in (0.0, 0.01):
        clf = MedicalMLPClassifier(
            hidden_layer_sizes=(16,), n_iter_no_change=4, tol=tol, epochs=300, random_state=0
        ).fit(X, y)
        val = np.asarray(clf.history_["val_loss"])  # the first member's
        best_so_far = np.minimum.accumulate(val)
        # the last epoch whose loss fell more than tol below every earlier one
        improved = [0] + [e for e in range(1, len(val)) if val[e] < best_so_far[e - 1] - tol]
        assert len(val) == improved[-1] + 1 + 4
        assert clf.best_epoch_ == int(np.argmin(val)) + 1  # the lowest loss is kept, however
        assert clf.best_epoch_ - 1 >= improved[-1]  # small its decrease


def test_default_fit_builds_no_keras_model_and_is_reproducible(breast_cancer_scaled):
    X, y = breast_cancer_scaled
    clf = MedicalMLPClassifier(random_state=0).fit(X, y)
    assert clf.__dict__["_model"] is None  # five members trained, no Keras model built
    again = MedicalMLPClassifier(random_state=0).fit(X, y)
    for a, b in zip(clf.network_, again.network_, strict=True):
        np.testing.assert_array_equal(a["kernel"], b["kernel"])
        np.testing.assert_array_equal(a["bias"], b["bias"])
        np.testing.assert_array_equal(a.get("skip", 0), b.get("skip", 0))
    # the Keras model, built on first use, is the merged network predict_proba runs
    keras_proba = clf.model_.predict(X[:50], verbose=0)
    np.testing.assert_allclose(keras_proba, clf.predict_proba(X[:50]), atol=1e-5)
    assert clf.score(X, y) > 0.97


def test_survival_members_train_without_keras_too():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    time = rng.exponential(np.exp(-X[:, 0]))
    event = rng.random(300) < 0.7
    y = np.array(list(zip(event, time)), dtype=[("event", bool), ("time", float)])
    model = MedicalMLPSurvival(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    assert model.__dict__["_model"] is None
    risk = model.predict(X)
    assert np.corrcoef(risk, X[:, 0])[0, 1] > 0.5  # learnt the true risk's direction


def test_user_callbacks_still_see_keras_models(breast_cancer_scaled):
    keras = import_keras()
    X, y = breast_cancer_scaled
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    clf = MedicalMLPClassifier(hidden_layer_sizes=(8,), n_members=2, epochs=5,
                               callbacks=[callback], random_state=0).fit(X, y)  # fmt: skip
    assert len(seen) == 2 * 5  # both members, every epoch
    assert clf.n_iter_ == 5


@pytest.mark.parametrize("watch", ["verbose", "callback"])
def test_a_progress_bar_or_a_watching_callback_changes_no_weight(breast_cancer_scaled, watch):
    # members with a progress bar or a callback train as Keras models, from the same start
    keras = import_keras()
    X, y = breast_cancer_scaled
    settings = dict(hidden_layer_sizes=(16,), n_members=3, epochs=40, random_state=0)
    quiet = MedicalMLPClassifier(**settings).fit(X, y)
    seen: list[int] = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    extra = {"verbose": 2} if watch == "verbose" else {"callbacks": [callback]}
    watched = MedicalMLPClassifier(**settings, **extra).fit(X, y)
    assert watched.best_epochs_ == quiet.best_epochs_
    np.testing.assert_allclose(watched.predict_proba(X), quiet.predict_proba(X), atol=1e-6)
    assert watch == "verbose" or len(seen) > 3 * min(quiet.best_epochs_)  # it did watch
