"""The schema itself: the layout and inputs of a model, read off a sample or the file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np

from skmed._docstrings import fill_doc
from skmed._missing import is_missing
from skmed._schema._convert import as_columns, convert_column, number_lists
from skmed._schema._inputs import (
    KIND_DTYPES,
    ROWS_DOC,
    InputError,
    InputSpec,
    MetadataJSON,
    is_frame,
)


@dataclass(frozen=True)
class Schema(MetadataJSON):
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
    def _float_specs(self) -> list[list[InputSpec]]:
        """The float inputs of each float kind (converted together from JSON rows)."""
        kinds = [[s for s in self.inputs if s.kind == kind] for kind in ("double", "float")]
        return [specs for specs in kinds if specs]

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

    _WHAT = "input schema"  # stored in the ``inputs`` metadata key

    def _to_data(self) -> dict[str, Any]:
        return {"layout": self.layout, "inputs": [asdict(s) for s in self.inputs]}

    @classmethod
    def _from_data(cls, data: Any) -> Schema:
        layout, inputs = data["layout"], tuple(InputSpec(**item) for item in data["inputs"])
        if layout not in ("columns", "matrix") or any(s.kind not in KIND_DTYPES for s in inputs):
            raise ValueError(f"unknown layout or input kind in {json.dumps(data)[:200]}")
        return cls(layout, inputs)

    # ------------------------------------------------------------------ feeding data

    @fill_doc(ROWS_DOC)
    def feeds(self, X: Any) -> dict[str, np.ndarray]:
        """Turn ``X`` into onnxruntime feeds, checking columns, types and the number of rows.

        {{X_rows}}

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
        columns = as_columns(X, names)
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
        feeds: dict[str, np.ndarray] = {}
        if not is_frame(X):  # JSON rows: each float kind's columns in one conversion
            for specs in self._float_specs:
                feeds.update(number_lists(columns, specs))
        for spec in self.inputs:
            if spec.onnx_name not in feeds:
                feeds[spec.onnx_name] = convert_column(columns[spec.name], spec).reshape(-1, 1)
        return {spec.onnx_name: feeds[spec.onnx_name] for spec in self.inputs}

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
