"""The one walk through a fitted model: pipelines, threshold and calibration wrappers, frozen
estimators, down to the trained classifier.

:func:`wrapper_kind` names what one object is, :func:`inner_estimator` steps one layer in, and
:func:`unwrap` yields every layer from the outside in. The plots, the report and
:mod:`skmed.explain` find the network with them; :func:`walk_estimators` visits every estimator
of a model (pipeline steps, ColumnTransformer and FeatureUnion parts, wrapped estimators).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Layer",
    "best_epoch",
    "inner_estimator",
    "trained_classifier",
    "training_history",
    "unwrap",
    "walk_estimators",
    "wrapper_kind",
]

THRESHOLD_WRAPPERS = ("FixedThresholdClassifier", "TunedThresholdClassifierCV")

#: Deepest nesting :func:`unwrap` follows (a guard against self-referencing objects).
MAX_DEPTH = 16


def wrapper_kind(obj: Any) -> str:
    """What ``obj`` is as a layer of a fitted model.

    Returns
    -------
    str
        ``"pipeline"`` (scikit-learn or imbalanced-learn; its last step is the inner layer),
        ``"threshold"`` (``FixedThresholdClassifier``, ``TunedThresholdClassifierCV``),
        ``"calibration"`` (``CalibratedClassifierCV``), ``"frozen"``
        (``FrozenEstimator``), ``"meta"`` (another estimator holding a fitted ``estimator_``)
        or ``"classifier"`` (anything else: the end of the walk).
    """
    name = type(obj).__name__
    if hasattr(obj, "steps"):
        return "pipeline"
    if name in THRESHOLD_WRAPPERS:
        return "threshold"
    if hasattr(obj, "calibrated_classifiers_") or name == "CalibratedClassifierCV":
        return "calibration"
    if name == "FrozenEstimator":
        return "frozen"
    if hasattr(obj, "estimator_"):
        return "meta"
    return "classifier"


def inner_estimator(obj: Any, kind: str | None = None) -> Any:
    """The estimator one layer inside ``obj`` (``None`` for a classifier).

    A fitted calibration wrapper's inner estimator is its first fold's (each fold holds its
    own); an unfitted wrapper's is its ``estimator`` parameter.
    """
    kind = wrapper_kind(obj) if kind is None else kind
    if kind == "pipeline":
        return obj.steps[-1][1]
    if kind == "threshold":
        return getattr(obj, "estimator_", obj.estimator)
    if kind == "calibration":
        folds = getattr(obj, "calibrated_classifiers_", None)
        return folds[0].estimator if folds else obj.estimator
    if kind == "frozen":
        return obj.estimator
    if kind == "meta":
        return obj.estimator_
    return None


@dataclass(frozen=True)
class Layer:
    """One layer of a fitted model: its ``kind`` (see :func:`wrapper_kind`) and the object."""

    kind: str
    estimator: Any


def unwrap(model: Any) -> Iterator[Layer]:
    """Every layer of ``model`` from the outside in; the last one has kind ``"classifier"``.

    Pipelines are entered at their last step, calibration wrappers at their first fold.
    """
    obj = model
    for _ in range(MAX_DEPTH):
        kind = wrapper_kind(obj)
        yield Layer(kind, obj)
        if kind == "classifier":
            return
        obj = inner_estimator(obj, kind)
    raise ValueError(f"{type(model).__name__} nests more than {MAX_DEPTH} wrappers.")


def walk_estimators(estimator: Any) -> Iterator[Any]:
    """``estimator`` and every estimator inside it, depth first.

    Enters every step of a Pipeline, every part of a ColumnTransformer (fitted parts when
    fitted) or FeatureUnion, and the inner estimator(s) of the wrappers of :func:`unwrap`
    (every fold of a calibration wrapper). Strings (``"drop"``, ``"passthrough"``) and
    ``None`` are skipped.
    """
    if estimator is None or isinstance(estimator, str):
        return
    yield estimator
    kind = wrapper_kind(estimator)
    if kind == "pipeline":
        children = [step for _, step in estimator.steps]
    elif hasattr(estimator, "transformer_list"):
        children = [part for _, part in estimator.transformer_list]
    elif hasattr(estimator, "transformers"):
        parts = getattr(estimator, "transformers_", estimator.transformers)
        children = [part for _, part, _ in parts]
    elif kind == "calibration" and hasattr(estimator, "calibrated_classifiers_"):
        children = [fold.estimator for fold in estimator.calibrated_classifiers_]
    else:
        children = [inner_estimator(estimator, kind)]
    for child in children:
        yield from walk_estimators(child)


def trained_classifier(obj: Any) -> Any:
    """The fitted estimator holding ``history_`` inside ``obj``, or None.

    The first layer of :func:`unwrap` with a ``history_`` dict: the network of a
    :class:`~skmed.MedicalMLPClassifier` (the first fold's, inside a calibration wrapper).
    """
    try:
        for layer in unwrap(obj):
            if isinstance(getattr(layer.estimator, "history_", None), dict):
                return layer.estimator
    except ValueError:  # nested deeper than unwrap follows: no network to show
        return None
    return None


def training_history(obj: Any) -> dict[str, list[float]]:
    """``history_`` of the trained classifier inside ``obj`` (or ``obj`` itself, a dict)."""
    if isinstance(obj, dict):
        return obj
    trained = trained_classifier(obj)
    if trained is None:
        raise ValueError(
            "No training history found: pass a history dict or a fitted MedicalMLPClassifier "
            "(alone, as the last step of a Pipeline, or inside a threshold/calibration wrapper)."
        )
    history: dict[str, list[float]] = trained.history_
    return history


def best_epoch(obj: Any) -> int | None:
    """``best_epoch_`` of the trained classifier inside ``obj``, if any."""
    trained = None if isinstance(obj, dict) else trained_classifier(obj)
    best: int | None = getattr(trained, "best_epoch_", None)
    return best
