""":func:`to_onnx`: export a fitted MedicalMLPClassifier, or a pipeline ending in one, to ONNX."""

from __future__ import annotations

import copy
import json
import math
import os
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
import onnx

from skmed._json import jsonable
from skmed._schema import MISSING_TEXT, Schema, schema_from_sample
from skmed._sklearn_utils import column_positions
from skmed.onnx._graph import cast_inputs, rewrite_imputers, split_matrix_input
from skmed.onnx._profile import build_profile
from skmed.onnx._wrappers import SUPPORTED_LAST_STEPS, ExportHead, Steps, split_model

#: Value of the ``skmed_format`` metadata key; the runtime refuses files without it.
FORMAT = "skmed-onnx/1"

#: Metadata keys written by skmed; caller metadata may not use them.
RESERVED_KEYS = frozenset(
    {
        "skmed_format",
        "skmed_version",
        "sklearn_version",
        "keras_version",
        "skl2onnx_version",
        "onnx_opset",
        "classes",
        "classes_dtype",
        "inputs",
        "feature_names",
        "outputs",
        "threshold",
        "decision_weights",
        "calibration",
        "estimator",
        "missing_text",
        "input_profile",
        "recalibration",
    }
)

#: Largest difference between the ONNX and Python probabilities accepted by the export check.
CHECK_TOLERANCE = 1e-4

_SUPPORTED_PREPROCESSING = (
    "preprocessing that skl2onnx converts (e.g. ColumnTransformer, Pipeline, FeatureUnion, "
    "SimpleImputer (with add_indicator), MissingIndicator, StandardScaler, MinMaxScaler, "
    "RobustScaler, MaxAbsScaler, OneHotEncoder, "
    "OrdinalEncoder, PolynomialFeatures, PCA, VarianceThreshold, FunctionTransformer without a "
    "func), samplers of an imbalanced-learn Pipeline (left out of the graph), and as last step a "
    + SUPPORTED_LAST_STEPS
)


def to_onnx(
    model: Any,
    X_sample: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    target_opset: int | None = None,
    metadata: dict[str, Any] | None = None,
    reference_data: Any = "sample",
    reference_target: Any = None,
    allow_patient_rows: bool = False,
    check: bool = True,
) -> onnx.ModelProto:
    """Export a fitted model, with its preprocessing, as one ONNX graph.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skmed.MedicalMLPClassifier`, or a scikit-learn / imbalanced-learn
        ``Pipeline`` ending in one (samplers are left out: they act only in ``fit``). The
        classifier may be wrapped in ``CalibratedClassifierCV``, ``FixedThresholdClassifier``,
        ``TunedThresholdClassifierCV`` or ``FrozenEstimator``; a scikeras ``KerasClassifier`` of
        Dense / Dropout / BatchNormalization / Activation layers works in its place.
    X_sample : pandas.DataFrame or array-like of shape (n_samples, n_features)
        A few rows of training data. A frame gives one graph input per column, typed float,
        int64, bool or string from its dtype; an array gives one float input ``X``. The rows are
        also used to check the exported graph against ``model``.
    path : str or path-like, default=None
        Where to write the ``.onnx`` file, if anywhere.
    target_opset : int, default=None
        ONNX opset (>= 13); the newest opset skl2onnx supports by default.
    metadata : dict, default=None
        Free-form entries stored in the file's ``metadata_props`` (values that are not strings
        are stored as JSON). Keys may not be one of skmed's own keys.
    reference_data : pandas.DataFrame, "sample" or None, default="sample"
        Training rows summarised per column in the ``input_profile`` metadata (for a model
        exported from a frame): counts, the share missing, quantiles and category counts, each
        stored only when at least 10 rows lie behind it, quantiles rounded to 3 significant
        digits, never a row (see :doc:`/serving`). ``"sample"`` summarises ``X_sample``; None
        stores what the pipeline does with each column (its categories, whether it imputes)
        but no summary of the data.
    reference_target : array-like of shape (n_reference,), default=None
        The labels of the ``reference_data`` rows (``skmed train`` passes its training labels):
        stored as rows per class, a class with fewer than 10 rows left out, so that
        :func:`skmed.drift.check_drift` can compare a site's outcome rate with the training
        prevalence.
    allow_patient_rows : bool, default=False
        A ``KNNImputer`` imputes from its training rows, so its graph holds every one of them
        (its columns): patient data inside the model file. It is refused unless this is True;
        then a warning is issued and the file's ``patient_rows`` metadata says which step holds
        how many rows.
    check : bool, default=True
        Run the exported graph with onnxruntime on ``X_sample`` and raise if its probabilities
        or labels differ from ``model``'s.

    Returns
    -------
    onnx.ModelProto
        The model, with outputs ``label`` (class labels) and ``probabilities`` (float matrix,
        one column per class) and skmed's metadata.

    Raises
    ------
    ValueError
        If a step cannot be exported (the message names it and lists what is supported), the
        sample does not fit the model, or the exported graph does not reproduce ``model``.
    """
    from skmed.onnx._converter import MIN_OPSET, register

    register()
    if target_opset is not None and target_opset < MIN_OPSET:
        raise ValueError(f"target_opset must be >= {MIN_OPSET}; got {target_opset}.")
    user_metadata = _user_metadata(metadata)
    steps, head = split_model(model)
    schema = schema_from_sample(X_sample)
    holding = _check_steps(steps)
    if holding:
        _allow_patient_rows(holding, allow_patient_rows, user_metadata)
    steps = _adapt_steps(steps, schema)
    reference = _reference(reference_data, X_sample)
    target = _reference_target(reference_target, reference, model)
    onx, schema = _convert(steps, head, schema, target_opset)
    if schema.layout == "columns":
        profile = build_profile(steps, schema, reference, target)
        user_metadata["input_profile"] = profile.to_json()
    _set_metadata(onx, model, head, schema, user_metadata)
    if check:
        _check_parity(onx, model, X_sample, head)
    if path is not None:
        onnx.save_model(onx, os.fspath(path))
    return onx


