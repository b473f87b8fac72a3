"""Missing data in the ONNX graph: SimpleImputer(add_indicator=True) and MissingIndicator.

Parity (onnxruntime against ``predict_proba``, max abs diff <= 1e-5, labels identical) with
missing values in training and at prediction time -- including a column complete in training
and missing now, and all-missing rows -- on numeric and mixed frames, binary and multiclass.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier, to_onnx
from skmed.runtime import InputError, OnnxClassifier

SMALL = dict(hidden_layer_sizes=(8,), epochs=15, random_state=0)

pytestmark = pytest.mark.filterwarnings("ignore:\\[IterativeImputer\\] Early stopping")


def _frame(n=300, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "crp": rng.lognormal(2, 1, n),
            "wbc": rng.normal(8, 2, n),
            "age": rng.normal(60, 12, n),
            "ward": rng.choice(["icu", "med", "surg"], n).astype(object),
        }
    )
    ordered = rng.random(n) < 0.6
    X.loc[~ordered, "crp"] = np.nan  # not ordered: itself a signal
    X.loc[rng.random(n) < 0.1, "wbc"] = np.nan
    X.loc[rng.random(n) < 0.15, "ward"] = np.nan
    score = 1.2 * ordered + 0.1 * (X["wbc"].fillna(8) - 8) + rng.normal(0, 0.7, n)
    if classes == 2:
        y = np.where(score > 0.9, "sick", "well")
    else:
        y = np.select([score > 1.4, score > 0.5], ["severe", "mild"], "none")
    return X, y


def _new_rows(X):
    """Prediction-time rows: age missing (complete in training), all-missing rows."""
    Xt = X.head(40).copy()
    Xt.loc[Xt.index[:5], "age"] = np.nan
    Xt.loc[Xt.index[5:8], ["crp", "wbc", "age"]] = np.nan
    Xt.loc[Xt.index[5:8], "ward"] = np.nan
    return Xt


def _check(model, X, Xt):
    return _compare(to_onnx(model, X.head(30)).SerializeToString(), model, Xt)


def _compare(content, model, Xt):
    import onnxruntime

    runtime = OnnxClassifier(content)
    # the graph itself imputes every row as the pipeline does, all-missing rows included
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    output = json.loads(runtime.metadata["outputs"])["probabilities"]
    (graph,) = session.run([output], runtime.input_schema.feeds(Xt))
    assert np.abs(graph - model.predict_proba(Xt)).max() <= 1e-5
    # the runtime refuses a row with no observed predictor, and matches on the others
    empty = Xt.isna().all(axis=1).to_numpy()
    if empty.any():
        with pytest.raises(InputError, match=f"Row {np.argmax(empty)} has no observed predictor"):
            runtime.predict_proba(Xt)
    Xt = Xt[~empty]
    gap = np.abs(runtime.predict_proba(Xt) - model.predict_proba(Xt)).max()
    assert gap <= 1e-5
    assert (runtime.predict(Xt) == model.predict(Xt)).all()
    return runtime


def _numeric_with_indicators(**imputer):
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(add_indicator=True, **imputer), StandardScaler()),
                ["crp", "wbc", "age"],
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                ["ward"],
            ),
        ]
    )


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize(
    "imputer",
    [
        dict(strategy="median"),
        dict(strategy="mean", keep_empty_features=True),
        dict(strategy="constant", fill_value=-1.0),
        dict(strategy="most_frequent"),
    ],
)
def test_simple_imputer_with_indicator(classes, imputer):
    X, y = _frame(classes=classes)
    model = make_pipeline(_numeric_with_indicators(**imputer), MedicalMLPClassifier(**SMALL))
    model.fit(X, y)
    width = model[0].transform(X.head(2)).shape[1]
    assert width == 3 + 2 + 3  # three labs, indicators of the two with gaps, three wards
    _check(model, X, _new_rows(X))


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_a_number_as_the_missing_marker_and_an_all_missing_training_column():
    X, y = _frame()
    X = X.drop(columns="ward")
    X["crp"] = X["crp"].fillna(-1.0)  # the lab system writes -1 for "not done"
    X["empty"] = np.nan  # never measured in training: scikit-learn drops it
    imputer = SimpleImputer(missing_values=-1.0, strategy="median", add_indicator=True)
    nan_imputer = SimpleImputer(strategy="median", add_indicator=True)
    prep = ColumnTransformer(
        [("marker", imputer, ["crp"]), ("nan", nan_imputer, ["wbc", "age", "empty"])]
    )
    model = make_pipeline(prep, StandardScaler(), MedicalMLPClassifier(**SMALL)).fit(X, y)
    Xt = X.head(30).copy()
    Xt.loc[Xt.index[:3], "crp"] = -1.0
    Xt.loc[Xt.index[3:6], "empty"] = 4.0  # measured now: still ignored, as in Python
    _check(model, X, Xt)


@pytest.mark.parametrize("features", ["all", "missing-only"])
def test_missing_indicator_on_numbers_and_text(features):
    X, y = _frame()
    labs = make_union(SimpleImputer(), MissingIndicator(features=features))
    ward = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder())
    prep = ColumnTransformer(
        [
            ("labs", labs, ["crp", "wbc", "age"]),
            ("ward", ward, ["ward"]),
            ("ward_missing", MissingIndicator(features=features), ["ward"]),
        ]
    )
    model = make_pipeline(prep, StandardScaler(), MedicalMLPClassifier(**SMALL)).fit(X, y)
    Xt = X.head(30).copy()
    Xt.loc[Xt.index[:3], ["crp", "ward"]] = np.nan
    _check(model, X, Xt)


def test_the_runtime_refuses_what_the_indicator_refuses():
    """MissingIndicator(error_on_new=True) raises on a column missing only now; so does the
    runtime (a graph cannot raise)."""
    X, y = _frame()
    X["age"] = X["age"].round()  # complete in training
    prep = ColumnTransformer(
        [("labs", make_union(SimpleImputer(), MissingIndicator()), ["crp", "wbc", "age"])]
    )
    model = make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(X, y)
    runtime = _check(model, X, X.head(20))
    Xt = X.head(5).copy()
    Xt.loc[Xt.index[2], "age"] = np.nan
    with pytest.raises(ValueError, match="have missing values in transform but have no missing"):
        model.predict_proba(Xt)
    with pytest.raises(InputError, match="Column 'age' is missing in row 2"):
        runtime.predict_proba(Xt)


def test_text_imputer_with_indicator_is_refused_with_advice():
    X, y = _frame()
    prep = ColumnTransformer(
        [
            ("num", SimpleImputer(), ["crp", "wbc", "age"]),
            (
                "ward",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent", add_indicator=True),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                ["ward"],
            ),
        ]
    )
    model = make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(X, y)
    with pytest.raises(ValueError, match="Put a MissingIndicator beside the imputer"):
        to_onnx(model, X.head(20))


# ---------------------------------------------------------------------- IterativeImputer


def _fit_with_labs(X, y, labs):
    """``labs`` on the three labs, the ward imputed and one-hot encoded, then the network."""
    ward = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    prep = ColumnTransformer([("labs", labs, ["crp", "wbc", "age"]), ("ward", ward, ["ward"])])
    return make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(X, y)


def _iterative_model(X, y, **imputer):
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    labs = make_pipeline(IterativeImputer(random_state=0, **imputer), StandardScaler())
    return _fit_with_labs(X, y, labs)


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize(
    "imputer",
    [
        dict(),  # BayesianRidge, mean start, until converged
        dict(add_indicator=True, max_iter=4, tol=0.0, min_value=0.0, max_value=60.0),
        dict(initial_strategy="median", skip_complete=True, add_indicator=True, max_iter=3),
        dict(imputation_order="random", n_nearest_features=1, max_iter=3, tol=0.0),
    ],
)
def test_iterative_imputer(classes, imputer):
    X, y = _frame(classes=classes)
    model = _iterative_model(X, y, **imputer)
    fitted = model[0].named_transformers_["labs"][0]
    assert fitted.n_iter_ >= 1 and len(fitted.imputation_sequence_) >= 2
    runtime = _check(model, X, _new_rows(X))
    # a batch in which every lab is missing keeps the initial imputation, as in Python
    blank = X.head(4).copy()
    blank[["crp", "wbc", "age"]] = np.nan
    gap = np.abs(runtime.predict_proba(blank) - model.predict_proba(blank)).max()
    assert gap <= 1e-5


@pytest.mark.parametrize("estimator", ["ridge", "tree", "neighbours"])
def test_iterative_imputer_with_other_regressors(estimator):
    """Linear ones as MatMul + Add; any other that skl2onnx converts, its graph copied in."""
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.tree import DecisionTreeRegressor

    regressor = {
        "ridge": Ridge(alpha=3.0),
        "tree": DecisionTreeRegressor(max_depth=4, random_state=0),
        "neighbours": KNeighborsRegressor(n_neighbors=4),
    }[estimator]
    X, y = _frame()
    _check(_iterative_model(X, y, estimator=regressor, max_iter=3), X, _new_rows(X))


class _MeanRegressor(BaseEstimator, RegressorMixin):
    """A regressor skl2onnx does not know."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_iterative_imputer_refusals():
    X, y = _frame()
    model = _iterative_model(X, y, estimator=_MeanRegressor(), max_iter=2)
    with pytest.raises(ValueError, match="estimator _MeanRegressor cannot be exported"):
        to_onnx(model, X.head(9))
    with pytest.raises(ValueError, match="sample_posterior=True"):
        to_onnx(_iterative_model(X, y, sample_posterior=True, max_iter=2), X.head(9))


