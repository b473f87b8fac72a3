"""Converting the caller's columns to the arrays the graph takes, naming the first bad value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from skmed._compat import frame_column_arrays
from skmed._missing import is_missing
from skmed._schema._inputs import KIND_DTYPES, MISSING_TEXT, InputError, InputSpec, is_frame


def as_columns(X: Any, expected: list[str]) -> dict[str, Any]:
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


def number_lists(columns: dict[str, Any], specs: list[InputSpec]) -> dict[str, np.ndarray]:
    """The ``specs``' columns (one float kind) converted in one numpy call, when each is a
    plain list of numbers or None (JSON rows); ``{}`` otherwise, and the columns go one by one
    through :func:`convert_column` (which also names what is wrong)."""
    lists = [columns[spec.name] for spec in specs]
    if not specs or any(type(values) is not list for values in lists):
        return {}
    types: set[type] = set()
    for values in lists:
        types.update(map(type, values))
    if not types <= _PLAIN_NUMBERS:
        return {}
    block = np.array(lists, dtype=KIND_DTYPES[specs[0].kind])  # (columns, rows): None -> NaN
    return {spec.onnx_name: block[j].reshape(-1, 1) for j, spec in enumerate(specs)}


def convert_column(values: Any, spec: InputSpec) -> np.ndarray:
    if spec.kind == "string" and type(getattr(values, "dtype", None)).__name__ == "StringDtype":
        # a pandas string column holds text or missing values only: no per-value check
        return values.to_numpy(dtype=object, na_value=MISSING_TEXT)
    if hasattr(values, "to_numpy"):
        values = values.to_numpy(dtype=object) if spec.kind == "string" else values.to_numpy()
    if isinstance(values, (list, tuple)) and spec.kind != "string":
        # plain Python numbers (JSON rows): numpy converts them, None to NaN, in C
        types = set(map(type, values))
        if bool in types and spec.kind != "bool":  # JSON true is not the number 1
            row = next(i for i, v in enumerate(values) if type(v) is bool)
            raise _must_hold(
                spec.name, row, f"numbers ({spec.kind})", f"bool value {values[row]!r}"
            )
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
        wrong = [
            i for i, v in enumerate(values) if isinstance(v, str) or not _is_number_or_missing(v)
        ]
        if wrong:
            # name the value that is not a number at all ('unknown'), not the first number
            # held as text ('0': a text column of a CSV with one stray entry)
            i = next((j for j in wrong if not _numeric_text(values[j])), wrong[0])
            v = values[i]
            expected = "booleans (True/False)" if spec.kind == "bool" else f"numbers ({spec.kind})"
            raise _must_hold(spec.name, i, expected, f"{type(v).__name__} value {v!r}")
        array = np.array([np.nan if is_missing(v) else v for v in values])
    if spec.kind in ("double", "float"):
        return array.astype(KIND_DTYPES[spec.kind], copy=False)
    if spec.kind == "bool":
        _refuse_missing(array, spec, "a boolean")
        if array.dtype.kind != "b":
            bad = np.flatnonzero(~np.isin(array, (0, 1)))
            if bad.size:
                row = int(bad[0])
                raise _must_hold(spec.name, row, "booleans (True/False)", repr(array[row].item()))
        return array.astype(np.bool_)
    # int64
    if array.dtype.kind == "f":
        _refuse_missing(array, spec, "an integer")
        fractional = np.flatnonzero(array != np.round(array))
        if fractional.size:
            i = int(fractional[0])
            held = f"the fractional value {array[i].item()!r}"
            raise _must_hold(spec.name, i, "integers (int64)", held)
    return array.astype(np.int64)


def _must_hold(name: str, row: int, expected: str, held: str) -> InputError:
    """The error for a value of the wrong type: which column, which row, what it holds."""
    return InputError(
        f"Column {name!r} must hold {expected}, but row {row} holds {held}.", column=name, row=row
    )


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
_PLAIN_NUMBERS = frozenset({float, int, type(None)})


def _numeric_text(value: Any) -> bool:
    """Whether ``value`` is text that reads as a number ("0", " 1.5")."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


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
            held = f"{type(value).__name__} value {value!r}"
            raise _must_hold(name, i, "text (string)", held)
        out[i] = MISSING_TEXT
    return out


_IS_STR = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)
