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
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime

from skmed._docstrings import fill_doc
from skmed._profile import FeedCheck, InputProfile
from skmed._schema import ROWS_DOC, InputError, Schema

__all__ = ["DecisionRule", "InputError", "ModelFormatError", "OnnxClassifier"]

_FORMAT_PREFIX = "skmed-onnx/"
_SUPPORTED_FORMATS = ("skmed-onnx/1",)


@dataclass(frozen=True)
class DecisionRule:
    """How the file's label output picks a class.

    Attributes
    ----------
    rule : {"threshold", "costs", "argmax"}
        A stored threshold on one class's risk, misclassification costs (``class_weight``), or
        the most probable class.
    pos_label : label or None
        The positive class, for two classes.
    threshold : float or None
        The risk of ``pos_label`` from which it is predicted, for two classes: the stored
        threshold, or for costs ``w`` the equivalent ``w0 / (w0 + w1)`` (0.5 without costs).
    """

    rule: str
    pos_label: Any = None
    threshold: float | None = None


class ModelFormatError(ValueError):
    """The file is not a readable ONNX model written by :func:`skmed.to_onnx`."""


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

#: Rows per onnxruntime call: large batches run in blocks of this many rows, which bounds
#: onnxruntime's arena (the members' block products keep a few [rows, 320] intermediates):
#: `skmed predict` on a million rows peaks at ~245 MB with 4096 (~300 MB with 8192), for ~2%
#: less throughput.
_BLOCK_ROWS = 4096


