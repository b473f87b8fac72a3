"""Evaluate an exported model on local, labelled data: external validation from the file alone.

:func:`skmed.evaluate` scores the rows with :class:`skmed.runtime.OnnxClassifier` (no Keras, no
fitted scikit-learn pipeline) and builds the same clinical report as ``skmed train``: metrics
with bootstrap confidence intervals, calibration, the decision curve, subgroups, at the model's
own operating threshold, with the model card carried in the file and the data's drift against
the training summary the file stores.
"""

from __future__ import annotations

import json
from typing import Any

from skmed._site import load_model, site_labels
from skmed.runtime import OnnxClassifier

__all__ = ["evaluate"]


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

    if isinstance(model, OnnxClassifier):
        runtime, sha256 = model, None
    else:
        runtime, _, sha256 = load_model(model)
    labels, rows = site_labels(runtime, X, y)
    proba = runtime.predict_proba(rows)
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
            "recalibration": json.loads(meta["recalibration"]) if "recalibration" in meta else None,
        },
    }
    return report
