"""Evaluate an exported model on local, labelled data: external validation from the file alone.

:func:`skmed.evaluate` scores the rows with :class:`skmed.runtime.OnnxClassifier` (no Keras, no
fitted scikit-learn pipeline) and builds the same clinical report as ``skmed train``: metrics
with bootstrap confidence intervals, calibration, the decision curve, subgroups, at the model's
own operating threshold, with the model card carried in the file and the data's drift against
the training summary the file stores. Given several files, the first is reported in full and all
are compared on the same rows with paired bootstrap differences
(:func:`skmed.metrics.compare_models`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
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
    model : str, path-like, bytes or skmed.runtime.OnnxClassifier, or a list or dict of them
        A file written by :func:`skmed.to_onnx`. Several (a list, or a dict of names to files)
        are compared on the same rows: the first is the reference, reported in full; the
        report's ``comparison`` holds every model's AUC, Brier score and (two classes) net
        benefit at the reference's threshold, and each one's paired bootstrap difference from
        the reference with its interval. Files are named by their file name.
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
        With ``drift`` set (a note when the file holds no training summary), the model's
        file hash, estimator and versions in ``model_info``, and for several models
        ``comparison`` (:meth:`skmed.metrics.ModelComparison.to_dict`).

    Raises
    ------
    ValueError
        If ``y`` does not match ``X`` in length, holds labels the model does not know or
        lacks a class, ``X`` does not fit the model (the message names the column and row),
        or several models do not predict the same classes.
    """
    from skmed.drift import check_drift
    from skmed.report import build_report

    named = _named_models(model)
    _, runtime, sha256 = named[0]
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
    report.drift = check_drift(runtime, X, labels).to_dict()
    if len(named) > 1:
        comparison = _compare(named, X, y, labels, proba, n_bootstraps, random_state)
        report.comparison = comparison.to_dict()
    meta = runtime.metadata
    recalibration = json.loads(meta["recalibration"]) if "recalibration" in meta else None
    report.model_info = {
        "type": meta.get("estimator", "ONNX model"),
        "params": {
            "file_sha256": sha256,
            "skmed_format": meta.get("skmed_format"),
            "skmed_version_at_export": meta.get("skmed_version"),
            "scored_with": "skmed.runtime.OnnxClassifier (onnxruntime)",
            "recalibration": recalibration,
        },
    }
    if recalibration is not None:
        report.recalibration = {"record": recalibration}
    return report


def _named_models(model: Any) -> list[tuple[str, OnnxClassifier, str | None]]:
    """``(name, runtime, sha256)`` of each model; a path is named by its file name."""
    items: list[tuple[str | None, Any]]
    if isinstance(model, Mapping):
        items = [(str(k), v) for k, v in model.items()]
    elif isinstance(model, (list, tuple)):
        items = [(None, v) for v in model]
    else:
        items = [(None, model)]
    if not items:
        raise ValueError("No model was given.")
    named = []
    for i, (name, item) in enumerate(items):
        if isinstance(item, OnnxClassifier):
            runtime, sha256 = item, None
        else:
            runtime, _, sha256 = load_model(item)
        if name is None:
            is_path = isinstance(item, (str, os.PathLike))
            name = os.path.basename(os.fspath(item)) if is_path else f"model {i + 1}"
        named.append((name, runtime, sha256))
    names = [n for n, _, _ in named]
    if len(set(names)) < len(names):  # e.g. a/model.onnx and b/model.onnx
        named = [(f"{n} ({i + 1})", r, h) for i, (n, r, h) in enumerate(named)]
    return named


def _compare(
    named: list[tuple[str, OnnxClassifier, str | None]],
    X: Any,
    y: Any,
    labels: Any,
    reference_proba: Any,
    n_bootstraps: int,
    random_state: Any,
) -> Any:
    """Every model on the same rows against the first (paired bootstrap)."""
    from skmed.metrics import compare_models

    reference_name, reference, _ = named[0]
    probas = {reference_name: reference_proba}
    for name, runtime, _ in named[1:]:
        if runtime.classes_.tolist() != reference.classes_.tolist():
            raise ValueError(
                f"Model {name!r} predicts the classes {runtime.classes_.tolist()}, "
                f"{reference_name!r} {reference.classes_.tolist()}: models compared on the same "
                "rows must predict the same classes, in the same order."
            )
        _, rows = site_labels(runtime, X, y)
        probas[name] = runtime.predict_proba(rows)
    decision = reference.decision
    binary = len(reference.classes_) == 2
    threshold = decision.threshold if binary else None
    if threshold is not None and not 0.0 < threshold < 1.0:
        threshold = 0.5  # a rule that treats everyone or no one: net benefit at even odds
    return compare_models(
        labels,
        probas,
        classes=reference.classes_,
        threshold=threshold,
        pos_label=decision.pos_label if binary else None,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
    )
