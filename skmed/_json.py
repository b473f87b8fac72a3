"""Plain Python values from numpy ones, for JSON, ONNX metadata and table attributes.

One helper for the whole package: numpy scalars become Python scalars (``np.int64(1)`` -> ``1``,
``np.str_("a")`` -> ``"a"``), arrays and tuples become lists, dicts are copied with their
values converted. Anything else (``str``, ``int``, ``None``...) is returned as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, arrays and tuples turned into Python scalars and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
