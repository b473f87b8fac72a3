"""The one graph writer of skmed's converters: named constants and nodes in a skl2onnx container."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto

from skmed._compat import ModelComponentContainer, Scope


class GraphBuilder:
    """Adds constants and nodes to the graph skl2onnx is writing, with unique names.

    Parameters
    ----------
    scope, container : skl2onnx's Scope and ModelComponentContainer
        What a registered converter receives.
    like : str, default=""
        A tensor whose float type :meth:`typed` constants take (``CastLike``): the imputers
        run in the type of their input, float32 or float64.
    """

    def __init__(self, scope: Scope, container: ModelComponentContainer, like: str = "") -> None:
        self.scope, self.container, self.like = scope, container, like

    def name(self, hint: str) -> str:
        """A new tensor name."""
        return self.scope.get_unique_variable_name(hint)

    def const(self, hint: str, value: Any, dtype: Any = None) -> str:
        """An initializer: text as STRING, booleans as BOOL, integers as INT64, float32 as
        FLOAT, other numbers as DOUBLE (cast float32 weights to float64 for a double graph)."""
        array = np.asarray(value, dtype=dtype)
        kind = array.dtype.kind
        if kind in "OUS":
            content: list[Any] = [str(v).encode("utf-8") for v in array.ravel().tolist()]
            onnx_type = TensorProto.STRING
        elif kind == "b":
            content, onnx_type = array.ravel().tolist(), TensorProto.BOOL
        elif kind in "iu":
            content, onnx_type = array.astype(np.int64).ravel().tolist(), TensorProto.INT64
        elif array.dtype == np.float32:
            content, onnx_type = array.ravel().tolist(), TensorProto.FLOAT
        else:
            content, onnx_type = array.astype(np.float64).ravel().tolist(), TensorProto.DOUBLE
        name = self.name(hint)
        self.container.add_initializer(name, onnx_type, list(array.shape), content)
        return name

    def int64(self, hint: str, value: Any) -> str:
        """An INT64 initializer (indices, axes, shapes)."""
        return self.const(hint, np.asarray(value, dtype=np.int64))

    def typed(self, hint: str, value: Any) -> str:
        """A number constant in the type of ``like``."""
        if not self.like:
            raise ValueError("GraphBuilder.typed needs the builder's `like` tensor.")
        return self.op("CastLike", [self.const(hint, np.asarray(value, np.float64)), self.like])

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs: Any) -> str:
        """One node with one output; returns the output's name."""
        return self.ops(op_type, inputs, [self.name(hint or op_type.lower())], **attrs)[0]

    def ops(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> list[str]:
        """One node writing the named ``outputs`` (several, or a graph output)."""
        self.container.add_node(
            op_type, inputs, outputs, name=self.scope.get_unique_operator_name(op_type), **attrs
        )
        return outputs

    def multi(
        self, op_type: str, inputs: list[str], n_outputs: int, hint: str | None = None, **attrs: Any
    ) -> list[str]:
        """One node with ``n_outputs`` new outputs (``Unique``, ``StringSplit``, ``TopK``)."""
        names = [self.name(hint or op_type.lower()) for _ in range(n_outputs)]
        return self.ops(op_type, inputs, names, **attrs)

    def columns(self, x: str, positions: Any) -> str:
        """The columns ``positions`` of a matrix, kept 2D."""
        return self.op("Gather", [x, self.int64("columns", [int(p) for p in positions])], axis=1)

    def column(self, x: str, index: int) -> str:
        """Column ``index`` of a matrix, kept 2D: shape ``[N, 1]``."""
        return self.columns(x, [index])
