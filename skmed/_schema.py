"""The input schema of an exported model: its columns, their types, and how to feed them.

One module serves both sides. :func:`schema_from_sample` reads the schema off the sample given
to :func:`skmed.to_onnx` and :meth:`Schema.to_json` stores it in the ONNX file;
:class:`skmed.runtime.OnnxClassifier` reads it back with :meth:`Schema.from_json` and turns the
caller's data into onnxruntime feeds with :meth:`Schema.feeds`, checking every column on the way.

Two layouts exist. ``"columns"``: the sample was a pandas frame, and every column is one graph
input of shape ``(n, 1)`` with its own type. ``"matrix"``: the sample was a numeric array, and the
graph takes one float input ``X`` of shape ``(n, n_features)``.

Only numpy is imported here: frames are recognised by their attributes, so neither pandas nor
scikit-learn is ever loaded by this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np

from skmed._compat import frame_column_arrays
from skmed._missing import is_missing

#: Input kinds, mapped to the numpy dtype each graph input is fed with.
KIND_DTYPES: dict[str, Any] = {
    "double": np.float64,
    "float": np.float32,
    "int64": np.int64,
    "bool": np.bool_,
    "string": object,
}

#: A text value that is missing (None / NaN) is fed to the graph as this string.
MISSING_TEXT = ""


class InputError(ValueError):
    """Rows that the model cannot take, with the column and row at fault when there is one.

    A ``ValueError``, so ``except ValueError`` keeps working; a server reads ``column`` and
    ``row`` to answer which field of which row is wrong.

    Parameters
    ----------
    message : str
        The explanation, naming the column and row.
    column : str, default=None
        The input column at fault.
    row : int, default=None
        The 0-based position of the row at fault in the batch.
    """

    def __init__(self, message: str, column: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.row = row


@dataclass(frozen=True)
class InputSpec:
    """One graph input.

    Parameters
    ----------
    name : str
        The caller-facing name: the frame column, or ``"X"`` for the matrix layout.
    onnx_name : str
        The name of the input in the ONNX graph (skl2onnx may sanitize column names).
    kind : {"double", "float", "int64", "bool", "string"}
        Element type the graph expects (``"double"`` is float64, ``"float"`` float32).
    width : int
        Number of columns of the input: 1 for a frame column, ``n_features`` for ``X``.
    """

    name: str
    onnx_name: str
    kind: str
    width: int = 1


@dataclass(frozen=True)
class Schema:
    """The inputs of an exported model.

    Parameters
    ----------
    layout : {"columns", "matrix"}
        One input per frame column, or one numeric matrix ``X``.
    inputs : tuple of InputSpec
        The graph inputs, in order.
    """

    layout: str
    inputs: tuple[InputSpec, ...]

    @cached_property
    def columns(self) -> list[str]:
        """Caller-facing input names, in order."""
        return [spec.name for spec in self.inputs]

    @cached_property
    def _column_set(self) -> frozenset[str]:
        return frozenset(self.columns)

    @property
    def n_features(self) -> int:
        """Number of raw features the model takes."""
        return sum(spec.width for spec in self.inputs)

    def with_onnx_names(self, onnx_names: list[str]) -> Schema:
        """Return a copy whose inputs carry the given graph input names, in order."""
        if len(onnx_names) != len(self.inputs):
            raise ValueError(
                f"The graph has {len(onnx_names)} inputs but the schema describes "
                f"{len(self.inputs)}."
            )
        specs = tuple(
            InputSpec(spec.name, onnx, spec.kind, spec.width)
            for spec, onnx in zip(self.inputs, onnx_names)
        )
        return Schema(self.layout, specs)

    def with_numeric_kind(self, kind: str) -> Schema:
        """Return a copy whose float columns (and matrix) have kind ``"double"`` or ``"float"``."""
        specs = tuple(
            InputSpec(
                s.name, s.onnx_name, kind if s.kind in ("double", "float") else s.kind, s.width
            )
            for s in self.inputs
        )
        return Schema(self.layout, specs)

    def to_json(self) -> str:
        """Serialize to the JSON stored in the ``inputs`` metadata key."""
        return json.dumps({"layout": self.layout, "inputs": [asdict(s) for s in self.inputs]})

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read a schema written by :meth:`to_json`.

        Raises
        ------
        ValueError
            If the text is not a schema.
        """
        try:
            data = json.loads(text)
            inputs = tuple(InputSpec(**item) for item in data["inputs"])
            layout = data["layout"]
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"Malformed input schema in the model metadata: {exc}") from None
        if layout not in ("columns", "matrix") or any(s.kind not in KIND_DTYPES for s in inputs):
            raise ValueError(f"Malformed input schema in the model metadata: {text[:200]}")
        return cls(layout, inputs)

    # ------------------------------------------------------------------ feeding data

    def feeds(self, X: Any) -> dict[str, np.ndarray]:
        """Turn ``X`` into onnxruntime feeds, checking columns, types and the number of rows.

        Parameters
        ----------
        X : pandas.DataFrame, dict of columns, list of dict records or array-like
            The rows to predict.

        Returns
        -------
        feeds : dict of str to ndarray
            One array per graph input, of the dtype and shape the graph expects.

        Raises
        ------
        ValueError
            Naming the problem: a missing, extra or wrongly typed column, a wrong number of
            features, or an empty batch.
        """
        if self.layout == "matrix":
            return self._matrix_feeds(X)
        names = self.columns
        columns = _as_columns(X, names)
        missing = (
            [c for c in names if c not in columns] if columns.keys() != self._column_set else []
        )
        extra = (
            [c for c in columns if c not in self._column_set]
            if len(columns) != len(names) or missing
            else []
        )
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing column(s) {missing}")
            if extra:
                parts.append(f"unexpected column(s) {extra}")
            raise InputError(
                f"X does not match the model's columns: {'; '.join(parts)}. "
                f"The model expects {self.columns}.",
                column=(missing or extra)[0],
            )
        if is_frame(X):  # a frame's columns share its length
            lengths = {len(X)}
        else:
            n_rows = {name: len(values) for name, values in columns.items()}
            lengths = set(n_rows.values())
            if len(lengths) > 1:
                raise InputError(f"The columns of X have different lengths: {n_rows}.")
        if not lengths or 0 in lengths:
            raise InputError("X is an empty batch (0 rows); pass at least one row.")
        return {
            spec.onnx_name: _convert_column(columns[spec.name], spec).reshape(-1, 1)
            for spec in self.inputs
        }

    def _matrix_feeds(self, X: Any) -> dict[str, np.ndarray]:
        (spec,) = self.inputs
        if isinstance(X, Mapping) or (isinstance(X, list) and X and isinstance(X[0], Mapping)):
            raise InputError(
                "This model was exported from a numeric array, so it takes a 2D array of "
                f"{spec.width} features, not named columns."
            )
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        try:
            array = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"X must be a numeric 2D array: {exc}") from None
        if array.ndim != 2:
            raise InputError(
                f"X must be a 2D array of shape (n_samples, {spec.width}); got {array.ndim} "
                f"dimension(s) with shape {array.shape}."
            )
        if array.shape[0] == 0:
            raise InputError("X is an empty batch (0 rows); pass at least one row.")
        if array.shape[1] != spec.width:
            raise InputError(
                f"X has {array.shape[1]} features, but the model expects {spec.width}."
            )
        return {spec.onnx_name: array.astype(KIND_DTYPES[spec.kind], copy=False)}


