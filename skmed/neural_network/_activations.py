"""The activations of the network: one table for prediction, training, explanation and export.

Each entry gives the forward function (numpy, in place where numpy allows), the derivative as
an in-place product ``g *= f'`` (the training loop runs it on its float32 buffers, the
explanations' gradients through :meth:`Activation.vjp`; the softmax's is its full Jacobian),
whether it reads the pre-activation ``z`` or, cheaper, the output ``a``, whether the derivative
jumps at 0 (integrated-gradient paths are split there), and how to write it as ONNX nodes (on a
graph builder with ``const(prefix, value)`` and ``op(op_type, inputs, **attrs)``).
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
    """One activation: forward, derivative, kink, ONNX writer.

    ``times_derivative(g, x)`` multiplies ``g`` in place by the derivative, read from ``x``:
    the pre-activation when ``from_input``, else the activation's output.
    """

    name: str
    forward: Callable[[np.ndarray, int], np.ndarray]
    times_derivative: Callable[[np.ndarray, np.ndarray], None]
    from_input: bool
    kinked: bool
    onnx: Callable[[Any, str], str]

    def vjp(self, z: np.ndarray, a: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The vector-Jacobian product ``g J`` at pre-activation ``z`` with output ``a``."""
        out = np.array(g, dtype=np.result_type(g, a), copy=True)
        self.times_derivative(out, z if self.from_input else a)
        return out


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


def _scalar(x: np.ndarray, value: float) -> Any:
    return x.dtype.type(value)  # keeps float32 buffers float32


def _times_softmax(g: np.ndarray, a: np.ndarray) -> None:
    g -= np.sum(g * a, axis=1, keepdims=True)
    g *= a


def _times_selu(g: np.ndarray, a: np.ndarray) -> None:
    # scale * alpha * exp(z) = a + scale * alpha below zero
    scale = _scalar(a, SELU_SCALE)
    g *= np.where(a > 0, scale, a + _scalar(a, SELU_SCALE * SELU_ALPHA))


def _times_silu(g: np.ndarray, z: np.ndarray) -> None:
    s = _sigmoid(z)  # silu'(z) = s (1 + z (1 - s))
    g *= s * (1.0 + z * (1.0 - s))


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


def _times_relu(g: np.ndarray, a: np.ndarray) -> None:
    g *= a > 0


def _times_sigmoid(g: np.ndarray, a: np.ndarray) -> None:
    g *= a * (1.0 - a)


def _times_tanh(g: np.ndarray, a: np.ndarray) -> None:
    g *= 1.0 - a * a


def _times_elu(g: np.ndarray, a: np.ndarray) -> None:
    g *= np.minimum(a, 0.0) + 1.0  # exp(z) = a + 1 below zero


def _times_one(g: np.ndarray, a: np.ndarray) -> None:
    return None


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", lambda x, axis: x, _times_one, False, False, lambda graph, x: x),
        Activation(
            "relu",
            lambda x, axis: np.maximum(x, 0.0, out=x),
            _times_relu,
            False,
            True,
            _onnx_op("Relu"),
        ),
        Activation(
            "sigmoid",
            lambda x, axis: _sigmoid(x),
            _times_sigmoid,
            False,
            False,
            _onnx_op("Sigmoid"),
        ),
        Activation(
            "tanh", lambda x, axis: np.tanh(x, out=x), _times_tanh, False, False, _onnx_op("Tanh")
        ),
        Activation("softmax", _softmax, _times_softmax, False, False, _onnx_op("Softmax", axis=1)),
        Activation("elu", lambda x, axis: _elu(x), _times_elu, False, True, _onnx_elu(selu=False)),
        Activation(
            "selu", lambda x, axis: _selu(x), _times_selu, False, True, _onnx_elu(selu=True)
        ),
        Activation("silu", lambda x, axis: x * _sigmoid(x), _times_silu, True, False, _onnx_silu),
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
