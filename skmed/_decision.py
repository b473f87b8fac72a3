"""The one decision rule: how probabilities become a label, stored in the file, read by all.

A fitted model's rule (:func:`skmed.thresholds.decision_rule`) and an exported file's
(``skmed.runtime.OnnxClassifier.decision``) are the same :class:`DecisionRule`; the
reports compute their threshold metrics with :meth:`DecisionRule.predict_index`, so what they
count is what the file labels. Only numpy is imported (the runtime uses it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RULES", "DecisionRule", "rule_from_metadata"]

#: The rules, and how each is named where a person reads it.
RULES = {
    "threshold": "a threshold on the risk of one class",
    "costs": "misclassification costs (class weights): the least expected cost",
    "argmax": "the most probable class",
}


@dataclass(frozen=True)
class DecisionRule:
    """How the label output picks a class.

    Attributes
    ----------
    rule : {"threshold", "costs", "argmax"}
        A threshold on one class's risk, misclassification costs (``class_weight``: the class
        of the largest ``weight x risk``), or the most probable class.
    pos_label : label or None
        The positive class, for two classes.
    threshold : float or None
        For two classes, the risk of ``pos_label`` from which it is predicted: the stored
        threshold, or for costs ``w`` the equivalent ``w0 / (w0 + w1)`` (0.5 for the arg-max).
    weights : tuple of float or None
        The class weights of the ``"costs"`` rule, in the order of the classes.
    source : str
        How the rule was chosen (e.g. ``"class_weight='balanced'"`` or
        ``"TunedThresholdClassifierCV(scoring='balanced_accuracy')"``); empty when not recorded.
    """

    rule: str
    pos_label: Any = None
    threshold: float | None = None
    weights: tuple[float, ...] | None = None
    source: str = ""

    @classmethod
    def build(
        cls,
        classes: list[Any],
        *,
        threshold: float | None = None,
        pos_label: Any = None,
        weights: Any = None,
        source: str = "",
    ) -> DecisionRule:
        """The rule of a threshold (binary), class weights, or neither (the arg-max)."""
        if threshold is not None:
            pos = classes[1] if pos_label is None else pos_label
            return cls("threshold", pos, float(threshold), None, source)
        w = None if weights is None else tuple(float(v) for v in np.asarray(weights).ravel())
        rule = "costs" if w is not None else "argmax"
        if len(classes) != 2:
            return cls(rule, None, None, w, source)
        # argmax(w * p) picks the positive class when w1 p1 > w0 p0, i.e. p1 > w0 / (w0 + w1)
        w0, w1 = w if w is not None else (1.0, 1.0)
        return cls(rule, classes[1], w0 / (w0 + w1), w, source)

    def predict_index(self, proba: np.ndarray, classes: Any) -> np.ndarray:
        """The column of ``proba`` (one per class of ``classes``) that the rule picks per row.

        The same operations as the exported graph: ``risk >= threshold`` on the positive
        column, the arg-max of ``weights x proba``, or the arg-max of ``proba``.
        """
        proba = np.asarray(proba, dtype=np.float64)
        if self.rule == "threshold":
            pos = _index(classes, self.pos_label)
            return np.where(proba[:, pos] >= self.threshold, pos, 1 - pos)
        if self.rule == "costs":
            return np.argmax(proba * np.asarray(self.weights), axis=1)
        return np.argmax(proba, axis=1)

    def describe(self) -> str:
        """One sentence naming the rule, as the report, ``skmed inspect`` and the server say it."""
        how = f" ({self.source})" if self.source else ""
        if self.rule == "threshold":
            return f"{self.pos_label!r} when its risk is >= {self.threshold:.3g}: a threshold{how}"
        if self.rule == "costs":
            weights = ", ".join(f"{w:.3g}" for w in self.weights or ())
            if self.threshold is not None:
                return (
                    f"{self.pos_label!r} when its risk is >= {self.threshold:.3g}: the least "
                    f"expected cost with class weights {weights}{how}"
                )
            return f"the class of the largest class weight x risk, weights {weights}{how}"
        if self.threshold is not None:
            return f"the most probable class ({self.pos_label!r} when its risk is >= 0.5){how}"
        return f"the most probable class{how}"

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data (also what the server's ``GET`` model returns)."""
        return {
            "rule": self.rule,
            "pos_label": _plain(self.pos_label),
            "threshold": self.threshold,
            "weights": list(self.weights) if self.weights is not None else None,
            "source": self.source,
            "description": self.describe(),
        }


def rule_from_metadata(classes: list[Any], meta: dict[str, str]) -> DecisionRule:
    """The rule an exported file applies, from its ``threshold``, ``decision_weights`` and
    ``decision_source`` metadata (files written before ``decision_source`` have none)."""
    threshold = json.loads(meta["threshold"]) if "threshold" in meta else None
    weights = json.loads(meta["decision_weights"]) if meta.get("decision_weights") else None
    source = meta.get("decision_source", "")
    if threshold is not None:
        return DecisionRule.build(
            classes,
            threshold=float(threshold["value"]),
            pos_label=threshold["pos_label"],
            source=source,
        )
    return DecisionRule.build(classes, weights=weights, source=source)


def _index(classes: Any, label: Any) -> int:
    listed = list(np.asarray(classes).tolist())
    for i, c in enumerate(listed):
        if c == label or str(c) == str(label):
            return i
    raise ValueError(f"The decision's positive class {label!r} is not one of {listed}.")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
