"""The decision rule of a fitted model, as the exported file will apply it."""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._compat import threshold_pos_label
from skmed._decision import DecisionRule
from skmed._fitted import unwrap
from skmed.thresholds._tuning import describe_operating_point


def decision_rule(model: Any) -> DecisionRule:
    """How a fitted classifier turns its probabilities into labels.

    The first layer that decides, from the outside in (``skmed._fitted.unwrap``): a
    ``TunedThresholdClassifierCV`` / ``FixedThresholdClassifier`` (its threshold on the
    positive class), a ``CalibratedClassifierCV`` (the most probable calibrated class), a
    :class:`~skmed.MedicalMLPClassifier` with ``class_weight`` (the least expected cost,
    ``class_weight_ x risk``), or any other classifier (the most probable class). It is the rule
    :func:`skmed.to_onnx` writes into the file and that
    ``skmed.runtime.OnnxClassifier.decision`` reads back.

    Parameters
    ----------
    model : estimator
        A fitted classifier or pipeline.

    Returns
    -------
    skmed.runtime.DecisionRule

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import FixedThresholdClassifier
    >>> X, y = make_classification(random_state=0)
    >>> model = FixedThresholdClassifier(LogisticRegression(), threshold=0.3).fit(X, y)
    >>> decision_rule(model).describe()
    '1 when its risk is >= 0.3: a threshold (FixedThresholdClassifier(threshold=0.3))'
    """
    for layer in unwrap(model):
        obj = layer.estimator
        classes = np.asarray(getattr(obj, "classes_", [])).tolist()
        if layer.kind == "threshold":
            info = describe_operating_point(obj)
            if info is None:  # FixedThresholdClassifier(threshold="auto"): 0.5
                info = {"threshold": 0.5, "source": f"{type(obj).__name__}(threshold='auto')"}
            pos = threshold_pos_label(obj) if hasattr(obj, "best_threshold_") else obj.pos_label
            return DecisionRule.build(
                classes, threshold=info["threshold"], pos_label=pos, source=info["source"]
            )
        if layer.kind == "calibration":
            return DecisionRule.build(classes, source="CalibratedClassifierCV: most probable class")
        if layer.kind == "classifier":
            weights = getattr(obj, "class_weight_", None)
            if weights is not None and type(obj).__name__ == "MedicalMLPClassifier":
                return DecisionRule.build(
                    classes, weights=weights, source=f"class_weight={obj.class_weight!r}"
                )
            return DecisionRule.build(classes)
    raise AssertionError("unwrap ends at a classifier")  # pragma: no cover
