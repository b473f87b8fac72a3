"""MedicalMLPClassifier inside the scikit-learn workflow, on a mixed clinical frame."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FAST
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score, make_scorer, recall_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier


def preprocessing() -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = OneHotEncoder(handle_unknown="ignore")
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_include="number")),
            ("cat", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )


def clinical_pipeline(**params) -> Pipeline:
    clf = MedicalMLPClassifier(**{**FAST, "random_state": 0, **params})
    return Pipeline([("prep", preprocessing()), ("clf", clf)])


@pytest.fixture(scope="module")
def binary_frame(clinical_frame):
    X, y = clinical_frame
    return X, y.where(y == "healthy", "ill")


def test_fit_predict_on_mixed_frame_with_string_labels(clinical_frame):
    X, y = clinical_frame
    assert X["crp"].isna().any() and X["sex"].dtype.kind in "OT"
    pipe = clinical_pipeline().fit(X, y)
    pred = pipe.predict(X)
    assert set(pred) <= {"healthy", "flu", "pneumonia"}
    assert balanced_accuracy_score(y, pred) > 0.7
    assert pipe[-1].n_features_in_ == 4 + 2 + 2  # age, crp, temperature, cough; sex x2; smoker x2


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search(clinical_frame, n_jobs):
    X, y = clinical_frame
    grid = GridSearchCV(
        clinical_pipeline(),
        {"clf__hidden_layer_sizes": [(8,), (16,)], "clf__alpha": [1e-4, 1e-2]},
        cv=3,
        scoring="balanced_accuracy",
        n_jobs=n_jobs,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_score_ > 0.6
    assert grid.predict(X.head(5)).shape == (5,)


def test_grid_search_is_the_same_with_one_or_two_jobs(clinical_frame):
    X, y = clinical_frame
    grid = {"clf__alpha": [1e-4, 1e-2]}
    scores = [
        GridSearchCV(clinical_pipeline(), grid, cv=2, n_jobs=n_jobs)
        .fit(X, y)
        .cv_results_["mean_test_score"]
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(scores[0], scores[1])


def test_cross_validate(clinical_frame):
    X, y = clinical_frame
    result = cross_validate(
        clinical_pipeline(),
        X,
        y,
        cv=StratifiedKFold(3),
        scoring=["balanced_accuracy", "roc_auc_ovr"],
    )
    assert result["test_balanced_accuracy"].shape == (3,)
    assert result["test_roc_auc_ovr"].mean() > 0.8


def test_calibrated_classifier(binary_frame):
    X, y = binary_frame
    calibrated = CalibratedClassifierCV(clinical_pipeline(), method="sigmoid", cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert calibrated.classes_.tolist() == ["healthy", "ill"]
    assert len(calibrated.calibrated_classifiers_) == 3
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_tuned_threshold_meets_sensitivity_target(binary_frame):
    X, y = binary_frame

    def specificity_if_sensitive(y_true, y_pred, pos_label):
        sens = recall_score(y_true, y_pred, pos_label=pos_label)
        return recall_score(y_true, y_pred, pos_label="healthy") if sens >= 0.9 else -1.0

    tuned = TunedThresholdClassifierCV(
        clinical_pipeline(),
        scoring=make_scorer(specificity_if_sensitive, pos_label="ill"),
        cv=3,
        store_cv_results=True,
    ).fit(X, y)
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert tuned.best_score_ > 0  # a threshold meeting sensitivity >= 0.9 was found
    assert recall_score(y, tuned.predict(X), pos_label="ill") >= 0.9


@pytest.mark.parametrize("sampler", ["ros", "smote"])
def test_imbalanced_learn_pipeline(clinical_frame, sampler):
    imblearn = pytest.importorskip("imblearn")
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    X, y = clinical_frame
    step = RandomOverSampler(random_state=0) if sampler == "ros" else SMOTE(random_state=0)
    pipe = imblearn.pipeline.Pipeline(
        [
            ("prep", preprocessing()),
            ("sample", step),
            ("clf", MedicalMLPClassifier(**FAST, random_state=0)),
        ]
    ).fit(X, y)
    assert balanced_accuracy_score(y, pipe.predict(X)) > 0.7
    # the sampler balanced the classes the network saw
    assert pipe[-1].history_["loss"][-1] < pipe[-1].history_["loss"][0]
