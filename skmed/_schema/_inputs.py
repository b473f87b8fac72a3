"""What the parts of the input schema share: the input kinds, one input, the input error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

M = TypeVar("M", bound="MetadataJSON")

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


def is_frame(X: Any) -> bool:
    """Whether ``X`` looks like a pandas frame (checked without importing pandas)."""
    kind = type(X)  # on the class: the instance's ``dtypes`` would build a Series (~80 us)
    return hasattr(kind, "columns") and hasattr(kind, "dtypes") and hasattr(kind, "iloc")


#: Docstring piece (:func:`skmed._docstrings.fill_doc`): the parameters of the methods that
#: take rows to predict.
ROWS_DOC = {
    "X_rows": """
        Parameters
        ----------
        X : pandas.DataFrame, dict of columns, list of dict records or array-like
            The rows to predict, with the columns the model was exported with.
        """,
}


class MetadataJSON:
    """A value the file stores as JSON under one metadata key.

    Subclasses name it in ``_WHAT`` and give ``_to_data`` and ``_from_data``; ``_from_data``
    raises ``KeyError``, ``TypeError`` or ``ValueError`` on malformed data.
    """

    _WHAT = "value"

    def _to_data(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _from_data(cls: type[M], data: Any) -> M:
        raise NotImplementedError

    def to_json(self) -> str:
        """Serialize to the JSON stored in the model's metadata."""
        return json.dumps(self._to_data())

    @classmethod
    def from_json(cls: type[M], text: str) -> M:
        """Read what :meth:`to_json` wrote.

        Raises
        ------
        ValueError
            "Malformed ... in the model metadata", if the text is not JSON or not such a value.
        """
        try:
            return cls._from_data(json.loads(text))
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"Malformed {cls._WHAT} in the model metadata: {exc}") from None
