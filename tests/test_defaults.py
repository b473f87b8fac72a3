"""The default recipe: linear path started at the logistic regression, cross-fitted members
merged into one network, and class_weight read as misclassification costs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skmed import MedicalMLPClassifier
from skmed.metrics import calibration_intercept_slope
from skmed.neural_network._ensemble import logistic_start, stratified_folds
from skmed.neural_network._forward import PreparedNetwork
from skmed.neural_network._network import merge_members


def _logistic_data(n, prevalence, seed, n_features=5):
    """Rows whose true risk is a known logistic function; intercept set for ``prevalence``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    beta = np.linspace(1.0, -0.5, n_features)
    intercept = np.log(prevalence / (1 - prevalence)) - 0.6  # ~ prevalence after the spread
    risk = 1.0 / (1.0 + np.exp(-(intercept + X @ beta)))
    return X, (rng.random(n) < risk).astype(int), risk


def test_the_untrained_network_is_the_logistic_regression(breast_cancer_scaled):
    # zero output kernel + linear path at the LR solution: before any step, the model is LR
    X, y = breast_cancer_scaled
    clf = MedicalMLPClassifier(
        n_members=1, early_stopping=False, epochs=1, learning_rate=1e-12, random_state=0
    ).fit(X, y)
    lr = LogisticRegression(C=1.0, max_iter=500).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), lr.predict_proba(X), atol=2e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_start_handles_absent_classes(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] > 0, 0, n_classes - 1)  # the middle class of 3 is absent
    kernel, bias = logistic_start(X, y, np.ones(40), n_classes, 1.0)
    logits = X @ kernel + bias
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    lr = LogisticRegression(max_iter=500).fit(X, y)
    np.testing.assert_allclose(proba[:, [0, n_classes - 1]], lr.predict_proba(X), atol=1e-4)
    if n_classes == 3:
        assert proba[:, 1].max() < 1e-4


def test_merged_members_compute_the_mean_logits():
    rng = np.random.default_rng(1)

    def member():
        net = [
            {"kernel": rng.normal(size=(4, 6)), "bias": rng.normal(size=6), "activation": "relu"},
            {"kernel": rng.normal(size=(6, 3)), "bias": rng.normal(size=3), "activation": "relu"},
            {
                "kernel": rng.normal(size=(3, 2)),
                "bias": rng.normal(size=2),
                "activation": "softmax",
            },
        ]
        net[-1]["skip"] = rng.normal(size=(4, 2))
        return [{k: (np.asarray(v, np.float32) if k != "activation" else v) for k, v in s.items()}
                for s in net]  # fmt: skip

    members = [member() for _ in range(3)]
    X = rng.normal(size=(50, 4))
    logits = []
    for m in members:  # each member's logits: its last step without the softmax
        logits.append(PreparedNetwork([*m[:-1], dict(m[-1], activation="linear")])(X))
    mean = np.mean(logits, axis=0)
    expected = np.exp(mean - mean.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(PreparedNetwork(merge_members(members))(X), expected, atol=1e-6)


def test_folds_are_stratified_and_reproducible():
    y = np.array([0] * 50 + [1] * 10 + [2] * 3)
    folds = stratified_folds(y, 5, seed=3)
    np.testing.assert_array_equal(folds, stratified_folds(y, 5, seed=3))
    for k in range(5):
        assert np.sum((folds == k) & (y == 1)) == 2
        assert np.sum((folds == k) & (y == 0)) == 10


@pytest.mark.parametrize("dataset", ["breast", "iris"])
def test_model_predicts_what_predict_proba_predicts(dataset, breast_cancer_scaled, iris_scaled):
    import keras

    X, y = breast_cancer_scaled if dataset == "breast" else iris_scaled
    clf = MedicalMLPClassifier(epochs=30, random_state=0).fit(X, y)
    assert len(clf.best_epochs_) == 5
    keras_proba = keras.ops.convert_to_numpy(clf.model_(X.astype(np.float32)))
    np.testing.assert_allclose(clf.predict_proba(X), keras_proba, atol=1e-5)
    widths = [step["kernel"].shape[1] for step in clf.network_]
    assert widths[:-1] == [5 * 64, 5 * 32]  # five members side by side


def test_balanced_class_weight_keeps_risks_calibrated_and_raises_minority_recall():
    # a known 10% prevalence: the risks must stay the risks, only the decisions move
    X, y, risk = _logistic_data(4000, 0.10, seed=0)
    X_test, y_test, risk_test = _logistic_data(4000, 0.10, seed=1)
    params = dict(hidden_layer_sizes=(16,), epochs=60, random_state=0)
    plain = MedicalMLPClassifier(**params).fit(X, y)
    balanced = MedicalMLPClassifier(**params, class_weight="balanced").fit(X, y)
    p_plain = plain.predict_proba(X_test)[:, 1]
    p_bal = balanced.predict_proba(X_test)[:, 1]
    np.testing.assert_array_equal(p_bal, p_plain)
    assert abs(p_bal.mean() - y_test.mean()) < 0.015
    intercept, slope = calibration_intercept_slope(y_test, p_bal)
    # ~400 events in the test rows: the intercept's standard error is ~0.05; allow 3 of them
    assert abs(intercept) < 0.15
    assert abs(slope - 1) < 0.15
    assert np.abs(p_bal - risk_test).mean() < 0.02
    recall = [np.mean(m.predict(X_test)[y_test == 1] == 1) for m in (plain, balanced)]
    assert recall[1] > recall[0] + 0.3
    # balanced costs put the binary decision at the training prevalence
    prevalence = y.mean()
    np.testing.assert_array_equal(balanced.predict(X_test), (p_bal > prevalence).astype(int))


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_onnx_carries_the_linear_path_members_and_cost_weighted_labels(tmp_path, class_weight):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skmed
    from skmed.runtime import OnnxClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    logits = np.stack([0.2 * X[:, 0], X[:, 1] * X[:, 2], -2.5 + X[:, 3]], axis=1)
    y = np.array(["a", "b", "c"])[np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)]
    pipe = make_pipeline(
        StandardScaler(), MedicalMLPClassifier(epochs=40, class_weight=class_weight, random_state=0)
    ).fit(X, y)
    path = tmp_path / "model.onnx"
    skmed.to_onnx(pipe, X[:5], path=path)
    runtime = OnnxClassifier(path)
    np.testing.assert_allclose(runtime.predict_proba(X), pipe.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(runtime.predict(X), pipe.predict(X))
    if class_weight == "balanced":  # the rare class is predicted more often than its argmax
        argmax = pipe.classes_[np.argmax(pipe.predict_proba(X), axis=1)]
        assert (runtime.predict(X) == "c").sum() > (argmax == "c").sum()
        assert "decision_weights" in runtime.metadata


def test_the_defaults_leave_the_logistic_regression_where_there_are_interactions():
    # risk driven by an interaction and a curve that no linear model sees: the hidden layers
    # must take over from the linear path's start (on held-out rows)
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    n = 4000
    age, lab = rng.normal(size=(2, n))
    logit = -1 + 1.5 * np.sign(lab) * age + (age**2 - 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = np.column_stack([age, lab, rng.normal(size=n)])
    train, test = slice(0, 3000), slice(3000, None)
    lr = LogisticRegression().fit(X[train], y[train])
    clf = MedicalMLPClassifier(random_state=0).fit(X[train], y[train])
    auc_lr = roc_auc_score(y[test], lr.predict_proba(X[test])[:, 1])
    auc = roc_auc_score(y[test], clf.predict_proba(X[test])[:, 1])
    assert auc > auc_lr + 0.15, (auc, auc_lr)
