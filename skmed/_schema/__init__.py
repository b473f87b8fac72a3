"""The input schema of an exported model: its columns, their types, and how to feed them.

One package serves both sides. :func:`schema_from_sample` reads the schema off the sample given
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

from skmed._schema._inputs import (
    KIND_DTYPES,
    MISSING_TEXT,
    ROWS_DOC,
    InputError,
    InputSpec,
    MetadataJSON,
    is_frame,
)
from skmed._schema._layout import Schema, schema_from_sample

__all__ = [
    "KIND_DTYPES",
    "MISSING_TEXT",
    "ROWS_DOC",
    "InputError",
    "InputSpec",
    "MetadataJSON",
    "Schema",
    "is_frame",
    "schema_from_sample",
]
