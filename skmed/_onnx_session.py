"""What every runtime model of :mod:`skmed.runtime` shares: loading the file into one
onnxruntime session, checking skmed's metadata, turning rows into the graph's feeds, running it
in blocks of rows. numpy and onnxruntime only."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import onnxruntime

from skmed._card import card_columns, card_from_metadata
from skmed._contract import InputContract, first_warning
from skmed._profile import FeedCheck, InputProfile
from skmed._schema import Schema

_SUPPORTED_FORMATS = ("skmed-onnx/1",)

#: Rows per onnxruntime call: large batches run in blocks of this many rows, which bounds
#: onnxruntime's arena (the members' block products keep a few [rows, 320] intermediates):
#: `skmed predict` on a million rows peaks at ~245 MB with 4096 (~300 MB with 8192), for ~2%
#: less throughput.
BLOCK_ROWS = 4096


#: Docstring pieces shared by the runtime models (:func:`skmed._docstrings.fill_doc`).
SESSION_DOCS = {
    "session_params": """
    Parameters
    ----------
    model : str, path-like or bytes
        Path of the ``.onnx`` file, or its content.
    providers : list of str, default=None
        onnxruntime execution providers; ``["CPUExecutionProvider"]`` by default.
    sess_options : onnxruntime.SessionOptions, default=None
        Session options (threads, spinning, profiling); onnxruntime's defaults otherwise,
        with its log messages silenced.
    strict : bool, default=False
        Refuse (:class:`InputError`) a row that carries a warning -- an imputed value, a number
        outside the plausible or training range, an unseen category (see
        ``input_warnings``) -- instead of answering for it. Also an attribute.
    """,
    "input_attributes": """
    feature_names_in_ : ndarray of shape (n_features,) or None
        Column names, when the model was exported from a frame.
    n_features_in_ : int
        Number of input features (columns).
    metadata : dict of str to str
        Everything in the file's ``metadata_props``: skmed's keys and the caller's.
    """,
    "input_schema": """
    input_schema : Schema
        The graph inputs: ``layout`` (``"columns"``: one input per frame column, or
        ``"matrix"``: one numeric ``X``) and, per input, its ``name`` and element ``kind``
        (``"double"``, ``"float"``, ``"int64"``, ``"bool"`` or ``"string"``).
    input_profile : InputProfile or None
        Per input column: its role, whether it may be missing, its categories or symptoms, and
        an aggregate summary of the training rows (None for a matrix model or an older file).
        Rows that the Python pipeline would refuse (a missing value with no imputer, a category
        its encoder refuses) raise :class:`InputError` here too.
    """,
    "raises": """
    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ModelFormatError
        If the file is corrupt or truncated, or was not written by :func:`skmed.to_onnx`.
    """,
}


class ModelFormatError(ValueError):
    """The file is not a readable ONNX model written by :func:`skmed.to_onnx`."""


ModelFormatError.__module__ = "skmed.runtime"  # its public home


class OnnxModel:
    """Base of the runtime models: one shared session, the inputs, the outputs' names.

    A subclass reads its own metadata in ``_read_outputs`` (returning the output names it runs)
    and says which task it serves in ``_TASK`` (the file's ``task`` entry; classification files
    have none).
    """

    _TASK: str | None = None
    strict = False

    def __init__(
        self,
        model: str | os.PathLike[str] | bytes,
        providers: list[str] | None = None,
        sess_options: onnxruntime.SessionOptions | None = None,
        strict: bool = False,
    ) -> None:
        self._attach(open_session(model, providers, sess_options), describe_source(model))
        self.strict = bool(strict)

    def _attach(self, session: onnxruntime.InferenceSession, source: str) -> None:
        """Take an open session: read and check its metadata (``ModelFormatError`` if wrong)."""
        self._session = session
        self.metadata: dict[str, str] = dict(session.get_modelmeta().custom_metadata_map)
        self._read_metadata(source)

    def _read_outputs(self, meta: dict[str, str]) -> list[str]:
        raise NotImplementedError

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
        task = meta.get("task")
        if task != self._TASK:
            raise ModelFormatError(
                f"{source} holds a {task or 'classification'} model; load it with "
                f"skmed.runtime.{'OnnxSurvival' if task == 'survival' else 'OnnxClassifier'}."
            )
        try:
            self._schema = Schema.from_json(meta["inputs"])
            self._outputs = self._read_outputs(meta)
            self.input_profile: InputProfile | None = (
                InputProfile.from_json(meta["input_profile"]) if "input_profile" in meta else None
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
        self._contract = None
        if self.input_profile is not None:
            notes = card_columns(card_from_metadata(meta))
            ranges = {k: (v.low, v.high) for k, v in notes.items() if v.has_range}
            self._contract = InputContract(self.input_profile, schema, ranges)

    def input_warnings(self, X: Any) -> list[list[dict[str, Any]]]:
        """Per row of ``X``, what a clinician should know of its values before the answer.

        Each warning is a dict with ``column``, ``kind`` -- ``"imputed"`` (missing: the model
        fills it in), ``"out_of_range"`` (outside the model card's plausible range, else more
        than 3 interquartile ranges beyond the training quartiles; with ``low`` and ``high``)
        or ``"unseen_category"`` (a category the encoder never saw and ignores) -- ``value``
        and a ``message``. Rows the model refuses raise :class:`InputError` as in predict.
        A matrix model (one numeric ``X``) or an older file without a profile has none.
        """
        feeds = self._checked_feeds(X)
        n = len(next(iter(feeds.values()))) if feeds else 0
        return self._contract.warnings(feeds) if self._contract else [[] for _ in range(n)]

    def _checked_feeds(self, X: Any) -> dict[str, np.ndarray]:
        feeds = self._schema.feeds(X)
        if self._check is not None:
            self._check(feeds)
        if self._contract is not None:
            self._contract.refuse_empty(feeds)
            if self.strict:
                error = first_warning(self._contract.warnings(feeds))
                if error is not None:
                    raise error
        return feeds

    def _run(self, X: Any, outputs: list[str]) -> list[np.ndarray]:
        return self._run_feeds(self._checked_feeds(X), outputs)

    def _run_feeds(self, feeds: dict[str, np.ndarray], outputs: list[str]) -> list[np.ndarray]:
        n = len(next(iter(feeds.values()))) if feeds else 0
        try:  # only the outputs asked for (converting unused string labels costs time)
            if n <= BLOCK_ROWS:
                return self._session.run(outputs, feeds)
            # onnxruntime's arena stays at its peak: blocks of rows bound the activations
            # (20k rows x 320 hidden units in float64 would hold ~50 MB per layer)
            parts = [
                self._session.run(outputs, {k: v[i : i + BLOCK_ROWS] for k, v in feeds.items()})
                for i in range(0, n, BLOCK_ROWS)
            ]
            return [np.concatenate([p[j] for p in parts]) for j in range(len(outputs))]
        except Exception as exc:  # noqa: BLE001 - re-raised with a readable message
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ValueError(f"The ONNX model could not run on X: {message}") from None


def open_session(
    model: str | os.PathLike[str] | bytes,
    providers: list[str] | None,
    sess_options: onnxruntime.SessionOptions | None,
) -> onnxruntime.InferenceSession:
    """One onnxruntime session on a file or its bytes (``ModelFormatError`` if it is not ONNX)."""
    source = describe_source(model)
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
        return onnxruntime.InferenceSession(
            model, sess_options=options, providers=providers or ["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf / ...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
        raise ModelFormatError(
            f"Could not load {source} as an ONNX model; the file may be corrupt, truncated "
            f"or not ONNX at all (onnxruntime: {first_line})."
        ) from None


def describe_source(model: Any) -> str:
    if isinstance(model, (bytes, bytearray)):
        return f"the given bytes ({len(model)} bytes)"
    return repr(os.fspath(model))
