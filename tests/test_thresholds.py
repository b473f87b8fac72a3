"""skmed.thresholds: constrained operating thresholds via TunedThresholdClassifierCV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    FixedThresholdClassifier,
    StratifiedKFold,
    TunedThresholdClassifierCV,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmed.thresholds import (
    constrained_scorer,
    default_threshold_grid,
    describe_operating_point,
    freeze_threshold,
    make_constrained_threshold_classifier,
    tune_threshold,
)

CV = StratifiedKFold(5, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True)


def _lr():
    return make_pipeline(StandardScaler(), LogisticRegression())


def _oof_rates(estimator, X, y, threshold, pos_label=1, cv=CV):
    """Per-fold and pooled sensitivity/specificity of clones fitted like the tuner's folds."""
    from sklearn.base import clone

    p = np.empty(len(y))
    per_fold = []
    for train, test in cv.split(X, y):
        model = clone(estimator).fit(X[train], y[train])
        col = list(model.classes_).index(pos_label)
        p[test] = model.predict_proba(X[test])[:, col]
        pos, hat = y[test] == pos_label, p[test] >= threshold
        per_fold.append(((pos & hat).sum() / pos.sum(), (~pos & ~hat).sum() / (~pos).sum()))
    pos, hat = y == pos_label, p >= threshold
    pooled = ((pos & hat).sum() / pos.sum(), (~pos & ~hat).sum() / (~pos).sum())
    return np.array(per_fold), pooled


def test_max_specificity_subject_to_sensitivity(breast_cancer):
    X, y = breast_cancer
    tuned = tune_threshold(
        _lr(), X, y, objective="specificity", constraint="sensitivity", min_value=0.95, cv=CV
    )
    assert type(tuned) is TunedThresholdClassifierCV
    per_fold, (sens, spec) = _oof_rates(_lr(), X, y, tuned.best_threshold_)
    assert sens >= 0.95
    assert np.all(per_fold[:, 0] >= 0.95)
    # best_score_ is the mean out-of-fold specificity at the chosen threshold
    assert tuned.best_score_ == pytest.approx(per_fold[:, 1].mean(), abs=1e-9)
    assert spec > 0.9  # a good model keeps most of its specificity
    # the next grid threshold up breaks the constraint in some fold (it is the best feasible)
    grid = tuned.cv_results_["thresholds"]
    higher = grid[np.searchsorted(grid, tuned.best_threshold_) + 1 :]
    first_infeasible = higher[tuned.cv_results_["scores"][-len(higher) :] < 0][0]
    assert _oof_rates(_lr(), X, y, first_infeasible)[0][:, 0].min() < 0.95
    # prediction applies the threshold
    p = tuned.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(tuned.predict(X), (p >= tuned.best_threshold_).astype(int))


def test_max_sensitivity_subject_to_specificity_with_string_labels(breast_cancer):
    X, y01 = breast_cancer
    y = np.where(y01 == 0, "malignant", "benign")  # malignant is the positive class
    tuned = tune_threshold(
        _lr(),
        X,
        y,
        objective="sensitivity",
        constraint="specificity",
        min_value=0.9,
        pos_label="malignant",
        cv=CV,
    )
    per_fold, (sens, spec) = _oof_rates(_lr(), X, y, tuned.best_threshold_, "malignant")
    assert np.all(per_fold[:, 1] >= 0.9) and spec >= 0.9
    assert tuned.best_score_ == pytest.approx(per_fold[:, 0].mean(), abs=1e-9)
    assert sens > 0.9
    p_mal = tuned.predict_proba(X)[:, list(tuned.classes_).index("malignant")]
    assert set(tuned.predict(X)[p_mal >= tuned.best_threshold_]) == {"malignant"}


def test_scorer_plugs_into_tuned_threshold_classifier(breast_cancer):
    X, y = breast_cancer
    tuned = TunedThresholdClassifierCV(
        _lr(),
        scoring=constrained_scorer("npv", constraint="ppv", min_value=0.97),
        thresholds=default_threshold_grid(),
        cv=CV,
    ).fit(X, y)
    assert tuned.best_score_ > 0.8  # NPV at the best threshold with PPV >= 0.97 in every fold
    same = make_constrained_threshold_classifier(
        _lr(), objective="npv", constraint="ppv", min_value=0.97, cv=CV
    ).fit(X, y)
    assert same.best_threshold_ == tuned.best_threshold_


def test_mlp_pipeline_threshold_meets_sensitivity(breast_cancer):
    from skmed import MedicalMLPClassifier

    X, y = breast_cancer
    pipe = make_pipeline(
        StandardScaler(),
        MedicalMLPClassifier(
            hidden_layer_sizes=(8,), epochs=20, early_stopping=False, random_state=0
        ),
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)  # 3 folds, refit, 3 checks: 7 fits
    tuned = tune_threshold(
        pipe, X, y, objective="specificity", constraint="sensitivity", min_value=0.95, cv=cv
    )
    per_fold, (sens, _) = _oof_rates(pipe, X, y, tuned.best_threshold_, cv=cv)
    assert sens >= 0.95
    assert np.all(per_fold[:, 0] >= 0.95)
    assert tuned.best_score_ == pytest.approx(per_fold[:, 1].mean(), abs=1e-9)


def test_freeze_threshold_and_describe(breast_cancer):
    X, y = breast_cancer
    tuned = tune_threshold(_lr(), X, y, min_value=0.97, cv=CV)
    fixed = freeze_threshold(tuned)
    assert type(fixed) is FixedThresholdClassifier
    assert fixed.threshold == tuned.best_threshold_
    np.testing.assert_array_equal(fixed.predict(X), tuned.predict(X))
    info = describe_operating_point(tuned)
    assert info["threshold"] == tuned.best_threshold_
    assert info["constraint"] == "sensitivity" and info["min_value"] == 0.97
    assert "maximise specificity subject to sensitivity >= 0.97" in info["source"]
    assert describe_operating_point(fixed)["threshold"] == tuned.best_threshold_
    assert describe_operating_point(_lr()) is None


def test_target_that_cannot_be_met_raises():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = rng.integers(0, 2, 400)  # features carry no signal
    with pytest.raises(ValueError, match=r"No threshold meets the constraint ppv >= 0.95"):
        tune_threshold(
            LogisticRegression(),
            X,
            y,
            objective="sensitivity",
            constraint="ppv",
            min_value=0.95,
            cv=CV,
        )


def test_invalid_requests_raise(breast_cancer):
    X, y = breast_cancer
    with pytest.raises(ValueError, match=r"'min_value' parameter .* range \(0.0, 1.0\]. Got 1.2"):
        constrained_scorer(min_value=1.2)
    with pytest.raises(ValueError, match="Unknown objective 'f1'"):
        constrained_scorer("f1")
    with pytest.raises(ValueError, match="both 'sensitivity'"):
        constrained_scorer("recall", constraint="sensitivity")
    with pytest.raises(ValueError, match="needs a binary target; y has 3 classes"):
        tune_threshold(_lr(), X[:150], np.arange(150) % 3)
    with pytest.raises(ValueError, match="pos_label='sick' is not one of the classes"):
        tune_threshold(_lr(), X, y, pos_label="sick")
    with pytest.raises(ValueError, match="needs a fitted TunedThresholdClassifierCV"):
        freeze_threshold(_lr())
