"""Reproducibility and round trips: clone, pickle, joblib, skops, fresh processes."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from conftest import FAST
from sklearn.base import clone

from skmed import MedicalMLPClassifier
from skmed._backend import installed_backends


@pytest.fixture(scope="module")
def fitted(iris_scaled):
    X, y = iris_scaled
    params = dict(FAST, dropout=0.1, batch_normalization=True)
    return MedicalMLPClassifier(**params, random_state=42).fit(X, y), X, y


def test_same_seed_same_model_and_global_rng_untouched(fitted):
    clf, X, y = fitted
    np.random.seed(123)  # noqa: NPY002 (the global state a fit must leave alone)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    other = clone(clf).set_params(random_state=7).fit(X, y)
    assert np.abs(other.predict_proba(X) - clf.predict_proba(X)).max() > 1e-4


_FIT_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    from skmed import MedicalMLPClassifier
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MedicalMLPClassifier(hidden_layer_sizes=(16,), learning_rate=0.02, epochs=20,
                               dropout=0.1, random_state=42).fit(X, y)
    np.save(sys.argv[1], clf.predict_proba(X))
    """
)


@pytest.mark.parametrize("backend", installed_backends())
def test_same_seed_same_model_across_processes(backend, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend}
    outs = []
    for i in range(2):
        out = tmp_path / f"p{i}.npy"
        subprocess.run([sys.executable, "-c", _FIT_SCRIPT, str(out)], env=env, check=True)
        outs.append(np.load(out))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_clone_is_unfitted_with_same_params(fitted):
    clf, X, y = fitted
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "classes_")
    np.testing.assert_array_equal(twin.fit(X, y).predict_proba(X), clf.predict_proba(X))


def test_pickle_and_joblib_round_trips(fitted, tmp_path):
    clf, X, _ = fitted
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict_proba(X), expected)
    # The rebuilt Keras model carries the same weights.
    keras_proba = np.asarray(restored.model_.predict(X.astype(np.float32), verbose=0))
    np.testing.assert_allclose(keras_proba, expected, atol=1e-6)


def test_prediction_does_not_analyse_the_network_per_call(breast_cancer_scaled, monkeypatch):
    """The default network (members side by side) is analysed once, at fit and at unpickling;
    predict then only multiplies, and a pickle stores no derived copy of the weights."""
    from skmed.neural_network import _forward

    X, y = breast_cancer_scaled
    clf = MedicalMLPClassifier(epochs=5, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    blob = pickle.dumps(clf)
    assert b"PreparedNetwork" not in blob
    calls = []
    real = _forward.block_groups
    monkeypatch.setattr(_forward, "block_groups", lambda k: calls.append(1) or real(k))
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    analysed = len(calls)
    assert analysed == len(clf.network_) - 1  # each hidden kernel once, on first use
    for i in range(5):  # one row: the same up to float32 rounding (another BLAS kernel)
        np.testing.assert_allclose(
            restored.predict_proba(X[i : i + 1]), expected[i : i + 1], rtol=1e-6, atol=1e-9
        )
    np.testing.assert_array_equal(
        restored.predict_proba(X.astype(np.float64)), clf.predict_proba(X.astype(np.float64))
    )
    assert len(calls) == analysed  # none per call


def test_skops_round_trip(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    clf, X, _ = fitted
    path = tmp_path / "m.skops"
    sio.dump(clf, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == ["skmed.classifier.MedicalMLPClassifier"]
    restored = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_pickle_holds_no_keras_objects_and_predicts_without_keras(fitted, tmp_path):
    clf, X, _ = fitted
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(
        f"""
        import pickle, sys, numpy as np
        clf = pickle.loads(open({str(path)!r}, "rb").read())
        proba = clf.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        heavy = sorted(m for m in ("keras", "torch", "jax", "tensorflow") if m in sys.modules)
        print(heavy)
        np.save({str(tmp_path / "p.npy")!r}, proba)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clf.predict_proba(X))


def test_pickle_keeps_optimizer_state_for_further_training(iris_scaled):
    X, y = iris_scaled
    classes = np.unique(y)
    a = MedicalMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    a.partial_fit(X, y, classes=classes)
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-6)


def test_pickled_bytes_are_stable(fitted):
    clf, _, _ = fitted
    buf = io.BytesIO()
    pickle.dump(clf, buf)
    assert b"keras.src" not in buf.getvalue()


def test_failed_refit_leaves_the_model_as_it_was(fitted):
    clf, X, y = fitted
    expected = clf.predict_proba(X)
    attributes = dict(vars(clf))
    three_classes = np.array(["a"] * 30 + ["b"] * 29 + ["c"])  # 1 row of "c": no stratified split
    with pytest.raises(ValueError, match="early_stopping needs a stratified validation split"):
        clf.set_params(early_stopping=True, n_members=1).fit(X[:60], three_classes)
    clf.set_params(early_stopping=False, n_members=5)
    assert vars(clf).keys() == attributes.keys()
    assert clf.classes_.tolist() == attributes["classes_"].tolist()
    np.testing.assert_array_equal(clf.predict_proba(X), expected)


def test_interrupted_partial_fit_restores_the_keras_weights(iris_scaled):
    import keras

    class Interrupt(keras.callbacks.Callback):  # e.g. Ctrl-C after the weights were updated
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    X, y = iris_scaled
    clf = MedicalMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    before = [np.array(w) for w in clf.model_.get_weights()]
    proba = clf.predict_proba(X)
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(callbacks=[Interrupt()]).partial_fit(X, y)
    after = clf.model_.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.n_iter_ == 1 and len(clf.history_["loss"]) == 1


def test_fit_leaves_keras_global_seed_alone(fitted):
    from keras.src.backend.common import global_state

    clf, X, y = fitted
    before = global_state.get_global_attribute("global_random_seed")
    clone(clf).fit(X, y)
    assert global_state.get_global_attribute("global_random_seed") == before


def test_fits_in_threads_are_reproducible(breast_cancer_scaled):
    from concurrent.futures import ThreadPoolExecutor

    from skmed._backend import import_keras

    if import_keras().backend.backend() != "torch":
        pytest.skip("documented: keras.Model.fit shuffles with process-wide generators")

    X, y = breast_cancer_scaled
    params = dict(hidden_layer_sizes=(16,), dropout=0.2, epochs=8, batch_size=64)
    seeds = [0, 1, 2, 3]

    def fit(seed):
        return MedicalMLPClassifier(**params, random_state=seed).fit(X, y)

    serial = [fit(seed) for seed in seeds]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(fit, seeds))
    for one, other in zip(serial, threaded, strict=True):
        for a, b in zip(one.network_, other.network_, strict=True):  # the same model, bit for bit
            for key in a.keys() - {"activation"}:
                np.testing.assert_array_equal(a[key], b[key])
        # predicting while other threads train: BLAS may split the product over another
        # number of threads, which rounds the float32 sums differently (not a model change)
        np.testing.assert_allclose(one.predict_proba(X), other.predict_proba(X), atol=1e-6)


def test_a_model_saved_before_tol_existed_keeps_its_stopping_rule(fitted):
    # an estimator pickled by a release without ``tol``: any decrease restarted the patience
    clf, X, _ = fitted
    state = clf.__getstate__()
    del state["tol"]
    old = type(clf).__new__(type(clf))
    old.__setstate__(state)
    assert old.get_params()["tol"] == 0.0
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))
