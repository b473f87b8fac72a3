"""Behaviour of MedicalMLPClassifier on its own: labels, weights, early stopping, state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from scipy import sparse
from sklearn.base import clone
from sklearn.metrics import log_loss, recall_score

from skmed import MedicalMLPClassifier


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["benign", "malignant"]),
        np.array([3, 7]),
        np.array([False, True]),
    ],
    ids=["str", "int", "bool"],
)
def test_binary_labels_keep_their_type(breast_cancer_scaled, labels):
    X, y = breast_cancer_scaled
    y_lab = labels[y]
    clf = MedicalMLPClassifier(**FAST, random_state=0).fit(X, y_lab)
    pred = clf.predict(X)
    assert clf.classes_.tolist() == sorted(labels.tolist())
    assert pred.dtype == y_lab.dtype
    assert set(pred) <= set(labels)
    assert clf.score(X, y_lab) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_multiclass_and_frame_feature_names(iris_scaled):
    X, y = iris_scaled
    frame = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    clf = MedicalMLPClassifier(**FAST, random_state=0).fit(frame, y)
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    assert clf.n_features_in_ == 4
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert clf.score(frame, y) > 0.9


def test_predict_proba_matches_keras(iris_scaled):
    X, y = iris_scaled
    clf = MedicalMLPClassifier(**FAST, batch_normalization=True, dropout=0.2, random_state=0)
    clf.fit(X, y)
    keras_proba = np.asarray(clf.model_.predict(X.astype(np.float32), verbose=0))
    np.testing.assert_allclose(clf.predict_proba(X), keras_proba, atol=1e-6)


def test_plain_float_arrays_skip_validation_with_the_same_answers(iris_scaled, recwarn):
    # predict_proba's fast path for finite float ndarrays (no validate_data): same numbers as
    # the validated path, and everything else still meets scikit-learn's checks and messages
    X, y = iris_scaled
    clf = MedicalMLPClassifier(**FAST, random_state=0).fit(X, y)
    for dtype in (np.float32, np.float64):
        fast = clf.predict_proba(X.astype(dtype))
        validated = clf.predict_proba(sparse.csr_matrix(X.astype(dtype)))  # same dtype, checked
        np.testing.assert_array_equal(fast, validated)
        # one row and a block take other BLAS kernels: float32 sums may round differently
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(clf.predict_proba(X[:1].astype(dtype)), fast[:1], rtol=rtol)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict_proba(bad)
    with pytest.raises(ValueError, match="X has 3 features, but MedicalMLPClassifier is expecting"):
        clf.predict_proba(X[:, :3])
    named = MedicalMLPClassifier(**FAST, random_state=0).fit(pd.DataFrame(X).add_prefix("f"), y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        named.predict_proba(X)


def test_fitted_attributes_and_history(breast_cancer_scaled):
    X, y = breast_cancer_scaled
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(16,), epochs=300, n_iter_no_change=5, tol=0.0, random_state=0
    ).fit(X, y)
    losses, val = clf.history_["loss"], clf.history_["val_loss"]  # the first member's
    assert len(losses) == len(val) <= clf.n_iter_ < 300  # n_iter_: the longest member's
    assert clf.best_epoch_ == int(np.argmin(val)) + 1
    assert len(losses) == clf.best_epoch_ + 5  # tol=0: any decrease restarts the patience
    assert clf.n_iter_ == max(clf.best_epochs_) + 5 or clf.n_iter_ == 300
    assert losses[-1] < losses[0]


def test_early_stopping_restores_best_weights(breast_cancer_scaled):
    import keras

    X, y = breast_cancer_scaled

    class Snapshot(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.weights = []

        def on_epoch_end(self, epoch, logs=None):
            self.weights.append([np.array(w) for w in self.model.get_weights()])

    snap = Snapshot()
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(16,), epochs=300, n_iter_no_change=4, tol=0.0, callbacks=[snap],
        random_state=1,
        n_members=1,
    ).fit(X, y)  # fmt: skip
    best = snap.weights[clf.best_epoch_ - 1]
    last = snap.weights[-1]
    kept = clf.model_.get_weights()
    assert clf.best_epoch_ < clf.n_iter_
    assert all(np.array_equal(a, b) for a, b in zip(kept, best, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(kept, last, strict=True))
    np.testing.assert_array_equal(clf.network_[0]["kernel"], best[0])


def test_stratified_validation_split_keeps_rare_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.array(["common"] * 190 + ["rare"] * 10)
    X[y == "rare"] += 3
    clf = MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0).fit(X, y)
    assert "val_loss" in clf.history_  # the split succeeded with 1 rare row in validation


def test_validation_split_impossible_is_explained():
    X = np.arange(20.0).reshape(-1, 1)
    y = np.array([0] * 19 + [1])
    with pytest.raises(ValueError, match="early_stopping needs a stratified validation split"):
        MedicalMLPClassifier(epochs=2, n_members=1).fit(X, y)


def test_class_weight_balanced_helps_minority_without_mutating_inputs():
    rng = np.random.default_rng(0)
    n = 600
    y = (rng.random(n) < 0.08).astype(int)
    X = rng.normal(size=(n, 4)) + 0.9 * y[:, None]
    sw = np.ones(n)
    X_before, y_before, sw_before = X.copy(), y.copy(), sw.copy()
    params = dict(FAST, epochs=40, random_state=0)
    plain = MedicalMLPClassifier(**params).fit(X, y, sample_weight=sw)
    balanced = MedicalMLPClassifier(**params, class_weight="balanced").fit(X, y, sample_weight=sw)
    assert recall_score(y, balanced.predict(X)) > recall_score(y, plain.predict(X)) + 0.2
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(sw, sw_before)


def test_class_weight_is_a_cost_in_predict_and_leaves_the_risks_alone(breast_cancer_scaled):
    X, y = breast_cancer_scaled
    by_class = MedicalMLPClassifier(**FAST, class_weight={0: 3.0, 1: 1.0}, random_state=0)
    plain = MedicalMLPClassifier(**FAST, random_state=0)
    p1 = by_class.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, plain.fit(X, y).predict_proba(X))
    np.testing.assert_array_equal(by_class.class_weight_, [3.0, 1.0])
    expected = np.where(3.0 * p1[:, 0] > p1[:, 1], 0, 1)  # the least expected cost
    np.testing.assert_array_equal(by_class.predict(X), expected)
    assert (by_class.predict(X) == 0).sum() > (plain.predict(X) == 0).sum()


def test_sample_weight_changes_the_model(breast_cancer_scaled):
    X, y = breast_cancer_scaled
    sw = np.where(y == 0, 5.0, 1.0)
    p_plain = MedicalMLPClassifier(**FAST, random_state=0).fit(X, y).predict_proba(X)
    p_weighted = MedicalMLPClassifier(**FAST, random_state=0).fit(X, y, sw).predict_proba(X)
    assert p_weighted[:, 0].mean() > p_plain[:, 0].mean()


def test_partial_fit_continues_training(iris_scaled):
    X, y = iris_scaled
    clf = MedicalMLPClassifier(
        hidden_layer_sizes=(16,), learning_rate=0.02, batch_size=16, random_state=0
    )
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=np.unique(y))  # first batch holds one class
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 31
    assert len(clf.history_["loss"]) == 31
    assert clf.score(X, y) > 0.9
    with pytest.raises(ValueError, match=r"y contains labels \['unseen'\]"):
        clf.partial_fit(X[:2], np.array(["setosa", "unseen"]))


def test_warm_start_continues_from_current_weights(iris_scaled):
    X, y = iris_scaled
    clf = MedicalMLPClassifier(**dict(FAST, epochs=5), warm_start=True, random_state=0).fit(X, y)
    # the fit's five members are merged: warm start continues that network (with a fresh Adam
    # state, whose first steps move every weight by ~learning_rate), so compare with its loss;
    # a re-initialised network would start near log(3) = 1.10
    merged_loss = log_loss(y, clf.predict_proba(X))
    clf.fit(X, y)
    assert len(clf.history_["loss"]) == 10
    assert clf.n_iter_ == 5
    assert clf.history_["loss"][5] < merged_loss + 0.1  # no re-initialisation jump
    cold = clone(clf).set_params(warm_start=False).fit(X, y)
    assert len(cold.history_["loss"]) == 5


def test_verbose_shows_progress_bar(iris_scaled, capsys):
    X, y = iris_scaled
    MedicalMLPClassifier(**dict(FAST, epochs=2), verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out
    assert "━" in out  # Keras' progress bar
    MedicalMLPClassifier(**dict(FAST, epochs=2), random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