# ---------------------------------------------------------------------- reading the sample


def is_frame(X: Any) -> bool:
    """Whether ``X`` looks like a pandas frame (checked without importing pandas)."""
    kind = type(X)  # on the class: the instance's ``dtypes`` would build a Series (~80 us)
    return hasattr(kind, "columns") and hasattr(kind, "dtypes") and hasattr(kind, "iloc")


def schema_from_sample(X: Any) -> Schema:
    """Read the input schema off a sample of the training data.

    A frame with string column names gives the ``"columns"`` layout, one input per column typed
    from its dtype; a numeric array gives the ``"matrix"`` layout.

    Raises
    ------
    ValueError
        If the sample is empty, not 2D, has non-string column names, or a column of a type that
        has no ONNX equivalent.
    """
    if is_frame(X):
        names = list(X.columns)
        if not all(isinstance(c, str) for c in names):
            raise ValueError(
                "X_sample is a frame whose column names are not all strings "
                f"({names[:5]}...); name the columns, or pass a numpy array."
            )
        if len(X) == 0:
            raise ValueError("X_sample is empty; pass a few rows of the training data.")
        return Schema(
            "columns",
            tuple(InputSpec(c, c, _frame_column_kind(X[c], c)) for c in names),
        )
    array = np.asarray(X)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"X_sample must be a non-empty 2D array or a pandas frame; got shape {array.shape}."
        )
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"X_sample is an array of dtype {array.dtype}; arrays must be numeric. Pass a pandas "
            "frame to export a model that takes text columns."
        )
    return Schema("matrix", (InputSpec("X", "X", "double", int(array.shape[1])),))


