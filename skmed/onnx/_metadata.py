"""The file's metadata: format, reserved keys, versions, the reference rows' summary."""

from __future__ import annotations

import json
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np
import onnx

from skmed._json import jsonable
from skmed._schema import MISSING_TEXT, Schema
from skmed.onnx._wrappers import ExportHead

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
        "decision_source",
        "calibration",
        "estimator",
        "missing_text",
        "input_profile",
        "recalibration",
        "task",
        "time_grid",
        "time_grid_min_events",
    }
)


def reference_target_labels(reference_target: Any, reference: Any, model: Any) -> list[Any] | None:
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


def reference_rows(reference_data: Any, X_sample: Any) -> Any:
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


def checked_user_metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
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


def set_metadata(
    onx: onnx.ModelProto, model: Any, head: Any, schema: Schema, user: dict[str, str]
) -> None:
    """skmed's keys and the caller's: versions, inputs, and what the outputs of ``head`` (an
    :class:`ExportHead`, or a survival head with its own ``metadata_entries``) mean."""
    import skl2onnx
    import sklearn

    import skmed

    entries = {
        "skmed_format": FORMAT,
        "skmed_version": skmed.__version__,
        "sklearn_version": sklearn.__version__,
        "keras_version": _version("keras"),
        "skl2onnx_version": skl2onnx.__version__,
        "onnx_opset": str(opset(onx)),
        "inputs": schema.to_json(),
        "feature_names": json.dumps(schema.columns if schema.layout == "columns" else []),
        "estimator": describe_model(model),
        "missing_text": MISSING_TEXT,
    }
    if isinstance(head, ExportHead):
        from skmed.thresholds import decision_rule

        entries.update(_classifier_entries(onx, head))
        entries["decision_source"] = decision_rule(model).source
    else:
        entries.update(head.metadata_entries(onx))
    entries.update(user)
    onnx.helper.set_model_props(onx, entries)
    onx.doc_string = f"skmed {skmed.__version__}: {entries['estimator']}"


def _classifier_entries(onx: onnx.ModelProto, head: ExportHead) -> dict[str, str]:
    classes = head.classes_
    entries = {
        "classes": json.dumps([jsonable(c) for c in classes.tolist()]),
        "classes_dtype": classes.dtype.str if classes.dtype.kind != "O" else "object",
        "outputs": json.dumps(
            {"label": onx.graph.output[0].name, "probabilities": onx.graph.output[1].name}
        ),
    }
    if head.threshold is not None:
        entries["threshold"] = json.dumps(
            {"value": head.threshold.value, "pos_label": jsonable(head.threshold.pos_label)}
        )
    if head.costs is not None:
        entries["decision_weights"] = json.dumps(head.costs.tolist())
    if head.calibration is not None:
        entries["calibration"] = head.calibration
    return entries


def describe_model(model: Any) -> str:
    kind = type(model).__name__
    if hasattr(model, "steps"):
        inner = ", ".join(f"{n}={describe_model(s)}" for n, s in model.steps)
        return f"{kind}({inner})"
    for attribute in ("estimator", "base_estimator"):
        wrapped = getattr(model, attribute, None)
        if wrapped is not None and hasattr(wrapped, "fit"):
            return f"{kind}({describe_model(wrapped)})"
    return kind


def opset(onx: onnx.ModelProto) -> int:
    return max(o.version for o in onx.opset_import if o.domain in ("", "ai.onnx"))
