"""Evaluate an exported model on local, labelled data: external validation from the file alone.

:func:`skmed.evaluate` scores the rows with :class:`skmed.runtime.OnnxClassifier` (no Keras, no
fitted scikit-learn pipeline) and builds the same clinical report as ``skmed train``: metrics
with bootstrap confidence intervals, calibration, the decision curve, subgroups, at the model's
own operating threshold, with the model card carried in the file and the data's drift against
the training summary the file stores. Given several files, the first is reported in full and all
are compared on the same rows with paired bootstrap differences
(:func:`skmed.metrics.compare_models`). A survival file is scored with
:class:`skmed.runtime.OnnxSurvival` into the survival report (``_survival_evaluation``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

from skmed._onnx_session import OnnxModel
from skmed._site import load_model, site_labels
from skmed.runtime import OnnxClassifier, OnnxSurvival

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
    horizons: Any = None,
) -> Any:
    """Evaluate an exported model on labelled rows, as the clinical report of ``skmed train``.

    A survival model (a file exported from a :class:`~skmed.MedicalMLPSurvival` pipeline) is
    evaluated on ``(event, time)`` outcomes into the survival report of ``skmed train
    --time/--event``, with the data's drift.

    Parameters
    ----------
    model : str, path-like, bytes, OnnxClassifier or OnnxSurvival, or a list or dict of them
        A file written by :func:`skmed.to_onnx`. Several (a list, or a dict of names to files)
        are compared on the same rows: the first is the reference, reported in full; the
        report's ``comparison`` holds every model's AUC, Brier score and (two classes) net
        benefit at the reference's threshold, and each one's paired bootstrap difference from
        the reference with its interval. Files are named by their file name.
    X : pandas.DataFrame
        The site's rows, with the model's columns (other columns are kept for ``groups``).
    y : array-like of shape (n_samples,)
        Their true labels; every class of the model must occur. For a survival model, their
        outcomes ``(event, time)``: a structured array as ``skmed.datasets.survival_target``
        or ``sksurv.util.Surv.from_arrays`` makes it, or a two-column frame.
    groups : str, list of str or array-like, default=None
        Subgroups, as :func:`skmed.report.build_report` takes them (names are columns of X).
    title : str, default="External validation report"
    n_bootstraps : int, default=1000
        Bootstrap replicates of the confidence intervals.
    random_state : int, default=0
        Seed of every bootstrap.
    plots : bool, default=True
        Draw the figures (needs matplotlib).
    horizons : float or array-like, default=None
        Survival models only: the times of the time-dependent AUC and the calibration, in the
        unit of the training times; default the quartiles of these rows' event times.

    Returns
    -------
    skmed.report.ClinicalReport or skmed.report.SurvivalReport
        With ``drift`` set (a note when the file holds no training summary), the model's
        file hash, estimator and versions in ``model_info``, and for several models
        ``comparison`` (:meth:`skmed.metrics.ModelComparison.to_dict`). A survival model's
        report also notes that its censoring weights come from these rows' follow-up.

    Raises
    ------
    ValueError
        If ``y`` does not match ``X`` in length, holds labels the model does not know or
        lacks a class, ``X`` does not fit the model (the message names the column and row),
        or several models do not predict the same classes; for a survival model, if ``y`` is
        not an outcome of ``X``'s rows with an event, a horizon lies outside their follow-up,
        or several models or ``groups`` are given (they are reported for classifiers only).
        Also when ``y`` is labels for a survival model or outcomes for a classifier, or the
        models mix the two tasks.
    """
    named = _named_models(model)
    survival = isinstance(named[0][1], OnnxSurvival)
    mixed = [name for name, runtime, _ in named if isinstance(runtime, OnnxSurvival) != survival]
    if mixed:
        raise ValueError(
            f"{named[0][0]!r} is a {'survival model' if survival else 'classifier'} but "
            f"{mixed} {'are' if len(mixed) > 1 else 'is'} not: models evaluated together must "
            "have the same task."
        )
    if survival != _is_outcome(y):
        raise TaskMismatch(
            "The model is a survival model: y must be the (event, time) outcomes of the rows, "
            "not labels."
            if survival
            else "The model is a classifier: y must be the rows' labels, not (event, time) "
            "outcomes."
        )
    _, runtime, sha256 = named[0]
    options = {"title": title, "n_bootstraps": n_bootstraps, "random_state": random_state}
    if survival:
        if len(named) > 1:
            raise ValueError(
                "Several survival models cannot be compared on the same rows yet; evaluate each "
                "file on its own."
            )
        if groups is not None:
            raise ValueError("Subgroups are reported for classifiers only; leave groups out.")
        from skmed._survival_evaluation import evaluate_survival

        report = evaluate_survival(runtime, X, y, horizons=horizons, plots=plots, **options)
    else:
        if horizons is not None:
            raise ValueError("horizons are for survival models; this model is a classifier.")
        report = _classifier(named, X, y, groups, plots, **options)
    report.model_info = _file_info(runtime, sha256)
    return report


class TaskMismatch(ValueError):
    """The outcome given does not suit the model's task (labels for a survival model, or
    (event, time) outcomes for a classifier)."""


def _is_outcome(y: Any) -> bool:
    """Whether ``y`` has the form of a survival outcome: two fields or two columns."""
    names = getattr(getattr(y, "dtype", None), "names", None)
    shape: tuple[int, ...] = getattr(y, "shape", ())
    return (names is not None and len(names) == 2) or (len(shape) == 2 and shape[1] == 2)


def _classifier(
    named: list[tuple[str, Any, str | None]],
    X: Any,
    y: Any,
    groups: Any,
    plots: bool,
    *,
    title: str,
    n_bootstraps: int,
    random_state: Any,
) -> Any:
    """The clinical report of the first classifier, with drift and the comparison of all."""
    from skmed.drift import check_drift
    from skmed.report import build_report

    runtime = named[0][1]
    labels, rows = site_labels(runtime, X, y)
    proba = runtime.predict_proba(rows)
    card = runtime.metadata.get("model_card")
    report = build_report(
        labels,
        proba,
        classes=runtime.classes_,
        X=X,
        groups=groups,
        decision=stored_rule(runtime.decision),
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
    if "recalibration" in runtime.metadata:
        report.recalibration = {"record": json.loads(runtime.metadata["recalibration"])}
    return report


def stored_rule(decision: Any) -> Any:
    """The file's rule, its source saying that it is the file's (``skmed evaluate``'s and the
    report's wording)."""
    how = f"stored in the file: {decision.source}" if decision.source else "stored in the file"
    return dataclasses.replace(decision, source=how)


def _file_info(runtime: Any, sha256: str | None) -> dict[str, Any]:
    """The report's ``model_info`` of an exported file: estimator, hash, versions, updates."""
    meta = runtime.metadata
    return {
        "type": meta.get("estimator", "ONNX model"),
        "params": {
            "file_sha256": sha256,
            "skmed_format": meta.get("skmed_format"),
            "skmed_version_at_export": meta.get("skmed_version"),
            "scored_with": f"skmed.runtime.{type(runtime).__name__} (onnxruntime)",
            "recalibration": json.loads(meta["recalibration"]) if "recalibration" in meta else None,
        },
    }


def _named_models(model: Any) -> list[tuple[str, Any, str | None]]:
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
        if isinstance(item, OnnxModel):
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