# ---------------------------------------------------------------------- checks


def _check_steps(steps: Steps, prefix: str = "") -> list[tuple[str, int]]:
    """Raise a ValueError naming the first step skl2onnx cannot convert.

    Returns the steps whose graph would hold training rows (``KNNImputer``), with the number
    of rows each holds.
    """
    from skl2onnx._supported_operators import sklearn_operator_name_map

    holding: list[tuple[str, int]] = []
    for name, step in steps:
        if step is None or isinstance(step, str):
            continue
        label = f"{prefix}{name}"
        kind = type(step).__name__
        if hasattr(step, "fit_resample"):
            raise ValueError(
                f"Step {label!r} ({kind}) is a sampler inside a nested pipeline; samplers may "
                "only be steps of the outer imbalanced-learn Pipeline."
            )
        if kind == "Pipeline":
            holding += _check_steps(list(step.steps), f"{label}.")
        elif kind == "ColumnTransformer":
            transformers = getattr(step, "transformers_", step.transformers)
            holding += _check_steps([(n, t) for n, t, _ in transformers], f"{label}.")
        elif kind == "FeatureUnion":
            holding += _check_steps(list(step.transformer_list), f"{label}.")
        elif kind == "KNNImputer":
            holding.append((label, int(step._fit_X.shape[0])))
        elif kind == "FunctionTransformer" and step.func is not None:
            func = getattr(step.func, "__name__", repr(step.func))
            raise ValueError(
                f"Step {label!r} (FunctionTransformer with func={func}) cannot be exported to "
                "ONNX: an arbitrary Python function has no ONNX translation. skmed.to_onnx "
                f"supports {_SUPPORTED_PREPROCESSING}."
            )
        elif type(step) not in sklearn_operator_name_map:
            raise ValueError(
                f"Step {label!r} ({kind}) cannot be exported to ONNX: skl2onnx has no converter "
                f"for it. skmed.to_onnx supports {_SUPPORTED_PREPROCESSING}."
            )
    return holding


def _allow_patient_rows(
    holding: list[tuple[str, int]], allowed: bool, metadata: dict[str, Any]
) -> None:
    """Refuse training rows in the graph unless ``allowed``; then warn and record them."""
    listing = ", ".join(f"{label!r} ({rows} rows)" for label, rows in holding)
    if not allowed:
        raise ValueError(
            f"Step(s) {listing} (KNNImputer) impute from their training rows, so the graph "
            "would hold those patients' values: patient data in the model file. Use "
            "SimpleImputer or IterativeImputer, or pass allow_patient_rows=True if the file "
            "stays where the training data may be."
        )
    import warnings

    warnings.warn(
        f"The ONNX file holds the training rows of {listing}: treat it as patient data.",
        UserWarning,
        stacklevel=3,
    )
    metadata["patient_rows"] = json.dumps([{"step": s, "rows": r} for s, r in holding])


