"""Reduce a fitted model to preprocessing steps plus an :class:`ExportHead` the converter writes.

The head is everything after the last preprocessing step, written down as plain data: the
trained network(s), any probability calibration, and the rule that turns probabilities into a
label (the arg-max, or a decision threshold on the positive class). It covers a
:class:`~skmed.MedicalMLPClassifier` (or a scikeras ``KerasClassifier``) optionally wrapped in
:class:`~sklearn.calibration.CalibratedClassifierCV`,
:class:`~sklearn.model_selection.FixedThresholdClassifier`,
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` or
:class:`~sklearn.frozen.FrozenEstimator`. Samplers of an imbalanced-learn pipeline act only in
``fit``, so they are dropped. Whatever cannot be written exactly raises a ``ValueError`` naming it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from skmed._compat import threshold_pos_label
from skmed._fitted import inner_estimator, wrapper_kind
from skmed._json import jsonable
from skmed.neural_network._network import Network

SUPPORTED_LAST_STEPS = (
    "MedicalMLPClassifier, or a scikeras KerasClassifier, optionally wrapped in "
    "CalibratedClassifierCV (sigmoid, isotonic or temperature), FixedThresholdClassifier, "
    "TunedThresholdClassifierCV or FrozenEstimator"
)


@dataclass(frozen=True)
class NetworkProba:
    """Probabilities of one trained network over its ``classes``.

    ``sigmoid_binary`` marks a network whose single sigmoid output is ``P(classes[1])``.
    """

    network: Network
    classes: np.ndarray
    sigmoid_binary: bool = False


@dataclass(frozen=True)
class Calibration:
    """One fold of a ``CalibratedClassifierCV``: a base model and its fitted calibrators.

    ``params`` holds, per calibrated column, ``(a, b)`` for sigmoid,
    ``(x_min, x_max, x_thresholds, y_thresholds)`` for isotonic, or ``(beta,)`` for temperature.
    ``columns`` maps each calibrated column to its index in the wrapper's classes.
    """

    base: ProbaNode
    method: str
    params: tuple[tuple[Any, ...], ...]
    columns: tuple[int, ...]


@dataclass(frozen=True)
class CalibratedProba:
    """The mean of the calibrated probabilities of every fold, over ``classes``."""

    folds: tuple[Calibration, ...]
    classes: np.ndarray


ProbaNode = NetworkProba | CalibratedProba


@dataclass(frozen=True)
class Threshold:
    """Predict ``classes[pos_index]`` when its probability is ``>= value``, else the other class.

    ``pos_label`` is that class as a plain Python value (for the JSON metadata).
    """

    value: float
    pos_index: int
    pos_label: Any


@dataclass(frozen=True)
class Costs:
    """Predict the class of the largest ``weights * probability`` (``class_weight`` as costs)."""

    weights: np.ndarray


class ExportHead:
    """The classifier part of an exported model, as the skl2onnx converter sees it.

    Parameters
    ----------
    proba : NetworkProba or CalibratedProba
        How the class probabilities are computed from the preprocessed features.
    classes : ndarray
        The class labels, in the order of the probability columns.
    threshold : Threshold or None
        Decision threshold on the positive class; ``None`` predicts the most probable class.
    description : str
        What the head was built from, for error messages and metadata.
    costs : ndarray of shape (n_classes,) or None
        Without a threshold, predict the class of the largest ``costs * probability``
        (MedicalMLPClassifier's ``class_weight_``); ``None`` predicts the most probable class.
    """

    def __init__(
        self,
        proba: ProbaNode,
        classes: np.ndarray,
        threshold: Threshold | None,
        description: str,
        costs: np.ndarray | None = None,
    ) -> None:
        self.proba = proba
        self.classes_ = np.asarray(classes)
        self.threshold = threshold
        self.description = description
        self.costs = None if costs is None or threshold is not None else np.asarray(costs, float)

    @property
    def n_features_in_(self) -> int:
        """Width of the preprocessed features the network(s) take."""
        return _n_inputs(self.proba)

    @property
    def calibration(self) -> str | None:
        """The calibration method, or ``None``."""
        return self.proba.folds[0].method if isinstance(self.proba, CalibratedProba) else None


Steps = list[tuple[str, Any]]


def split_model(model: Any, name: str = "model") -> tuple[Steps, ExportHead]:
    """Split a fitted model into preprocessing steps and the :class:`ExportHead`.

    Parameters
    ----------
    model : estimator
        A fitted classifier or pipeline (scikit-learn or imbalanced-learn).
    name : str
        Name used for ``model`` in error messages.

    Returns
    -------
    steps : list of (str, estimator)
        The preprocessing, in order, without samplers or ``"passthrough"`` steps.
    head : ExportHead
        The classifier part.

    Raises
    ------
    ValueError
        If the last step, or a wrapper around it, cannot be exported exactly.
    """
    steps, proba, decision, description = _split(model, name)
    costs = decision.weights if isinstance(decision, Costs) else None
    threshold = decision if isinstance(decision, Threshold) else None
    return steps, ExportHead(proba, _node_classes(proba), threshold, description, costs)


def _split(model: Any, name: str) -> tuple[Steps, ProbaNode, Threshold | Costs | None, str]:
    kind = type(model).__name__
    layer = wrapper_kind(model)
    if layer == "pipeline":
        kept = [
            (step_name, step)
            for step_name, step in model.steps
            if step is not None and step != "passthrough" and not hasattr(step, "fit_resample")
        ]
        if not kept:
            raise ValueError(f"Pipeline {name!r} has no steps to export.")
        last_name, last = kept[-1]
        steps, proba, threshold, description = _split(last, last_name)
        return kept[:-1] + steps, proba, threshold, description
    if layer == "frozen":
        return _split(inner_estimator(model, layer), name)
    if layer == "threshold":
        return _split_threshold(model, name)
    if layer == "calibration":
        return _split_calibrated(model, name)
    if kind == "MedicalMLPClassifier":
        _check_fitted(model, "_network", name)
        costs = getattr(model, "class_weight_", None)
        decision = None if costs is None else Costs(np.asarray(costs, dtype=np.float64))
        return [], NetworkProba(model.network_, np.asarray(model.classes_)), decision, kind
    if _is_scikeras(model):
        return [], _scikeras_proba(model, name), None, kind
    raise ValueError(
        f"Step {name!r} ({kind}) cannot be the classifier of an exported model. skmed.to_onnx "
        f"exports pipelines whose last step is a {SUPPORTED_LAST_STEPS}."
    )


def _split_threshold(model: Any, name: str) -> tuple[Steps, ProbaNode, Threshold, str]:
    kind = type(model).__name__
    if kind == "TunedThresholdClassifierCV":
        _check_fitted(model, "estimator_", name)
        inner = model.estimator_
        value = float(model.best_threshold_)
        pos_label = threshold_pos_label(model)
    else:
        inner = inner_estimator(model, "threshold")
        value = 0.5 if model.threshold == "auto" else float(model.threshold)
        pos_label = model.pos_label
    if model.response_method not in ("auto", "predict_proba"):
        raise ValueError(
            f"{kind} {name!r} thresholds {model.response_method!r}; skmed exports thresholds on "
            "predict_proba only (response_method='auto' or 'predict_proba')."
        )
    steps, proba, _, inner_desc = _split(inner, f"{name}.estimator")
    classes = _node_classes(proba)
    if classes.size != 2:
        raise ValueError(f"{kind} {name!r} needs a binary classifier; got {classes.size} classes.")
    if pos_label is None:
        pos_index = 1
    else:
        matches = np.flatnonzero(classes == pos_label)
        if matches.size != 1:
            raise ValueError(
                f"{kind} {name!r} has pos_label={pos_label!r}, which is not one of the classes "
                f"{classes.tolist()}."
            )
        pos_index = int(matches[0])
    threshold = Threshold(value, pos_index, jsonable(classes[pos_index]))
    return steps, proba, threshold, f"{kind}({inner_desc})"


def _split_calibrated(model: Any, name: str) -> tuple[Steps, ProbaNode, None, str]:
    _check_fitted(model, "calibrated_classifiers_", name)
    classes = np.asarray(model.classes_)
    folds = []
    fold_steps = []
    inner_desc = "?"
    for i, fold in enumerate(model.calibrated_classifiers_):
        steps, base, _, inner_desc = _split(fold.estimator, f"{name}.calibrated_classifiers_[{i}]")
        fold_steps.append(steps)
        folds.append(_calibration(fold, base, classes, name))
    if any(fold_steps) and len(fold_steps) > 1:
        raise ValueError(
            f"CalibratedClassifierCV {name!r} wraps a Pipeline and holds {len(fold_steps)} folds, "
            "each with its own fitted preprocessing, which one ONNX graph cannot share. Put "
            "CalibratedClassifierCV around the classifier, as the last pipeline step, or use "
            "ensemble=False."
        )
    proba = CalibratedProba(tuple(folds), classes)
    return fold_steps[0], proba, None, f"CalibratedClassifierCV({inner_desc})"


def _calibration(fold: Any, base: ProbaNode, classes: np.ndarray, name: str) -> Calibration:
    method = fold.method
    base_classes = _node_classes(base)
    if method == "temperature":
        if base_classes.size != classes.size:
            raise ValueError(
                f"CalibratedClassifierCV {name!r}: a fold saw {base_classes.size} of the "
                f"{classes.size} classes; temperature scaling of such a fold is not exported."
            )
        (calibrator,) = fold.calibrators
        return Calibration(base, method, ((float(calibrator.beta_),),), tuple(range(classes.size)))
    if method not in ("sigmoid", "isotonic"):
        raise ValueError(
            f"CalibratedClassifierCV {name!r} uses method={method!r}; skmed exports 'sigmoid', "
            "'isotonic' and 'temperature'."
        )
    columns = [int(np.flatnonzero(classes == c)[0]) for c in base_classes]
    if classes.size == 2:
        columns = [1]
    params: list[tuple[Any, ...]] = []
    for calibrator in fold.calibrators:
        if method == "sigmoid":
            params.append((float(calibrator.a_), float(calibrator.b_)))
            continue
        if calibrator.out_of_bounds != "clip":
            raise ValueError(
                f"CalibratedClassifierCV {name!r}: isotonic calibrator with out_of_bounds="
                f"{calibrator.out_of_bounds!r} is not exported; only 'clip' is."
            )
        params.append(
            (
                float(calibrator.X_min_),
                float(calibrator.X_max_),
                np.asarray(calibrator.X_thresholds_, dtype=np.float64),
                np.asarray(calibrator.y_thresholds_, dtype=np.float64),
            )
        )
    return Calibration(base, method, tuple(params), tuple(columns[: len(params)]))


def _scikeras_proba(model: Any, name: str) -> NetworkProba:
    from skmed.neural_network._network import describe_keras

    _check_fitted(model, "model_", name)
    network = describe_keras(model.model_)
    classes = np.asarray(model.classes_)
    last = network[-1]
    width = last["bias"].size
    if last["activation"] == "softmax" and width == classes.size:
        return NetworkProba(network, classes)
    if last["activation"] == "sigmoid" and width == 1 and classes.size == 2:
        return NetworkProba(network, classes, sigmoid_binary=True)
    raise ValueError(
        f"KerasClassifier {name!r}: its Keras model ends in {width} {last['activation']!r} "
        f"unit(s) for {classes.size} classes; skmed exports a softmax output with one unit per "
        "class, or one sigmoid unit for two classes."
    )


def _node_classes(node: ProbaNode) -> np.ndarray:
    return node.classes


def _n_inputs(node: ProbaNode) -> int:
    if isinstance(node, NetworkProba):
        return int(node.network[0]["kernel"].shape[0])
    return _n_inputs(node.folds[0].base)


def _is_scikeras(model: Any) -> bool:
    wrappers = sys.modules.get("scikeras.wrappers")
    return wrappers is not None and isinstance(model, wrappers.KerasClassifier)


def _check_fitted(model: Any, attribute: str, name: str) -> None:
    if not hasattr(model, attribute):
        raise ValueError(f"{type(model).__name__} {name!r} is not fitted; fit it before export.")
