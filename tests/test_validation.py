"""skmed.validation: optimism-corrected bootstrap and repeated CV of a whole pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmed import MedicalMLPClassifier
from skmed.validation import internal_validation


def _simulate(n, seed, n_noise=25):
    """Three real predictors and many noise ones: a model that overfits on few rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3 + n_noise))
    logit = X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_corrected_auc_is_closer_to_the_truth_than_the_apparent():
    """The true out-of-sample AUC is measured on 20,000 independent patients."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=10.0, max_iter=2000))
    X_big, y_big = _simulate(20000, seed=999)
    apparent_err, corrected_err = [], []
    for seed in range(8):
        X, y = _simulate(150, seed)
        result = internal_validation(model, X, y, n_bootstraps=40, random_state=seed)
        truth = roc_auc_score(y_big, result.estimator.predict_proba(X_big)[:, 1])
        table = result.table
        assert table.loc["roc_auc", "optimism"] > 0  # the apparent AUC flatters the model
        apparent_err.append(abs(table.loc["roc_auc", "apparent"] - truth))
        corrected_err.append(abs(table.loc["roc_auc", "corrected"] - truth))
    apparent_err, corrected_err = np.array(apparent_err), np.array(corrected_err)
    assert corrected_err.mean() < 0.5 * apparent_err.mean()
    assert (corrected_err < apparent_err).sum() >= 7


def test_cross_validation_and_held_out_predictions():
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    X, y = _simulate(300, seed=5, n_noise=2)
    cv = internal_validation(model, X, y, method="cv", n_splits=5, n_repeats=3)
    assert cv.n_fits == 15 and list(cv.table.columns) == ["mean", "sd"]
    assert cv.held_out_proba.shape == (300, 2) and np.allclose(cv.held_out_proba.sum(axis=1), 1)
    # the out-of-fold AUC is below the apparent one, and close to the CV mean
    apparent = roc_auc_score(y, cv.estimator.predict_proba(X)[:, 1])
    oof = roc_auc_score(y, cv.held_out_proba[:, 1])
    assert oof < apparent and oof == pytest.approx(cv.table.loc["roc_auc", "mean"], abs=0.01)
    boot = internal_validation(model, X, y, n_bootstraps=30)
    seen = ~np.isnan(boot.held_out_proba[:, 0])
    assert seen.mean() > 0.99  # with 30 refits nearly every row is out of bag at least once
    assert "optimism-corrected over 30 bootstrap refits" in boot.sentence()
    same = internal_validation(model, X, y, n_bootstraps=30)
    pd.testing.assert_frame_equal(boot.table, same.table)  # reproducible


def test_a_medical_pipeline_in_parallel_and_bad_input():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=240), "b": rng.normal(size=240)})
    y = np.where(X["a"] + rng.normal(0, 1, 240) > 0, "yes", "no")
    model = make_pipeline(StandardScaler(), MedicalMLPClassifier(random_state=0, epochs=20))
    calls = []
    result = internal_validation(
        model, X, y, n_bootstraps=4, n_jobs=2, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (4, 4) and result.estimator.classes_.tolist() == ["no", "yes"]
    assert np.isfinite(result.table.to_numpy()).all()
    with pytest.raises(ValueError, match="method must be 'bootstrap' or 'cv'"):
        internal_validation(model, X, y, method="holdout")
    with pytest.raises(ValueError, match="The rarest class has 3 rows, fewer than the 5 folds"):
        internal_validation(model, X[: 243 - 240 + 6], np.array(["a"] * 6 + ["b"] * 3), method="cv")


class _MustNotFit(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise AssertionError("fitted before the arguments were checked")


def test_arguments_are_checked_before_the_final_fit():
    X, y = np.zeros((9, 1)), np.array(["a"] * 6 + ["b"] * 3)
    with pytest.raises(ValueError, match="The rarest class has 3 rows, fewer than the 5 folds"):
        internal_validation(_MustNotFit(), X, y, method="cv")
    with pytest.raises(ValueError, match="n_repeats must be an integer >= 1; got 0"):
        internal_validation(_MustNotFit(), X, y, method="cv", n_repeats=0)
    with pytest.raises(ValueError, match="n_bootstraps must be an integer >= 2; got 1"):
        internal_validation(_MustNotFit(), X, y, n_bootstraps=1)
