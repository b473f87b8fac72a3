"""One served model: its description, and a request body turned into predictions.

Only the runtime side of skmed is used (``skmed.runtime``, the schema and profile, ``_io`` for
CSV bodies): a server never loads scikit-learn or Keras.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
from typing import Any

import numpy as np

from skmed._card import card_columns, card_from_metadata
from skmed._io import iter_prediction_chunks
from skmed._profile import ColumnProfile, may_be_missing
from skmed._schema import InputError
from skmed.runtime import OnnxClassifier
from skmed.serve._codec import RequestError, orjson

__all__ = ["ServedModel"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ServedModel:
    """An exported model loaded for serving.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file written by :func:`skmed.to_onnx`.
    name : str, default=None
        The name in URLs (``/v1/models/{name}/...``); the file's stem by default.
    max_rows : int, default=10_000
        Largest batch accepted in one request.

    Raises
    ------
    FileNotFoundError, skmed.runtime.ModelFormatError
        If the file is missing or is not a skmed model.
    ValueError
        If the name is not a URL-safe word.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        max_rows: int = 10_000,
        strict: bool = False,
    ) -> None:
        path = os.fspath(path)
        if name is None:
            name = re.sub(r"[^A-Za-z0-9._-]", "-", os.path.splitext(os.path.basename(path))[0])
        if not _NAME.match(name):
            raise ValueError(
                f"Model name {name!r} must be 1-64 letters, digits, '.', '_' or '-' and start "
                "with a letter or digit."
            )
        with open(path, "rb") as handle:
            content = handle.read()
        self.name = name
        self.sha256 = hashlib.sha256(content).hexdigest()
        self.runtime = OnnxClassifier(content, strict=strict)
        self.strict = bool(strict)
        self.max_rows = max_rows
        runtime = self.runtime
        self.classes = [_plain(c) for c in runtime.classes_.tolist()]
        self.class_keys = [str(c) for c in self.classes]
        self.schema = runtime.input_schema
        self.profile = runtime.input_profile
        self.fields: dict[str, ColumnProfile | None] = {
            spec.name: (_lookup(self.profile, spec.name)) for spec in self.schema.inputs
        }
        self.kinds = {spec.name: spec.kind for spec in self.schema.inputs}
        self._optional = {s.name: may_be_missing(s, self.profile) for s in self.schema.inputs}
        self.symptom_separators = {
            name: field.separator or ";"
            for name, field in self.fields.items()
            if field is not None and field.role == "symptoms"
        }
        self.decision = runtime.decision
        self._label_json = {label: json.dumps(label) for label in self.classes}
        fields = ",".join(json.dumps(k).replace("%", "%%") + ":%r" for k in self.class_keys)
        positive = ',"positive":%s' if self.decision.threshold is not None else ""
        self._row_template = (
            '{"label":%s,"probabilities":{' + fields + "}" + positive + ',"warnings":%s}'
        )
        self.model_card = _json_or_none(runtime.metadata.get("model_card"))
        self.card_notes = card_columns(card_from_metadata(runtime.metadata))
        # the first request should not pay for onnxruntime's lazy set-up
        if self.schema.layout == "columns":
            with contextlib.suppress(RequestError):  # a row of aggregates the model refuses
                self.answer(self._from_records([self.example_record()]))

    def example_record(self) -> dict[str, Any]:
        """A plausible row built from aggregates only: medians, first categories, no symptoms."""
        record: dict[str, Any] = {}
        for spec in self.schema.inputs:
            field = self.fields.get(spec.name)
            median = field.quantiles.get("50") if field is not None else None
            if field is not None and field.role == "symptoms":
                value: Any = []
            elif field is not None and field.categories:
                value = field.categories[0]
            elif spec.kind == "bool":
                value = False
            elif spec.kind == "string":
                value = None if self.optional(spec.name) else ""
            elif median is not None:
                value = round(median) if spec.kind == "int64" else median
            else:
                value = None if self.optional(spec.name) else 0
            record[spec.name] = value
        return record

    # ------------------------------------------------------------------ description

    def optional(self, column: str) -> bool:
        """Whether a request may leave ``column`` out or null (the model takes it missing)."""
        return self._optional[column]

    def describe(self) -> dict[str, Any]:
        """The ``GET /v1/model`` document."""
        metadata = {
            k: v
            for k, v in self.runtime.metadata.items()
            if k not in ("inputs", "input_profile", "outputs", "classes", "classes_dtype")
        }
        return {
            "name": self.name,
            "sha256": self.sha256,
            "classes": self.classes,
            "layout": self.schema.layout,
            "inputs": [self._describe_input(spec) for spec in self.schema.inputs],
            # the one rule, as skmed inspect, the report and skmed predict state it
            "decision": self.decision.to_dict(),
            "model_card": self.model_card,
            "metadata": {k: _json_or_text(v) for k, v in metadata.items()},
        }

    def _describe_input(self, spec: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": spec.name, "kind": spec.kind}
        if spec.width != 1:
            out["width"] = spec.width
        out["required"] = not self.optional(spec.name) if self.schema.layout == "columns" else True
        field = self.fields.get(spec.name)
        if field is not None:
            out["role"] = field.role
            for key in ("categories", "symptoms", "separator"):
                if getattr(field, key) is not None:
                    out[key] = getattr(field, key)
            if field.categories is not None:
                out["unknown_refused"] = field.unknown_refused
            typical = field.typical_range()
            if typical is not None:
                out["typical_range"] = list(typical)
        return out

    # ------------------------------------------------------------------ prediction

    def columns_from_json(self, payload: Any) -> dict[str, Any] | list[list[Any]]:
        """The model's columns from a JSON body ``{"records": [...]}`` or ``{"columns": {...}}``."""
        if (
            not isinstance(payload, dict)
            or len(payload) != 1
            or not ("records" in payload or "columns" in payload)
        ):
            keys = list(payload) if isinstance(payload, dict) else type(payload).__name__
            raise RequestError(
                422,
                'The JSON body must be an object with one key, "records" (a list of rows) or '
                f'"columns" (an object of equally long lists); got {keys}.',
            )
        if self.schema.layout == "matrix":
            rows = payload.get("records")
            if not isinstance(rows, list):
                raise RequestError(
                    422, 'This model takes {"records": [[number, ...], ...]} (one list per row).'
                )
            self.check_batch(len(rows))
            return rows
        if "records" in payload:
            return self._from_records(payload["records"])
        return self._from_columns(payload["columns"])

    def check_batch(self, n: int) -> None:
        if n == 0:
            raise RequestError(422, "The batch is empty (0 rows); send at least one row.")
        if n > self.max_rows:
            raise RequestError(
                413,
                f"The batch has {n} rows; this server takes at most {self.max_rows} per request.",
            )

    def _from_records(self, records: Any) -> dict[str, Any]:
        if not isinstance(records, list):
            raise RequestError(422, '"records" must be a list of objects, one per row.')
        self.check_batch(len(records))
        names = self.schema.columns
        known = set(names)
        columns: dict[str, list[Any]] = {name: [] for name in names}
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise RequestError(
                    422, f"Row {i} is a {type(record).__name__}, not an object.", row=i
                )
            if len(record) != len(names) or record.keys() != known:
                self.check_fields(record.keys(), i)
            for name in names:
                columns[name].append(record.get(name))
        return self._finish(columns)

    def _from_columns(self, given: Any) -> dict[str, Any]:
        if not isinstance(given, dict) or not all(isinstance(v, list) for v in given.values()):
            raise RequestError(422, '"columns" must be an object of lists, one per column.')
        lengths = {len(v) for v in given.values()}
        if len(lengths) > 1:
            raise RequestError(
                422,
                f"The columns have different lengths: { {k: len(v) for k, v in given.items()} }.",
            )
        n = lengths.pop() if lengths else 0
        self.check_batch(n)
        self.check_fields(given.keys(), None)
        columns = {name: given.get(name) or [None] * n for name in self.schema.columns}
        return self._finish(columns)

    def check_fields(self, keys: Any, row: int | None) -> None:
        where = f"Row {row}" if row is not None else "The request"
        unknown = [k for k in keys if k not in self.kinds]
        if unknown:
            raise RequestError(
                422,
                f"{where} has the unknown field {unknown[0]!r}; the model takes "
                f"{self.schema.columns}.",
                field=str(unknown[0]),
                row=row,
            )
        absent = [c for c in self.schema.columns if c not in keys and not self.optional(c)]
        if absent:
            raise RequestError(
                422,
                f"{where} lacks the required field {absent[0]!r} (the model has no imputer "
                "for it).",
                field=absent[0],
                row=row,
            )

    def _finish(self, columns: dict[str, list[Any]]) -> dict[str, Any]:
        """Join the lists of a symptom-list column with its separator.

        Other columns go to the runtime as they are: its conversion refuses a value of the
        wrong type (a list, an object) naming the row and column.
        """
        for name in self.symptom_separators:
            separator = self.symptom_separators[name]
            values = columns[name]
            for i, value in enumerate(values):
                if isinstance(value, list):
                    if not all(isinstance(v, str) for v in value):
                        raise RequestError(
                            422,
                            f"Field {name!r} of row {i} must be a list of symptom names.",
                            field=name,
                            row=i,
                        )
                    values[i] = separator.join(value)
        return columns

    def columns_from_csv(self, body: bytes) -> dict[str, Any]:
        """The model's columns from a ``text/csv`` body with a header row."""
        inputs = [(spec.name, spec.kind) for spec in self.schema.inputs]
        try:
            chunks = iter_prediction_chunks(io.BytesIO(body), inputs, chunk_size=self.max_rows + 1)
            _, columns = next(chunks)
        except InputError as exc:
            raise RequestError(422, str(exc), field=exc.column, row=exc.row) from None
        except ValueError as exc:
            raise RequestError(400, str(exc)) from None
        self.check_batch(len(next(iter(columns.values()))))
        return columns

    def predict(self, columns: Any) -> tuple[np.ndarray, np.ndarray, list[list[dict[str, Any]]]]:
        """Labels, probabilities and per-row warnings of the given columns (or matrix rows)."""
        try:
            labels, proba, warnings = self.runtime.predict_with_proba(columns, return_warnings=True)
        except InputError as exc:
            raise RequestError(422, str(exc), field=exc.column, row=exc.row) from None
        except ValueError as exc:
            raise RequestError(422, str(exc)) from None
        finite = np.isfinite(proba).all(axis=1)
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            raise RequestError(
                422, f"Row {row} gives no finite probability (a value out of range?).", row=row
            )
        return labels, proba, warnings

    def encode(
        self, labels: np.ndarray, proba: np.ndarray, warnings: list[list[dict[str, Any]]]
    ) -> bytes:
        """The ``POST /v1/predict`` answer as JSON bytes (each row with its ``warnings``)."""
        label_list = labels.tolist()
        if orjson is None:
            return self._encode_with_template(label_list, proba, warnings)
        keys = self.class_keys
        if self.decision.threshold is not None:
            pos = self.decision.pos_label
            rows = [
                {
                    "label": label,
                    "probabilities": dict(zip(keys, p)),
                    "positive": label == pos,
                    "warnings": w,
                }
                for label, p, w in zip(label_list, proba.tolist(), warnings)
            ]
        else:
            rows = [
                {"label": label, "probabilities": dict(zip(keys, p)), "warnings": w}
                for label, p, w in zip(label_list, proba.tolist(), warnings)
            ]
        return orjson.dumps({"model": self.name, "n_rows": len(rows), "predictions": rows})

    def _encode_with_template(
        self, label_list: list[Any], proba: np.ndarray, warnings: list[list[dict[str, Any]]]
    ) -> bytes:
        # a per-row template (``%r`` of a finite float is its JSON number): ~2x faster than
        # json.dumps of the equivalent dicts
        template, label_json = self._row_template, self._label_json
        if self.decision.threshold is not None:
            pos = self.decision.pos_label
            rows = [
                template % (label_json[label], *p, "true" if label == pos else "false", _js(w))
                for label, p, w in zip(label_list, proba.tolist(), warnings)
            ]
        else:
            rows = [
                template % (label_json[label], *p, _js(w))
                for label, p, w in zip(label_list, proba.tolist(), warnings)
            ]
        head = f'{{"model":{json.dumps(self.name)},"n_rows":{len(rows)},"predictions":['
        return (head + ",".join(rows) + "]}").encode()

    def answer(self, columns: Any) -> bytes:
        """Predict and encode: the answer to one request."""
        return self.encode(*self.predict(columns))


def _js(warnings: list[dict[str, Any]]) -> str:
    return json.dumps(warnings) if warnings else "[]"


def _lookup(profile: Any, name: str) -> ColumnProfile | None:
    if profile is None:
        return None
    try:
        return profile[name]
    except KeyError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
