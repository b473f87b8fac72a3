"""The steps of a model to export: which ones convert, training rows in the graph, the copy
adapted to the graph's inputs."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from skmed._compat import knn_training_rows, skl2onnx_operator_names
from skmed._schema import MISSING_TEXT, Schema
from skmed._sklearn_utils import column_positions
from skmed.onnx._wrappers import SUPPORTED_LAST_STEPS, Steps

SUPPORTED_PREPROCESSING = (
    "preprocessing that skl2onnx converts (e.g. ColumnTransformer, Pipeline, FeatureUnion, "
    "SimpleImputer (with add_indicator), MissingIndicator, StandardScaler, MinMaxScaler, "
    "RobustScaler, MaxAbsScaler, OneHotEncoder, "
    "OrdinalEncoder, PolynomialFeatures, PCA, VarianceThreshold, FunctionTransformer without a "
    "func), samplers of an imbalanced-learn Pipeline (left out of the graph), and as last step a "
    + SUPPORTED_LAST_STEPS
)


def check_steps(steps: Steps, prefix: str = "") -> list[tuple[str, int]]:
    """Raise a ValueError naming the first step skl2onnx cannot convert.

    Returns the steps whose graph would hold training rows (``KNNImputer``), with the number
    of rows each holds.
    """
    sklearn_operator_name_map = skl2onnx_operator_names()
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
            holding += check_steps(list(step.steps), f"{label}.")
        elif kind == "ColumnTransformer":
            transformers = getattr(step, "transformers_", step.transformers)
            holding += check_steps([(n, t) for n, t, _ in transformers], f"{label}.")
        elif kind == "FeatureUnion":
            holding += check_steps(list(step.transformer_list), f"{label}.")
        elif kind == "KNNImputer":
            holding.append((label, int(knn_training_rows(step)[0].shape[0])))
        elif kind == "FunctionTransformer" and step.func is not None:
            func = getattr(step.func, "__name__", repr(step.func))
            raise ValueError(
                f"Step {label!r} (FunctionTransformer with func={func}) cannot be exported to "
                "ONNX: an arbitrary Python function has no ONNX translation. skmed.to_onnx "
                f"supports {SUPPORTED_PREPROCESSING}."
            )
        elif type(step) not in sklearn_operator_name_map:
            raise ValueError(
                f"Step {label!r} ({kind}) cannot be exported to ONNX: skl2onnx has no converter "
                f"for it. skmed.to_onnx supports {SUPPORTED_PREPROCESSING}."
            )
    return holding


def refuse_patient_rows(
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


def adapt_steps(steps: Steps, schema: Schema) -> Steps:
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
