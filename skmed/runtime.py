"""A light runtime for models exported by :func:`skmed.to_onnx`: numpy and onnxruntime only.

Importing this module loads neither Keras, a backend, scikit-learn nor pandas, so a service that
only predicts needs ``pip install numpy onnxruntime``. Frames are recognised by their attributes.

Examples
--------
>>> from skmed.runtime import OnnxClassifier  # doctest: +SKIP
>>> clf = OnnxClassifier("model.onnx")  # doctest: +SKIP
>>> clf.predict_proba([{"age": 61, "sex": "F", "bmi": 31.2}])  # doctest: +SKIP
array([[0.18, 0.82]])
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from skmed._decision import DecisionRule, rule_from_metadata
from skmed._docstrings import fill_doc
from skmed._onnx_session import (
    SESSION_DOCS,
    ModelFormatError,
    OnnxModel,
    describe_source,
    open_session,
)
from skmed._onnx_survival import OnnxSurvival
from skmed._schema import ROWS_DOC, InputError

__all__ = [
    "DecisionRule",
    "InputError",
    "ModelFormatError",
    "OnnxClassifier",
    "OnnxSurvival",
    "load_model",
]


#: Docstring pieces of the prediction methods.
_PREDICT_DOC = {
    **ROWS_DOC,
    "labels": """
        labels : ndarray of shape (n_samples,)
            Labels of the dtype of ``classes_`` (the decision threshold, if any, applied).
        """,
    "proba": """
        proba : ndarray of shape (n_samples, n_classes), float64
            One column per class, in the order of ``classes_``.
        """,
}


@fill_doc(SESSION_DOCS)
class OnnxClassifier(OnnxModel):
    """Predict with an ONNX file written by :func:`skmed.to_onnx`, like the Python model.

    One ``onnxruntime.InferenceSession`` is created and shared; ``predict`` and
    ``predict_proba`` keep no state, so one instance may serve many threads at once.

    {{session_params}}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, with the dtype they had in Python.
    {{input_attributes}}
    threshold : dict or None
        ``{"value": ..., "pos_label": ...}`` when the model predicts with a decision threshold.
    decision : DecisionRule
        How the label output picks a class (threshold, costs or argmax), as one threshold on the
        positive class's risk for two classes, and how the rule was chosen (``source``). The
        same rule as :func:`skmed.thresholds.decision_rule` of the exported model.
    {{input_schema}}

    {{raises}}
    """

    def _read_outputs(self, meta: dict[str, str]) -> list[str]:
        dtype = np.dtype(object if meta["classes_dtype"] == "object" else meta["classes_dtype"])
        self.classes_ = np.asarray(json.loads(meta["classes"]), dtype=dtype)
        outputs = json.loads(meta["outputs"])
        self.threshold: dict[str, Any] | None = (
            json.loads(meta["threshold"]) if "threshold" in meta else None
        )
        self.decision = rule_from_metadata(self.classes_.tolist(), meta)
        return [outputs["label"], outputs["probabilities"]]

    # ------------------------------------------------------------------ prediction

    @fill_doc(_PREDICT_DOC)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``classes_``.

        {{X_rows}}

        Returns
        -------
        {{proba}}
        """
        (proba,) = self._run(X, self._outputs[1:])
        return proba.astype(np.float64)

    @fill_doc(_PREDICT_DOC)
    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels, as the Python model's ``predict`` returns them.

        {{X_rows}}

        Returns
        -------
        {{labels}}
        """
        (labels,) = self._run(X, self._outputs[:1])
        labels = np.asarray(labels).reshape(-1)
        return labels.astype(self.classes_.dtype, copy=False)

    @fill_doc(_PREDICT_DOC)
    def predict_with_proba(self, X: Any, return_warnings: bool = False) -> tuple[Any, ...]:
        """``(predict(X), predict_proba(X))`` from one run of the graph.

        {{X_rows}}
        return_warnings : bool, default=False
            Also return :meth:`input_warnings` of the rows (from the same conversion).

        Returns
        -------
        {{labels}}
        {{proba}}
        warnings : list of list of dict
            With ``return_warnings=True``: per row, the warnings of its values.
        """
        feeds = self._checked_feeds(X)
        labels, proba = self._run_feeds(feeds, self._outputs)
        labels = np.asarray(labels).reshape(-1).astype(self.classes_.dtype, copy=False)
        if not return_warnings:
            return labels, proba.astype(np.float64)
        n = len(labels)
        warnings = self._contract.warnings(feeds) if self._contract else [[] for _ in range(n)]
        return labels, proba.astype(np.float64), warnings

    def __repr__(self) -> str:
        return (
            f"OnnxClassifier(classes={self.classes_.tolist()}, "
            f"n_features={self.n_features_in_}, estimator={self.metadata.get('estimator')!r})"
        )


@fill_doc(SESSION_DOCS)
def load_model(
    model: Any, providers: list[str] | None = None, sess_options: Any = None, strict: bool = False
) -> OnnxClassifier | OnnxSurvival:
    """The runtime model a file's task needs: :class:`OnnxSurvival` for a survival model,
    :class:`OnnxClassifier` otherwise (one session is opened either way).

    {{session_params}}

    Returns
    -------
    model : OnnxClassifier or OnnxSurvival

    {{raises}}
    """
    session = open_session(model, providers, sess_options)
    task = session.get_modelmeta().custom_metadata_map.get("task")
    kind: type[OnnxClassifier] | type[OnnxSurvival]
    kind = OnnxSurvival if task == "survival" else OnnxClassifier
    loaded = kind.__new__(kind)
    loaded._attach(session, describe_source(model))
    loaded.strict = bool(strict)
    return loaded
