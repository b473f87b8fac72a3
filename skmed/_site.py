"""A site's labelled rows against an exported model: the checks of evaluate and recalibrate.

Also the one reader of a model file's bytes (:func:`model_bytes`), which the MLflow flavor and
Dask scoring share.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from skmed._columns import require_columns
from skmed._onnx_session import OnnxModel
from skmed.runtime import OnnxClassifier
from skmed.runtime import load_model as open_model


def model_bytes(model: Any) -> bytes:
    """The bytes of a model given as a path, its bytes or an ``onnx.ModelProto``.

    Parameters
    ----------
    model : str, path-like, bytes, bytearray or onnx.ModelProto
        An exported model or its file.

    Returns
    -------
    bytes
        The serialized model, as the file holds it.

    Raises
    ------
    FileNotFoundError
        If ``model`` is a path with no file.
    """
    if isinstance(model, (bytes, bytearray)):
        return bytes(model)
    if hasattr(model, "SerializeToString"):  # an onnx.ModelProto, without importing onnx
        return model.SerializeToString()
    path = os.fspath(model)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No ONNX model file at {path!r}.")
    with open(path, "rb") as handle:
        return handle.read()


def load_model(model: Any, runtime: OnnxModel | None = None) -> tuple[Any, bytes, str]:
    """The runtime (:class:`~skmed.runtime.OnnxClassifier` or
    :class:`~skmed.runtime.OnnxSurvival`, by the file's task), the file's bytes and their
    SHA-256, from a path or bytes.

    ``runtime`` is ``model`` already opened by the caller: it is not opened again, only its
    bytes are read.
    """
    if isinstance(model, OnnxModel):
        raise TypeError("Pass the model's path or bytes, so that its file hash can be recorded.")
    if runtime is None:
        # a path is opened as a path, so that the runtime's errors name the file
        is_bytes = isinstance(model, (bytes, bytearray))
        runtime = open_model(bytes(model) if is_bytes else os.fspath(model))
    data = model_bytes(model)
    return runtime, data, hashlib.sha256(data).hexdigest()


def known_labels(classes: np.ndarray, y: Any) -> np.ndarray:
    """``y`` as an object array of the model's labels (text labels as text); a ValueError
    names the labels the model does not know (``skmed evaluate``'s and ``drift``'s check)."""
    values = np.asarray(getattr(y, "to_numpy", lambda: y)(), dtype=object).reshape(-1)
    if classes.dtype.kind in "OUS":
        values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
    known = set(classes.tolist())
    bad = [v for v in dict.fromkeys(values.tolist()) if v not in known]
    if bad:
        raise ValueError(
            f"The labels hold {bad[:5]}, which the model does not know; its classes are "
            f"{classes.tolist()}."
        )
    return values


def site_labels(runtime: OnnxClassifier, X: Any, y: Any) -> tuple[np.ndarray, Any]:
    """``y`` as the model's labels and ``X``'s model columns; refuses what cannot be evaluated.

    Raises a ValueError for a non-frame ``X``, lengths that differ, labels the model does not
    know, a class with no row, or a model column absent from ``X``.
    """
    if not hasattr(X, "columns"):
        raise ValueError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows.")
    classes = runtime.classes_
    values = known_labels(classes, y)
    present = set(values.tolist())
    absent = [c for c in classes.tolist() if c not in present]
    if absent:
        raise ValueError(
            f"The data hold no row of class(es) {absent}: discrimination and calibration "
            "cannot be estimated for them. Use data with every class."
        )
    labels = values.astype(classes.dtype) if classes.dtype.kind not in "OUS" else values
    if runtime.feature_names_in_ is None:
        return labels, X
    columns = list(runtime.feature_names_in_)
    require_columns(columns, X.columns, what="the model's column(s)", where="X")
    return labels, X[columns]