def _adapt_steps(steps: Steps, schema: Schema) -> Steps:
    """Copy the steps, adapted to the graph's inputs; the caller's model is not modified.

    Imputers of text columns treat ``""`` as missing: a string tensor cannot hold NaN, so the
    runtime sends a missing text value as :data:`~skmed._schema.MISSING_TEXT` and the graph's
    imputer must look for it (skl2onnx also refuses a text imputer whose ``missing_values`` is
    NaN). ColumnTransformer selections by ``slice`` are spelled out as lists of columns, which
    skl2onnx reads whatever the slice holds (names, open ends, steps).
    """
    if not steps:
        return steps
    kinds = {spec.name: spec.kind for spec in schema.inputs} if schema.layout == "columns" else {}
    steps = copy.deepcopy(steps)
    _adapt(steps[0][1], [kinds[c] for c in schema.columns if c in kinds], kinds)
    return steps


def _adapt(step: Any, input_kinds: list[str], kinds: dict[str, str]) -> None:
    kind = type(step).__name__
    if kind == "Pipeline" and step.steps:
        _adapt(step.steps[0][1], input_kinds, kinds)
    elif kind == "ColumnTransformer":
        by_name = hasattr(step, "feature_names_in_")
        names = (
            [str(c) for c in step.feature_names_in_]
            if by_name
            else [str(i) for i in range(step.n_features_in_)]
        )
        fitted = []
        for name, transformer, columns in step.transformers_:
            positions = column_positions(columns, names)
            selected = [names[i] for i in positions]
            if isinstance(columns, slice):
                columns = selected if by_name else positions
            _adapt(transformer, [kinds[c] for c in selected if c in kinds], kinds)
            fitted.append((name, transformer, columns))
        step.transformers_ = fitted
    elif (
        kind in ("SimpleImputer", "MissingIndicator")
        and input_kinds
        and set(input_kinds) == {"string"}
    ):
        missing = step.missing_values
        if missing is None or (isinstance(missing, float) and math.isnan(missing)):
            step.missing_values = MISSING_TEXT


# ---------------------------------------------------------------------- conversion


def _convert(
    steps: Steps, head: ExportHead, schema: Schema, target_opset: int | None
) -> tuple[onnx.ModelProto, Schema]:
    """Convert in float64 where onnxruntime can run it, else with float32 numeric inputs."""
    onx, typed = _convert_as(steps, head, schema, target_opset, "double")
    if _loads(onx) is None:
        return onx, typed
    onx, typed = _convert_as(steps, head, schema, target_opset, "float")
    problem = _loads(onx)
    if problem is not None:
        raise ValueError(
            f"The exported graph does not load in onnxruntime: {problem}. skmed.to_onnx "
            f"supports {_SUPPORTED_PREPROCESSING}."
        )
    return onx, typed


def _convert_as(
    steps: Steps, head: ExportHead, schema: Schema, target_opset: int | None, numeric: str
) -> tuple[onnx.ModelProto, Schema]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
    from sklearn.pipeline import Pipeline

    number = DoubleTensorType if numeric == "double" else FloatTensorType
    schema = schema.with_numeric_kind(numeric)
    model = Pipeline([*steps, ("skmed_classifier", head)]) if steps else head
    starts_with_columns = bool(steps) and type(steps[0][1]).__name__ == "ColumnTransformer"
    if schema.layout == "columns" and starts_with_columns:
        # one input per column; int64 / bool columns are declared numeric and cast below
        types = [
            (spec.name, StringTensorType([None, 1]) if spec.kind == "string" else number([None, 1]))
            for spec in schema.inputs
        ]
    else:
        text = [spec.name for spec in schema.inputs if spec.kind == "string"]
        if text:
            first = steps[0][0] if steps else "the classifier"
            raise ValueError(
                f"Column(s) {text} hold text, but the first step ({first!r}) takes one numeric "
                "matrix. Start the pipeline with a ColumnTransformer that encodes them "
                "(e.g. OneHotEncoder)."
            )
        types = [("X", number([None, schema.n_features]))]
    try:
        onx = convert_sklearn(
            model,
            initial_types=types,
            target_opset=target_opset,
            options={id(head): {"zipmap": False}},
        )
    except ValueError:
        raise
    except Exception as exc:  # skl2onnx raises RuntimeError / TypeError / NameError
        raise ValueError(
            f"skl2onnx could not convert the model: {exc}. skmed.to_onnx supports "
            f"{_SUPPORTED_PREPROCESSING}."
        ) from exc
    if schema.layout == "columns" and starts_with_columns:
        schema = schema.with_onnx_names([i.name for i in onx.graph.input])
        cast_inputs(onx, schema, numeric)
    elif schema.layout == "columns":
        schema = split_matrix_input(onx, schema, numeric)
    if numeric == "double" and _opset(onx) >= 15:
        rewrite_imputers(onx)
    return onx, schema


