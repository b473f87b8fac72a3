"""Finding the trained classifier inside a fitted model: pipelines, threshold and calibration
wrappers, frozen estimators. Used by the plots and the report."""

from __future__ import annotations

from typing import Any

__all__ = ["best_epoch", "trained_classifier", "training_history"]


def trained_classifier(obj: Any) -> Any:
    """The fitted estimator holding ``history_`` inside ``obj``, or None.

    Descends through the last step of a Pipeline, the fitted ``estimator_`` of a threshold
    wrapper, the first fold of a ``CalibratedClassifierCV`` and a ``FrozenEstimator``.
    """
    for _ in range(10):
        if obj is None or isinstance(getattr(obj, "history_", None), dict):
            return obj
        if hasattr(obj, "steps"):
            obj = obj.steps[-1][1]
        elif hasattr(obj, "estimator_"):
            obj = obj.estimator_
        elif hasattr(obj, "calibrated_classifiers_"):
            obj = obj.calibrated_classifiers_[0].estimator
        elif type(obj).__name__ == "FrozenEstimator":
            obj = obj.estimator
        else:
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
