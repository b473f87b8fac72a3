"""Evaluate an exported model on local, labelled data: external validation from the file alone.

:func:`skmed.evaluate` scores the rows with :class:`skmed.runtime.OnnxClassifier` (no Keras, no
fitted scikit-learn pipeline) and builds the same clinical report as ``skmed train``: metrics
with bootstrap confidence intervals, calibration, the decision curve, subgroups, at the model's
own operating threshold, with the model card carried in the file and the data's drift against
the training summary the file stores.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np

from skmed.runtime import OnnxClassifier

__all__ = ["evaluate"]


def _load(model: Any) -> tuple[OnnxClassifier, str | None]:
    if isinstance(model, OnnxClassifier):
        return model, None
    if isinstance(model, (bytes, bytearray)):
        return OnnxClassifier(bytes(model)), hashlib.sha256(model).hexdigest()
    path = os.fspath(model)
    runtime = OnnxClassifier(path)  # from the path, so that its errors name the file
    with open(path, "rb") as handle:
        return runtime, hashlib.sha256(handle.read()).hexdigest()


def _labels(y: Any, classes: np.ndarray) -> np.ndarray:
    """``y`` as the model's labels; refuses labels the model does not know and absent classes."""
    values = np.asarray(getattr(y, "to_numpy", lambda: y)(), dtype=object).reshape(-1)
    if classes.dtype.kind in "OUS":
        values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
    known = {c: c for c in classes.tolist()}
    bad = [v for v in dict.fromkeys(values.tolist()) if v not in known]
    if bad:
        raise ValueError(
            f"The labels hold {bad[:5]}, which the model does not know; its classes are "
            f"{classes.tolist()}."
        )
    absent = [c for c in classes.tolist() if c not in set(values.tolist())]
    if absent:
        raise ValueError(
            f"The data hold no row of class(es) {absent}: discrimination and calibration "
            "cannot be estimated for them. Evaluate on data with every class."
        )
    return values.astype(classes.dtype) if classes.dtype.kind not in "OUS" else values


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    groups: Any = None,
    title: str = "External validation report",
    n_bootstraps: int = 1000,
    random_state: Any = 0,
    plots: bool = True,
) -> Any:
    """Evaluate an exported model on labelled rows, as the clinical report of ``skmed train``.

    Parameters
    ----------
    model : str, path-like, bytes or skmed.runtime.OnnxClassifier
        A file written by :func:`skmed.to_onnx`.
    X : pandas.DataFrame
        The site's rows, with the model's columns (other columns are kept for ``groups``).
    y : array-like of shape (n_samples,)
        Their true labels; every class of the model must occur.
    groups : str, list of str or array-like, default=None
        Subgroups, as :func:`skmed.report.build_report` takes them (names are columns of X).
    title : str, default="External validation report"
    n_bootstraps : int, default=1000
        Bootstrap replicates of the confidence intervals.
    random_state : int, default=0
        Seed of every bootstrap.
    plots : bool, default=True
        Draw the figures (needs matplotlib).

    Returns
    -------
    skmed.report.ClinicalReport
        With ``drift`` set (a note when the file holds no training summary) and the model's
        file hash, estimator and versions in ``model_info``.

    Raises
    ------
    ValueError
        If ``y`` does not match ``X`` in length, holds labels the model does not know or
        lacks a class, or ``X`` does not fit the model (the message names the column and row).
    """
    from skmed.drift import check_drift
    from skmed.report import build_report

    runtime, sha256 = _load(model)
    if not hasattr(X, "columns"):
        raise ValueError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows.")
    labels = _labels(y, runtime.classes_)
    columns = list(runtime.feature_names_in_) if runtime.feature_names_in_ is not None else None
    absent = [c for c in columns or [] if c not in X.columns]
    if absent:
        raise ValueError(f"X lacks the model's column(s) {absent}; it has {list(X.columns)}.")
    proba = runtime.predict_proba(X[columns] if columns is not None else X)
    threshold, pos_label = runtime.decision.threshold, runtime.decision.pos_label
    card = runtime.metadata.get("model_card")
    report = build_report(
        labels,
        proba,
        classes=runtime.classes_,
        X=X,
        groups=groups,
        threshold=threshold,
        pos_label=pos_label,
        title=title,
        model_card=json.loads(card) if card else None,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
        plots=plots,
    )
    report.drift = check_drift(runtime, X).to_dict()
    meta = runtime.metadata
    report.model_info = {
        "type": meta.get("estimator", "ONNX model"),
        "params": {
            "file_sha256": sha256,
            "skmed_format": meta.get("skmed_format"),
            "skmed_version_at_export": meta.get("skmed_version"),
            "scored_with": "skmed.runtime.OnnxClassifier (onnxruntime)",
        },
    }
    return report
