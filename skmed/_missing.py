"""What counts as a missing value: one definition for the whole package.

``None``, float NaN (also ``np.nan`` and numpy NaN scalars), ``pd.NA`` and ``pd.NaT`` are
missing. pandas' ``NA`` and ``NaT`` are recognised by their type names, so this module imports
only the standard library and numpy and the runtime can use it without loading pandas.

``pd.NA`` needs that check: ``pd.NA != pd.NA`` is ``pd.NA`` again, and ``bool(pd.NA)`` raises,
so the usual ``value != value`` test alone misses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_missing", "missing_mask"]

_MISSING_TYPE_NAMES = frozenset({"NAType", "NaTType"})


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``pd.NaT``; False for anything else."""
    if value is None or type(value).__name__ in _MISSING_TYPE_NAMES:
        return True
    try:
        return bool(value != value)  # NaN (float, numpy), NaT of numpy datetimes
    except (TypeError, ValueError):
        return False  # arrays, objects whose comparison does not give one bool


def missing_mask(values: Any) -> np.ndarray:
    """Boolean array, True where ``values`` (any 1-D sequence, Series or array) is missing."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy(dtype=object)
    # a list of text and NaN must stay objects: numpy would turn NaN into the text "nan"
    array = np.asarray(values, dtype=object if isinstance(values, (list, tuple)) else None)
    if array.dtype.kind == "O" and array.size and all(type(v) is float for v in array.flat):
        array = array.astype(np.float64)
    if array.dtype.kind == "f":
        return np.isnan(array)
    if array.dtype.kind in "mM":
        return np.isnat(array)
    if array.dtype.kind != "O":
        return np.zeros(array.shape, dtype=bool)
    flat = [is_missing(v) for v in array.reshape(-1).tolist()]
    return np.array(flat, dtype=bool).reshape(array.shape)