def _opset(onx: onnx.ModelProto) -> int:
    return max(o.version for o in onx.opset_import if o.domain in ("", "ai.onnx"))


def _loads(onx: onnx.ModelProto) -> str | None:
    """None if onnxruntime can create a session for the model, else its complaint."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    try:
        onnxruntime.InferenceSession(
            onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime's own exception types
        return str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    return None


# ---------------------------------------------------------------------- metadata


def _reference_target(reference_target: Any, reference: Any, model: Any) -> list[Any] | None:
    """The reference rows' labels as a list, checked against the rows and the model's classes."""
    if reference_target is None:
        return None
    if reference is None:
        raise ValueError("reference_target needs reference_data: the labels of those rows.")
    labels = np.asarray(getattr(reference_target, "to_numpy", lambda: reference_target)())
    labels = labels.reshape(-1).tolist()
    if len(labels) != len(reference):
        raise ValueError(
            f"reference_target has {len(labels)} labels but reference_data has "
            f"{len(reference)} rows."
        )
    known = {str(c) for c in getattr(model, "classes_", [])}
    unknown = sorted({str(v) for v in labels} - known) if known else []
    if unknown:
        raise ValueError(
            f"reference_target holds {unknown[:5]}, which the model does not predict; its "
            f"classes are {sorted(known)}."
        )
    return labels


def _reference(reference_data: Any, X_sample: Any) -> Any:
    if isinstance(reference_data, str):
        if reference_data != "sample":
            raise ValueError(
                f"reference_data must be a frame, 'sample' or None; got {reference_data!r}."
            )
        return X_sample
    if reference_data is not None and not hasattr(reference_data, "columns"):
        raise TypeError(
            "reference_data must be a pandas frame of training rows, 'sample' or None; got "
            f"{type(reference_data).__name__}."
        )
    return reference_data


def _user_metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict; got {type(metadata).__name__}.")
    out = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"metadata keys must be non-empty strings; got {key!r}.")
        if key in RESERVED_KEYS:
            raise ValueError(
                f"metadata key {key!r} is reserved by skmed; reserved keys: "
                f"{sorted(RESERVED_KEYS)}."
            )
        try:
            out[key] = value if isinstance(value, str) else json.dumps(value)
        except TypeError:
            raise ValueError(
                f"metadata[{key!r}] is a {type(value).__name__}, which is neither a string nor "
                "JSON-serializable."
            ) from None
    return out


def _version(package: str) -> str:
    try:
        return importlib_metadata.version(package)
    except importlib_metadata.PackageNotFoundError:
        return "not installed"


def _set_metadata(
    onx: onnx.ModelProto, model: Any, head: ExportHead, schema: Schema, user: dict[str, str]
) -> None:
    import skl2onnx
    import sklearn

    import skmed

    classes = head.classes_
    entries = {
        "skmed_format": FORMAT,
        "skmed_version": skmed.__version__,
        "sklearn_version": sklearn.__version__,
        "keras_version": _version("keras"),
        "skl2onnx_version": skl2onnx.__version__,
        "onnx_opset": str(_opset(onx)),
        "classes": json.dumps([jsonable(c) for c in classes.tolist()]),
        "classes_dtype": classes.dtype.str if classes.dtype.kind != "O" else "object",
        "inputs": schema.to_json(),
        "feature_names": json.dumps(schema.columns if schema.layout == "columns" else []),
        "outputs": json.dumps(
            {"label": onx.graph.output[0].name, "probabilities": onx.graph.output[1].name}
        ),
        "estimator": _describe(model),
        "missing_text": MISSING_TEXT,
    }
    if head.threshold is not None:
        entries["threshold"] = json.dumps(
            {"value": head.threshold.value, "pos_label": jsonable(head.threshold.pos_label)}
        )
    if head.costs is not None:
        entries["decision_weights"] = json.dumps(head.costs.tolist())
    if head.calibration is not None:
        entries["calibration"] = head.calibration
    entries.update(user)
    onnx.helper.set_model_props(onx, entries)
    onx.doc_string = f"skmed {skmed.__version__}: {entries['estimator']}"


def _describe(model: Any) -> str:
    kind = type(model).__name__
    if hasattr(model, "steps"):
        inner = ", ".join(f"{n}={_describe(s)}" for n, s in model.steps)
        return f"{kind}({inner})"
    for attribute in ("estimator", "base_estimator"):
        wrapped = getattr(model, attribute, None)
        if wrapped is not None and hasattr(wrapped, "fit"):
            return f"{kind}({_describe(wrapped)})"
    return kind


# ---------------------------------------------------------------------- parity


def check_parity(
    onnx_model: onnx.ModelProto | bytes,
    model: Any,
    X: Any,
    *,
    tolerance: float = CHECK_TOLERANCE,
) -> dict[str, float]:
    """Run an exported graph with :class:`skmed.runtime.OnnxClassifier` and compare with Python.

    :func:`skmed.to_onnx` runs this on ``X_sample`` (``check=True``); run it on held-out rows
    to check an export on data the sample did not cover.

    Parameters
    ----------
    onnx_model : onnx.ModelProto or bytes
        The exported model (as :func:`skmed.to_onnx` returns it, or serialized).
    model : estimator
        The fitted model that was exported.
    X : pandas.DataFrame or array-like
        Rows to predict, as ``model`` takes them.
    tolerance : float, default=1e-4
        Largest accepted difference between ONNX and Python probabilities.

    Returns
    -------
    dict
        ``max_abs_diff``: the largest absolute ONNX - Python probability difference;
        ``label_agreement``:
        the fraction of rows given the same label; ``n_rows``: the number of rows.

    Raises
    ------
    ValueError
        If the probabilities differ by more than ``tolerance``, or a label differs on a row
        whose decision is not within ``tolerance`` of a tie.
    """
    _, head = split_model(model)
    return _check_parity(onnx_model, model, X, head, tolerance)


def _check_parity(
    onnx_model: onnx.ModelProto | bytes,
    model: Any,
    X: Any,
    head: ExportHead,
    tolerance: float = CHECK_TOLERANCE,
) -> dict[str, float]:
    from skmed.runtime import OnnxClassifier

    if isinstance(onnx_model, onnx.ModelProto):
        onnx_model = onnx_model.SerializeToString()
    runtime = OnnxClassifier(onnx_model)
    got_proba = runtime.predict_proba(X)
    want_proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    diff = float(np.max(np.abs(got_proba - want_proba)))
    if not diff <= tolerance:
        raise ValueError(
            f"The exported graph does not reproduce the model: its probabilities differ by up to "
            f"{diff:.3g} on {_rows(X)} (tolerance {tolerance}). Model: {_describe(model)}."
            + _none_hint(X)
        )
    got, want = runtime.predict(X), np.asarray(model.predict(X))
    differ = np.flatnonzero(got != want)
    if differ.size:
        # a label may flip only where the decision is within rounding of a tie
        margin = _decision_margin(want_proba[differ], head)
        if np.any(margin > tolerance):
            row = int(differ[np.argmax(margin)])
            raise ValueError(
                f"The exported graph does not reproduce the model's labels: row {row} of "
                f"{_rows(X)} is predicted {got[row]!r} by ONNX and {want[row]!r} by Python. "
                f"Model: {_describe(model)}."
            )
    n_rows = int(got.shape[0])
    return {
        "max_abs_diff": diff,
        "label_agreement": float(n_rows - differ.size) / n_rows,
        "n_rows": n_rows,
    }


def _rows(X: Any) -> str:
    return f"the {len(X)} rows checked" if hasattr(X, "__len__") else "the rows checked"


def _none_hint(X_sample: Any) -> str:
    """Explain the usual cause of a mismatch: None in an object text column."""
    if not hasattr(X_sample, "columns"):
        return ""
    columns = [
        str(c)
        for c in X_sample.columns
        if X_sample[c].dtype == object and any(v is None for v in X_sample[c].tolist())
    ]
    if not columns:
        return ""
    return (
        f" Column(s) {columns} hold None in an object column: scikit-learn's SimpleImputer "
        "treats only NaN as missing and keeps None as a category of its own, while a text input "
        "of the ONNX graph receives None and NaN alike as missing (''). Store text columns with "
        "pandas' 'str' dtype (df[col].astype('str')), or replace None by NaN, and refit."
    )


def _decision_margin(proba: np.ndarray, head: ExportHead) -> np.ndarray:
    if head.threshold is not None:
        return np.abs(proba[:, head.threshold.pos_index] - head.threshold.value)
    if head.costs is not None:
        proba = proba * head.costs
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]
