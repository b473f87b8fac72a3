"""The input profile stored at export: what each column may hold, and the privacy-safe summary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from serve_models import fit_models, mixed_frame

from skmed import to_onnx
from skmed._profile import MIN_COUNT, summarise_categories, summarise_numeric
from skmed.runtime import InputError, OnnxClassifier


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    model, X = fit_models()["mixed"]
    path = tmp_path_factory.mktemp("profile") / "mixed.onnx"
    to_onnx(model, X.head(20), path=path, reference_data=X)
    return model, X, OnnxClassifier(path)


def test_profile_reads_the_fitted_pipeline(mixed):
    _, X, runtime = mixed
    profile = runtime.input_profile
    assert [c.name for c in profile.columns] == list(X.columns)
    assert profile["bmi"].role == "numeric" and profile["bmi"].missing_allowed
    assert not profile["lactate"].missing_allowed  # StandardScaler only
    assert not profile["age"].missing_allowed  # an int64 input cannot hold NaN
    assert profile["smoker"].role == "boolean"
    sex = profile["sex"]
    assert (sex.role, sex.categories, sex.unknown_refused) == ("category", ["F", "M"], True)
    assert sex.counts == {k: int(v) for k, v in X["sex"].value_counts().items()}
    assert profile["bmi"].missing_share == pytest.approx(X["bmi"].isna().mean(), abs=1e-3)


def test_runtime_refuses_what_the_python_pipeline_refuses(mixed):
    model, X, runtime = mixed
    rows = X.head(3).copy()
    rows.loc[rows.index[1], "lactate"] = np.nan
    with pytest.raises(ValueError):
        model.predict_proba(rows)  # Python: NaN reaches the classifier
    with pytest.raises(
        InputError, match=r"Column 'lactate' is missing in row 1, but the model"
    ) as info:
        runtime.predict_proba(rows)
    assert (info.value.column, info.value.row) == ("lactate", 1)
    rows = X.head(3).copy()
    rows.loc[rows.index[2], "sex"] = "U"
    with pytest.raises(ValueError, match="unknown categor"):
        model.predict_proba(rows)  # OneHotEncoder(handle_unknown="error")
    with pytest.raises(InputError, match=r"Column 'sex' holds the unknown category 'U' in row 2"):
        runtime.predict_proba(rows)
    # sex was never missing in the 300 training rows: required at the point of care ...
    rows = X.head(3).copy()
    rows.loc[rows.index[0], "sex"] = None
    rows["sex"] = rows["sex"].astype(object).where(rows["sex"].notna(), np.nan)
    assert runtime.input_profile["sex"].required
    assert not runtime.input_profile["bmi"].required  # missing in training: imputed
    with pytest.raises(InputError, match="Column 'sex' is missing in row 0, but it was never"):
        runtime.predict_proba(rows)
    # ... unless the exporter allows it: then imputed, as in Python, and said so
    optional = OnnxClassifier(
        to_onnx(model, X.head(20), reference_data=X, optional_columns=["sex"]).SerializeToString()
    )
    assert not optional.input_profile["sex"].required
    np.testing.assert_allclose(optional.predict_proba(rows), model.predict_proba(rows), atol=1e-5)
    kinds = [[(w["column"], w["kind"]) for w in row] for row in optional.input_warnings(rows)]
    assert kinds[0] == [("sex", "imputed")]
    with pytest.raises(ValueError, match=r"optional_columns holds \['height'\], which are not"):
        to_onnx(model, X.head(20), optional_columns=["height"])


def test_quantiles_need_min_count_rows_beyond_them():
    values = np.arange(1.0, 61.0)  # 60 values: 5% of 60 = 3 < 10, 25% of 60 = 15 >= 10
    summary = summarise_numeric(values)
    assert set(summary["quantiles"]) == {"25", "50", "75"}
    assert summary["quantiles"]["50"] == pytest.approx(30.5)
    big = np.random.default_rng(0).normal(100, 15, 1000)
    summary = summarise_numeric(np.append(big, [np.nan] * 10))
    assert set(summary["quantiles"]) == {"5", "25", "50", "75", "95"}
    assert summary["missing_share"] == pytest.approx(10 / 1010, abs=1e-3)
    # rounded to 3 significant digits: never the exact value of a row
    for value in summary["quantiles"].values():
        assert value == float(f"{value:.3g}")
        assert value not in set(big.tolist())
    assert summary["mean"] == pytest.approx(big.mean(), rel=5e-3)
    assert summary["std"] == pytest.approx(big.std(ddof=1), rel=5e-3)
    assert summarise_numeric(np.arange(15.0))["quantiles"] == {}
    assert summarise_numeric(np.arange(9.0))["mean"] is None  # fewer than MIN_COUNT values


def test_rare_categories_are_merged_or_suppressed():
    values = ["a"] * 30 + ["b"] * 12 + ["c"] * 6 + ["d"] * 5 + ["e"] * 2
    summary = summarise_categories(values, np.zeros(len(values), dtype=bool))
    assert summary["counts"] == {"a": 30, "b": 12, "(other)": 13}
    values = ["a"] * 30 + ["rare"] * (MIN_COUNT - 1)
    summary = summarise_categories(values, np.zeros(len(values), dtype=bool))
    assert summary["counts"] == {"a": 30}  # the merged rest is below MIN_COUNT too


def test_profile_without_reference_data(tmp_path):
    model, X = fit_models()["mixed"]
    onx = to_onnx(model, X.head(20), reference_data=None)
    profile = json.loads(next(p.value for p in onx.metadata_props if p.key == "input_profile"))
    bmi = next(c for c in profile["columns"] if c["name"] == "bmi")
    assert bmi["n"] is None and bmi["quantiles"] == {} and bmi["missing_allowed"]
    with pytest.raises(ValueError, match="reference_data must be a frame, 'sample' or None"):
        to_onnx(model, X.head(20), reference_data="all")
    with pytest.raises(TypeError, match="reference_data must be a pandas frame"):
        to_onnx(model, X.head(20), reference_data=X.to_numpy())


def test_json_encoders_agree(mixed, tmp_path):
    pytest.importorskip("starlette")
    from skmed.serve import ServedModel

    _, X, runtime = mixed
    path = tmp_path / "m.onnx"
    model, _ = fit_models()["mixed"]
    to_onnx(model, X.head(20), path=path, reference_data=X)
    served = ServedModel(path)
    rows = X.head(30).assign(bmi=X["bmi"].head(30).where(X.index[:30] % 3 != 0))  # imputed
    labels, proba, warnings = served.predict(rows)
    assert any(warnings)
    fast = json.loads(served.encode(labels, proba, warnings))
    plain = json.loads(served._encode_with_template(labels.tolist(), proba, warnings))
    assert fast == plain
    assert [p["label"] for p in fast["predictions"]] == labels.tolist()


def test_the_file_holds_no_training_row(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from skmed import MedicalMLPClassifier

    X, y = mixed_frame(400, seed=3)
    X.insert(0, "patient_id", [f"P{100000 + i}" for i in range(len(X))])  # dropped by the model
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["bmi", "lactate"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex"]),
        ]
    )
    model = make_pipeline(
        prep, MedicalMLPClassifier(hidden_layer_sizes=(4,), epochs=3, n_members=1)
    ).fit(X, y)
    path = tmp_path / "m.onnx"
    to_onnx(model, X.head(30), path=path, reference_data=X)
    content = path.read_bytes()
    runtime = OnnxClassifier(path)
    assert runtime.input_profile["patient_id"].role == "unused"
    assert runtime.input_profile["patient_id"].n is None  # no summary of an unused column
    for identifier in X["patient_id"]:
        assert identifier.encode() not in content
    profile_text = runtime.metadata["input_profile"]
    aggregates = {
        repr(v)
        for c in runtime.input_profile.columns
        for v in [*c.quantiles.values(), c.mean, c.std]
        if v is not None
    }
    for value in X[["bmi", "lactate"]].stack().tolist():
        text = repr(float(value))
        assert text in aggregates or text not in profile_text, text


def test_training_class_counts(mixed):
    model, X, _ = mixed
    _, y = mixed_frame(len(X), seed=0)
    runtime = OnnxClassifier(
        to_onnx(model, X.head(20), reference_data=X, reference_target=y).SerializeToString()
    )
    labels, counts = np.unique(y, return_counts=True)
    assert runtime.input_profile.outcome == {
        "n": len(y),
        "counts": {str(k): int(c) for k, c in zip(labels, counts)},
    }
    # a class held by fewer than MIN_COUNT rows is not counted
    rare = np.where(np.arange(len(y)) < MIN_COUNT - 1, "sepsis", "no sepsis")
    small = to_onnx(model, X.head(20), reference_data=X, reference_target=rare)
    profile = OnnxClassifier(small.SerializeToString()).input_profile
    assert profile.outcome["counts"] == {"no sepsis": len(y) - MIN_COUNT + 1}
    with pytest.raises(ValueError, match="reference_target has 5 labels but reference_data has"):
        to_onnx(model, X.head(20), reference_data=X, reference_target=y[:5])
    with pytest.raises(ValueError, match=r"reference_target holds \['flu'\], which the model"):
        to_onnx(model, X.head(20), reference_data=X, reference_target=np.full(len(X), "flu"))
    with pytest.raises(ValueError, match="reference_target needs reference_data"):
        to_onnx(model, X.head(20), reference_data=None, reference_target=y)
