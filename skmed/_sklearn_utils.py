"""Small helpers about fitted scikit-learn objects, shared by the exporter and the explainers.

Only numpy is imported: the functions read attributes of objects the caller already has.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

__all__ = ["column_positions"]


def column_positions(columns: Any, names: list[Any]) -> list[int]:
    """Positions in ``names`` of one column selection of a fitted ``ColumnTransformer``.

    Parameters
    ----------
    columns : str, int, slice, list of str / int / bool, or array of those
        The selection as stored in ``ColumnTransformer.transformers_`` (callables are already
        resolved there). A slice of names includes its ``stop``, as scikit-learn's does.
    names : list
        The input columns of the ColumnTransformer, in order.

    Returns
    -------
    list of int
        Non-negative positions, in selection order.

    Raises
    ------
    ValueError
        If the selection names a column not in ``names``, an integer is out of range, a boolean
        mask has the wrong length, or the selection is a callable.
    """
    n = len(names)
    text = [str(c) for c in names]
    if isinstance(columns, slice):
        start, stop = columns.start, columns.stop
        if isinstance(start, str) or isinstance(stop, str):
            lo = _position_of(start, text) if start is not None else 0
            hi = _position_of(stop, text) + 1 if stop is not None else n
            return list(range(n))[lo : hi : columns.step]
        return list(range(n))[columns]
    if callable(columns):
        raise ValueError(
            "A callable column selection is resolved by fitting the ColumnTransformer; pass its "
            "fitted transformers_."
        )
    if np.isscalar(columns):
        columns = [columns]
    selected = list(np.asarray(columns, dtype=object).reshape(-1).tolist())
    if selected and all(isinstance(c, (bool, np.bool_)) for c in selected):
        if len(selected) != n:
            raise ValueError(
                f"A boolean column mask of length {len(selected)} does not match the {n} columns."
            )
        return [int(i) for i in np.flatnonzero(selected)]
    if selected and all(isinstance(c, Integral) for c in selected):
        out = []
        for c in selected:
            if not -n <= int(c) < n:
                raise ValueError(f"Column index {int(c)} is out of range for {n} columns.")
            out.append(int(c) % n)
        return out
    return [_position_of(c, text) for c in selected]


def _position_of(column: Any, text: list[str]) -> int:
    try:
        return text.index(str(column))
    except ValueError:
        raise ValueError(f"Column {column!r} is not one of the columns {text}.") from None