def _frame_column_kind(column: Any, name: str) -> str:
    dtype = column.dtype
    if getattr(dtype, "name", "") == "category":
        dtype = dtype.categories.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "b" or str(dtype) == "boolean":
        return "bool"
    if kind in "iu" or str(dtype) in (
        "Int8",
        "Int16",
        "Int32",
        "Int64",
        "UInt8",
        "UInt16",
        "UInt32",
        "UInt64",
    ):
        return "int64"
    if kind == "f" or str(dtype) in ("Float32", "Float64"):
        return "double"
    values = [v for v in column.tolist() if not is_missing(v)]
    if all(isinstance(v, str) for v in values):
        return "string"
    kinds = sorted({type(v).__name__ for v in values})
    raise ValueError(
        f"Column {name!r} has dtype {dtype} holding {kinds}; ONNX inputs are float, int64, bool "
        "or string columns. Convert it to one of those."
    )


# ---------------------------------------------------------------------- converting columns


def _as_columns(X: Any, expected: list[str]) -> dict[str, Any]:
    """Split X into named columns (frame, dict of columns, list of records or 2D array)."""
    if is_frame(X):
        columns = frame_column_arrays(X)
        return {str(name): column for name, column in zip(X.columns.tolist(), columns)}
    if isinstance(X, Mapping):
        # a scalar is one row (np.ndim would cost ~1 us per column)
        return {
            str(k): v if isinstance(v, (list, tuple)) or getattr(v, "ndim", 0) >= 1 else [v]
            for k, v in X.items()
        }
    if isinstance(X, (list, tuple)) and X and all(isinstance(r, Mapping) for r in X):
        keys: list[str] = []
        for record in X:
            keys.extend(k for k in record if k not in keys)
        for i, record in enumerate(X):
            absent = [k for k in keys if k not in record]
            if absent:
                raise InputError(
                    f"Record {i} has no value for column(s) {absent}.", column=absent[0], row=i
                )
        return {str(k): [record[k] for record in X] for k in keys}
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise InputError("X is an empty batch (0 rows); pass at least one row.")
    array = np.asarray(X, dtype=object)
    if array.ndim != 2:
        raise InputError(
            "X must be a pandas frame, a dict of columns, a list of record dicts or a 2D array; "
            f"got {type(X).__name__} with {array.ndim} dimension(s)."
        )
    if array.shape[0] == 0:
        raise InputError("X is an empty batch (0 rows); pass at least one row.")
    if array.shape[1] != len(expected):
        raise InputError(
            f"X has {array.shape[1]} features, but the model expects {len(expected)}: {expected}."
        )
    return {name: array[:, j] for j, name in enumerate(expected)}


