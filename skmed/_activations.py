"""The activations of the network: one table for prediction, explanation and export.

Each entry gives the forward function (numpy, in place where numpy allows), the
vector-Jacobian product used by the explanations' gradients (``g -> g * f'(z)``; the softmax's
full Jacobian), whether the derivative jumps at 0 (integrated-gradient paths are split there),
and how to write it as ONNX nodes (on a graph builder with ``const(prefix, value)`` and
``op(op_type, inputs, **attrs)``). The training loop (``_numpy_training``) computes the same
derivatives in place on its float32 buffers, from the activation's output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ACTIVATIONS", "SELU_ALPHA", "SELU_SCALE", "Activation", "activation"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Activation:
    """One activation: forward, vector-Jacobian product, kink, ONNX writer."""

    name: str
    forward: Callable[[np.ndarray, int], np.ndarray]
    vjp: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    kinked: bool
    onnx: Callable[[Any, str], str]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    x -= x.max(axis=axis, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=axis, keepdims=True)
    return x


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _selu(x: np.ndarray) -> np.ndarray:
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _silu_vjp(z: np.ndarray, a: np.ndarray, g: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return g * (s + z * s * (1.0 - s))


def _onnx_op(op_type: str, **attrs: Any) -> Callable[[Any, str], str]:
    return lambda graph, x: graph.op(op_type, [x], **attrs)


def _onnx_silu(graph: Any, x: str) -> str:
    # x / (1 + e^-x): onnxruntime <= 1.23 fuses x * Sigmoid(x) into a float32-only QuickGelu
    # kernel that then fails to load on this float64 graph
    one = graph.const("one", 1.0)
    denominator = graph.op("Add", [graph.op("Exp", [graph.op("Neg", [x])]), one])
    return graph.op("Div", [x, denominator])


def _onnx_elu(selu: bool) -> Callable[[Any, str], str]:
    def write(graph: Any, x: str) -> str:  # written out: Elu/Selu kernels are float32-only
        zero = graph.const("zero", 0.0)
        exp = graph.op("Exp", [graph.op("Min", [x, zero])])
        negative = graph.op("Sub", [exp, graph.const("one", 1.0)])
        if selu:
            negative = graph.op("Mul", [negative, graph.const("selu_alpha", SELU_ALPHA)])
        out = graph.op("Where", [graph.op("Greater", [x, zero]), x, negative])
        return graph.op("Mul", [out, graph.const("selu_scale", SELU_SCALE)]) if selu else out

    return write


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", lambda x, axis: x, lambda z, a, g: g, False, lambda graph, x: x),
        Activation(
            "relu",
            lambda x, axis: np.maximum(x, 0.0, out=x),
            lambda z, a, g: g * (z > 0),
            True,
            _onnx_op("Relu"),
        ),
        Activation(
            "sigmoid",
            lambda x, axis: _sigmoid(x),
            lambda z, a, g: g * a * (1.0 - a),
            False,
            _onnx_op("Sigmoid"),
        ),
        Activation(
            "tanh",
            lambda x, axis: np.tanh(x, out=x),
            lambda z, a, g: g * (1.0 - a * a),
            False,
            _onnx_op("Tanh"),
        ),
        Activation(
            "softmax",
            _softmax,
            lambda z, a, g: a * (g - np.sum(g * a, axis=1, keepdims=True)),
            False,
            _onnx_op("Softmax", axis=1),
        ),
        Activation(
            "elu",
            lambda x, axis: _elu(x),
            lambda z, a, g: g * np.where(z > 0, 1.0, a + 1.0),
            True,
            _onnx_elu(selu=False),
        ),
        Activation(
            "selu",
            lambda x, axis: (
                SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))
            ),
            lambda z, a, g: (
                g * SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))
            ),
            True,
            _onnx_elu(selu=True),
        ),
        Activation("silu", lambda x, axis: x * _sigmoid(x), _silu_vjp, False, _onnx_silu),
    )
}


def activation(name: str) -> Activation:
    """The table's entry for ``name``; a ValueError naming the supported ones otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}."
        ) from None