class OnnxClassifier:
    """Predict with an ONNX file written by :func:`skmed.to_onnx`, like the Python model.

    One ``onnxruntime.InferenceSession`` is created and shared; ``predict`` and
    ``predict_proba`` keep no state, so one instance may serve many threads at once.

    Parameters
    ----------
    model : str, path-like or bytes
        Path of the ``.onnx`` file, or its content.
    providers : list of str, default=None
        onnxruntime execution providers; ``["CPUExecutionProvider"]`` by default.
    sess_options : onnxruntime.SessionOptions, default=None
        Session options (threads, spinning, profiling); onnxruntime's defaults otherwise,
        with its log messages silenced.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, with the dtype they had in Python.
    feature_names_in_ : ndarray of shape (n_features,) or None
        Column names, when the model was exported from a frame.
    n_features_in_ : int
        Number of input features (columns).
    metadata : dict of str to str
        Everything in the file's ``metadata_props``: skmed's keys and the caller's.
    threshold : dict or None
        ``{"value": ..., "pos_label": ...}`` when the model predicts with a decision threshold.
    decision : DecisionRule
        How the label output picks a class (threshold, costs or argmax), as one threshold on the
        positive class's risk for two classes.
    input_schema : Schema
        The graph inputs: ``layout`` (``"columns"``: one input per frame column, or
        ``"matrix"``: one numeric ``X``) and, per input, its ``name`` and element ``kind``
        (``"double"``, ``"float"``, ``"int64"``, ``"bool"`` or ``"string"``).
    input_profile : InputProfile or None
        Per input column: its role, whether it may be missing, its categories or symptoms, and
        an aggregate summary of the training rows (None for a matrix model or an older file).
        Rows that the Python pipeline would refuse (a missing value with no imputer, a category
        its encoder refuses) raise :class:`InputError` here too.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ModelFormatError
        If the file is corrupt or truncated, or was not written by :func:`skmed.to_onnx`.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes,
        providers: list[str] | None = None,
        sess_options: onnxruntime.SessionOptions | None = None,
    ) -> None:
        source = _describe_source(model)
        if not isinstance(model, (bytes, bytearray)):
            path = os.fspath(model)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"No ONNX model file at {path!r}.")
            model = path
        options = sess_options
        if options is None:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 4  # our errors explain; keep onnxruntime quiet
        try:
            session = onnxruntime.InferenceSession(
                model, sess_options=options, providers=providers or ["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf / ...
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise ModelFormatError(
                f"Could not load {source} as an ONNX model; the file may be corrupt, truncated "
                f"or not ONNX at all (onnxruntime: {first_line})."
            ) from None
        self._session = session
        self.metadata: dict[str, str] = dict(session.get_modelmeta().custom_metadata_map)
        self._read_metadata(source)

    def _read_metadata(self, source: str) -> None:
        meta = self.metadata
        version = meta.get("skmed_format")
        if version is None:
            raise ModelFormatError(
                f"{source} is an ONNX model but was not written by skmed.to_onnx (no "
                "'skmed_format' metadata); run it with onnxruntime directly."
            )
        if version not in _SUPPORTED_FORMATS:
            raise ModelFormatError(
                f"{source} has skmed_format {version!r}; this skmed reads "
                f"{list(_SUPPORTED_FORMATS)}. Upgrade skmed."
            )
        try:
            self._schema = Schema.from_json(meta["inputs"])
            dtype = np.dtype(object if meta["classes_dtype"] == "object" else meta["classes_dtype"])
            self.classes_ = np.asarray(json.loads(meta["classes"]), dtype=dtype)
            outputs = json.loads(meta["outputs"])
            self._outputs = [outputs["label"], outputs["probabilities"]]
            self.threshold: dict[str, Any] | None = (
                json.loads(meta["threshold"]) if "threshold" in meta else None
            )
            self.input_profile: InputProfile | None = (
                InputProfile.from_json(meta["input_profile"]) if "input_profile" in meta else None
            )
            self.decision = _decision_rule(
                self.classes_.tolist(), self.threshold, meta.get("decision_weights")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{source} has incomplete skmed metadata: {exc!r}.") from None
        graph_inputs = {i.name for i in self._session.get_inputs()}
        declared = {spec.onnx_name for spec in self._schema.inputs}
        graph_outputs = {o.name for o in self._session.get_outputs()}
        if graph_inputs != declared or not set(self._outputs) <= graph_outputs:
            raise ModelFormatError(
                f"{source}: the graph's inputs/outputs do not match its skmed metadata."
            )
        schema = self.input_schema = self._schema
        self.feature_names_in_ = (
            np.asarray(schema.columns, dtype=object) if schema.layout == "columns" else None
        )
        self.n_features_in_ = schema.n_features
        check = FeedCheck(self.input_profile, schema) if self.input_profile else None
        self._check = check or None

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
    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(X), predict_proba(X))`` from one run of the graph.

        {{X_rows}}

        Returns
        -------
        {{labels}}
        {{proba}}
        """
        labels, proba = self._run(X, self._outputs)
        labels = np.asarray(labels).reshape(-1).astype(self.classes_.dtype, copy=False)
        return labels, proba.astype(np.float64)

    def _run(self, X: Any, outputs: list[str]) -> list[np.ndarray]:
        feeds = self._schema.feeds(X)
        if self._check is not None:
            self._check(feeds)
        n = len(next(iter(feeds.values()))) if feeds else 0
        try:  # only the outputs asked for (converting unused string labels costs time)
            if n <= _BLOCK_ROWS:
                return self._session.run(outputs, feeds)
            # onnxruntime's arena stays at its peak: blocks of rows bound the activations
            # (20k rows x 320 hidden units in float64 would hold ~50 MB per layer)
            parts = [
                self._session.run(outputs, {k: v[i : i + _BLOCK_ROWS] for k, v in feeds.items()})
                for i in range(0, n, _BLOCK_ROWS)
            ]
            return [np.concatenate([p[j] for p in parts]) for j in range(len(outputs))]
        except Exception as exc:  # noqa: BLE001 - re-raised with a readable message
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ValueError(f"The ONNX model could not run on X: {message}") from None

    def __repr__(self) -> str:
        return (
            f"OnnxClassifier(classes={self.classes_.tolist()}, "
            f"n_features={self.n_features_in_}, estimator={self.metadata.get('estimator')!r})"
        )


def _decision_rule(
    classes: list[Any], threshold: dict[str, Any] | None, costs: str | None
) -> DecisionRule:
    weights = json.loads(costs) if costs else None
    if threshold is not None:
        return DecisionRule("threshold", threshold["pos_label"], float(threshold["value"]))
    rule = "costs" if weights else "argmax"
    if len(classes) == 2:
        # argmax(w * p) picks the positive class when w1 p1 > w0 p0, i.e. p1 > w0 / (w0 + w1)
        w0, w1 = (float(weights[0]), float(weights[1])) if weights else (1.0, 1.0)
        return DecisionRule(rule, classes[1], w0 / (w0 + w1))
    return DecisionRule(rule)


def _describe_source(model: Any) -> str:
    if isinstance(model, (bytes, bytearray)):
        return f"the given bytes ({len(model)} bytes)"
    return repr(os.fspath(model))
