"""Bad input gets a clear error that names the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skmed import MedicalMLPClassifier


@pytest.fixture(scope="module")
def fitted_frame(iris_scaled):
    X, y = iris_scaled
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    return MedicalMLPClassifier(**FAST, random_state=0).fit(frame, y), frame, y


def _clf():
    return MedicalMLPClassifier(**FAST, random_state=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_suggests_an_imputer(bad):
    X = np.ones((10, 2))
    X[3, 1] = bad
    y = [0, 1] * 5
    match = "imputer" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=match):
        _clf().fit(X, y)


def test_text_column_is_named():
    X = pd.DataFrame({"age": [30.0, 40, 50, 60], "sex": ["F", "M", "F", "M"]})
    with pytest.raises(ValueError, match=r"column\(s\) \['sex'\] are not numeric \(e.g. 'F'\)"):
        _clf().fit(X, [0, 1, 0, 1])


def test_wrong_number_of_features_at_predict(fitted_frame):
    clf, frame, _ = fitted_frame
    with pytest.raises(
        ValueError, match="X has 3 features, but MedicalMLPClassifier is expecting 4"
    ):
        clf.predict(frame.to_numpy()[:, :3])


def test_wrong_column_names_at_predict(fitted_frame):
    clf, frame, _ = fitted_frame
    renamed = frame.rename(columns={"d": "dd"})
    with pytest.raises(ValueError, match=r"Feature names unseen at fit time:\n- dd"):
        clf.predict(renamed)


def test_single_class():
    with pytest.raises(ValueError, match=r"y holds one class only \('yes'\)"):
        _clf().fit(np.ones((6, 2)), ["yes"] * 6)


def test_nan_in_y():
    with pytest.raises(ValueError, match="Input y contains NaN"):
        _clf().fit(np.ones((4, 2)), np.array([0.0, 1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\) .* row\(s\) \[2\]"):
        _clf().fit(np.ones((4, 2)), [0.0, 1.0, np.nan, 1.0])


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA], ids=["None", "NaN", "pd.NA"])
def test_missing_string_labels(missing):
    y = pd.Series(["a", missing, "b", "a"], dtype=object)
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\) .* at row\(s\) \[1\]"):
        _clf().fit(np.ones((4, 2)), y)
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\)"):
        _clf().fit(np.ones((4, 2)), y.astype("string"))


def test_sample_weight_wrong_length():
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(4,\)"):
        _clf().fit(np.ones((4, 2)), [0, 1, 0, 1], sample_weight=[1, 1, 1])


def test_negative_sample_weight():
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        _clf().fit(np.ones((4, 2)), [0, 1, 0, 1], sample_weight=[1, -1, 1, 1])


def test_weights_leaving_one_class():
    with pytest.raises(ValueError, match="Only one class has a non-zero sample_weight"):
        _clf().fit(np.ones((4, 2)), [0, 1, 0, 1], sample_weight=[1, 0, 1, 0])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes must be a sequence of positive"),
        (dict(hidden_layer_sizes=(8, 2.5)), "hidden_layer_sizes must be a sequence of positive"),
        (dict(dropout=1.5), r"'dropout' parameter .* range \[0.0, 1.0\). Got 1.5"),
        (dict(activation="sigmoidal"), "'activation' parameter"),
        (dict(learning_rate=0), "'learning_rate' parameter"),
        (dict(class_weight="auto"), "'class_weight' parameter"),
        (dict(optimizer="adagradx"), "'optimizer' parameter"),
    ],
)
def test_invalid_parameters(params, match):
    err = ValueError if "hidden" in str(params) else InvalidParameterError
    with pytest.raises(err, match=match):
        MedicalMLPClassifier(**params).fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_unknown_class_weight_label():
    with pytest.raises(ValueError, match=r"class_weight has labels \['c'\]"):
        MedicalMLPClassifier(**FAST, class_weight={"c": 2.0}).fit(np.ones((4, 2)), list("abab"))


def test_unfitted():
    with pytest.raises(NotFittedError, match="This MedicalMLPClassifier instance is not fitted"):
        MedicalMLPClassifier().predict(np.ones((2, 2)))


def test_divergence_is_reported():
    X = np.random.default_rng(0).normal(size=(64, 3)) * 1e37
    with pytest.raises(FloatingPointError, match="Training diverged"):
        MedicalMLPClassifier(**dict(FAST, learning_rate=10.0), random_state=0).fit(X, [0, 1] * 32)