# ---------------------------------------------------------------------- KNNImputer


def _knn_model(X, y, **imputer):
    from sklearn.impute import KNNImputer

    return _fit_with_labs(X, y, make_pipeline(StandardScaler(), KNNImputer(**imputer)))


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize(
    "imputer",
    [
        dict(),
        dict(weights="distance", n_neighbors=3, add_indicator=True),
        dict(n_neighbors=1000),  # more neighbours than donors: all of them
    ],
)
def test_knn_imputer(classes, imputer):
    X, y = _frame(classes=classes)
    model = _knn_model(X, y, **imputer)
    with pytest.warns(UserWarning, match="holds the training rows of 'columntransformer"):
        onx = to_onnx(model, X.head(30), allow_patient_rows=True)
    _compare(onx.SerializeToString(), model, _new_rows(X))


def test_knn_patient_rows_are_refused_unless_allowed_and_then_recorded():
    """What docs/onnx.md says: the graph holds the fitted rows, so export needs consent."""
    X, y = _frame()
    model = _knn_model(X, y)
    with pytest.raises(ValueError, match=r"\(300 rows\) \(KNNImputer\) impute from their training"):
        to_onnx(model, X.head(30))
    with pytest.warns(UserWarning, match="treat it as patient data"):
        onx = to_onnx(model, X.head(30), allow_patient_rows=True)
    runtime = OnnxClassifier(onx.SerializeToString())
    recorded = json.loads(runtime.metadata["patient_rows"])
    assert recorded == [{"step": "columntransformer.labs.knnimputer", "rows": 300}]
    # the rows really are in the file: the scaled training values of a column, as stored
    from onnx import numpy_helper

    scaled = model[0].named_transformers_["labs"][0].transform(X[["crp", "wbc", "age"]])
    stored = np.concatenate(
        [numpy_helper.to_array(t).ravel() for t in onx.graph.initializer if t.data_type == 11]
    )
    wbc = scaled[~np.isnan(scaled[:, 1]), 1]
    assert np.isin(np.round(wbc, 12), np.round(stored, 12)).mean() > 0.99
