"""The server's JSON: orjson when installed (3-6x faster for large batches), and its errors."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ARROW", "RequestError", "arrow_answer", "arrow_columns", "orjson", "parse_json"]


def _load_orjson() -> Any:
    try:  # 3-6x faster JSON for large batches; the standard library otherwise
        import orjson
    except ImportError:  # pragma: no cover - orjson ships with skmed[serve]
        return None
    return orjson


orjson: Any = _load_orjson()


def parse_json(body: bytes) -> Any:
    """The request body as JSON (orjson when installed), or a 400 RequestError."""
    try:
        return orjson.loads(body) if orjson is not None else json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(400, f"The body is not valid JSON: {exc}.") from None


class RequestError(Exception):
    """A request the server answers with a 4xx status and a message naming the field at fault.

    Parameters
    ----------
    status : int
        HTTP status code.
    message : str
    field, row : str or int, optional
        The input column and 0-based row at fault, when there is one.
    """

    def __init__(
        self, status: int, message: str, field: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.row = status, message, field, row

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.row is not None:
            error["row"] = self.row
        return {"error": error}


# ---------------------------------------------------------------------- Arrow

ARROW = b"application/vnd.apache.arrow.stream"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401 - the submodule is not loaded by the package
    except ImportError:  # pragma: no cover - pyarrow ships with skmed[serve]
        raise RequestError(
            415, "Arrow bodies need pyarrow on the server (pip install pyarrow)."
        ) from None
    return pyarrow


def arrow_columns(model: Any, body: bytes) -> dict[str, Any]:
    """The model's columns from an Arrow IPC stream body (one record batch or several).

    Columns come out as numpy arrays (floats with NaN, text as objects with None); a list column
    of a symptom-list input is joined with its separator; a column left out that the model
    takes missing is all missing.
    """
    import numpy as np

    pa = _pyarrow()
    if model.schema.layout != "columns":
        raise RequestError(415, "Arrow bodies need a model exported with named columns.")
    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RequestError(400, f"The body is not an Arrow IPC stream: {message}") from None
    model.check_batch(table.num_rows)
    model.check_fields(table.column_names, None)
    columns: dict[str, Any] = {}
    for name in model.schema.columns:
        if name not in table.column_names:
            columns[name] = np.full(table.num_rows, None, dtype=object)
            continue
        column = table.column(name)
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            separator = model.symptom_separators.get(name, ";")
            columns[name] = [
                None if v is None else separator.join(map(str, v)) for v in column.to_pylist()
            ]
        else:
            columns[name] = column.to_numpy(zero_copy_only=False)
    return columns


def arrow_answer(model: Any, labels: Any, proba: Any) -> bytes:
    """An Arrow IPC stream: ``label``, one ``proba_<class>`` column per class (and ``positive``)."""
    pa = _pyarrow()
    arrays = [pa.array(labels.tolist())]
    names = ["label"]
    for j, key in enumerate(model.class_keys):
        arrays.append(pa.array(proba[:, j]))
        names.append(f"proba_{key}")
    if model.decision.threshold is not None:
        arrays.append(pa.array(labels == model.decision.pos_label))
        names.append("positive")
    table = pa.Table.from_arrays(arrays, names=names)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
