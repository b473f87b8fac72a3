"""A site's labelled rows against an exported model: the checks of evaluate and recalibrate."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from skmed._columns import require_columns
from skmed.runtime import OnnxClassifier


def load_model(model: Any) -> tuple[OnnxClassifier, bytes, str]:
    """The runtime, the file's bytes and their SHA-256, from a path or bytes."""
    if isinstance(model, OnnxClassifier):
        raise TypeError("Pass the model's path or bytes, so that its file hash can be recorded.")
    if isinstance(model, (bytes, bytearray)):
        data = bytes(model)
        return OnnxClassifier(data), data, hashlib.sha256(data).hexdigest()
    path = os.fspath(model)
    runtime = OnnxClassifier(path)  # from the path, so that its errors name the file
    with open(path, "rb") as handle:
        data = handle.read()
    return runtime, data, hashlib.sha256(data).hexdigest()


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