def _convert_column(values: Any, spec: InputSpec) -> np.ndarray:
    if spec.kind == "string" and type(getattr(values, "dtype", None)).__name__ == "StringDtype":
        # a pandas string column holds text or missing values only: no per-value check
        return values.to_numpy(dtype=object, na_value=MISSING_TEXT)
    if hasattr(values, "to_numpy"):
        values = values.to_numpy(dtype=object) if spec.kind == "string" else values.to_numpy()
    if isinstance(values, (list, tuple)) and spec.kind != "string":
        # plain Python numbers (JSON rows): numpy converts them, None to NaN, in C
        types = set(map(type, values))
        if types <= _FLOAT_TYPES and spec.kind in ("double", "float"):
            return np.array(values, dtype=KIND_DTYPES[spec.kind])
        if types <= _INT_TYPES and spec.kind in ("int64", "bool"):
            array = np.array(values, dtype=np.int64)
            if spec.kind == "int64" or types == {bool}:
                return array.astype(KIND_DTYPES[spec.kind], copy=False)
    # a list of numbers and text would become all text: keep each value's own type
    as_object = spec.kind == "string" or isinstance(values, (list, tuple))
    if isinstance(values, (list, tuple)):  # never nested: a list value stays one object
        array = np.fromiter(values, dtype=object, count=len(values))
    else:
        array = np.asarray(values, dtype=object) if as_object else np.asarray(values)
    if array.ndim != 1:
        array = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
    if array.ndim != 1:
        raise InputError(
            f"Column {spec.name!r} must be one-dimensional; got {array.shape}.", column=spec.name
        )
    if spec.kind == "string":
        return _text_column(array, spec.name)
    if array.dtype.kind in "OUS":
        values = array.tolist()
        for i, v in enumerate(values):
            if isinstance(v, str) or not _is_number_or_missing(v):
                expected = (
                    "booleans (True/False)" if spec.kind == "bool" else f"numbers ({spec.kind})"
                )
                raise InputError(
                    f"Column {spec.name!r} must hold {expected}, but row {i} holds "
                    f"{type(v).__name__} value {v!r}.",
                    column=spec.name,
                    row=i,
                )
        array = np.array([np.nan if is_missing(v) else v for v in values])
    if spec.kind in ("double", "float"):
        return array.astype(KIND_DTYPES[spec.kind], copy=False)
    if spec.kind == "bool":
        _refuse_missing(array, spec, "a boolean")
        if array.dtype.kind != "b":
            bad = np.flatnonzero(~np.isin(array, (0, 1)))
            if bad.size:
                raise InputError(
                    f"Column {spec.name!r} must hold booleans (True/False), but row "
                    f"{int(bad[0])} holds {array[bad[0]].item()!r}.",
                    column=spec.name,
                    row=int(bad[0]),
                )
        return array.astype(np.bool_)
    # int64
    if array.dtype.kind == "f":
        _refuse_missing(array, spec, "an integer")
        fractional = np.flatnonzero(array != np.round(array))
        if fractional.size:
            i = int(fractional[0])
            raise InputError(
                f"Column {spec.name!r} must hold integers (int64), but row {i} holds the "
                f"fractional value {array[i].item()!r}.",
                column=spec.name,
                row=i,
            )
    return array.astype(np.int64)


def _refuse_missing(array: np.ndarray, spec: InputSpec, what: str) -> None:
    """Raise naming the first missing row: an int64 or bool tensor cannot hold NaN."""
    if array.dtype.kind != "f":
        return
    nan = np.flatnonzero(np.isnan(array))
    if nan.size:
        raise InputError(
            f"Column {spec.name!r} is {what} column in the model and cannot hold missing "
            f"values (row {int(nan[0])} is missing).",
            column=spec.name,
            row=int(nan[0]),
        )


_FLOAT_TYPES = frozenset({float, int, bool, type(None)})
_INT_TYPES = frozenset({int, bool})


def _is_number_or_missing(value: Any) -> bool:
    return is_missing(value) or isinstance(value, (int, float, bool, np.number, np.bool_))


def _text_column(array: np.ndarray, name: str) -> np.ndarray:
    is_text = _IS_STR(array).astype(bool)  # one C loop; the Python loop below only sees the rest
    if is_text.all():
        return array
    out = array.copy()
    for i in np.flatnonzero(~is_text).tolist():
        value = array[i]
        if not is_missing(value):
            raise InputError(
                f"Column {name!r} must hold text (string), but row {i} holds "
                f"{type(value).__name__} value {value!r}.",
                column=name,
                row=i,
            )
        out[i] = MISSING_TEXT
    return out


_IS_STR = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)
