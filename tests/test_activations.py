"""The one activations table: forward functions, their derivatives, and the ONNX writers."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from skmed.neural_network._activations import ACTIVATIONS, activation


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_vjp_is_the_derivative_of_forward(name):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=(6, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks
    g = rng.normal(size=z.shape)
    entry = activation(name)
    a = entry.forward(z.copy(), 1)
    eps = 1e-6
    numeric = np.zeros_like(z)
    for i in np.ndindex(*z.shape):  # directional derivatives of <g, f(z)>
        up, down = z.copy(), z.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (np.sum(g * entry.forward(up, 1)) - np.sum(g * entry.forward(down, 1))) / (
            2 * eps
        )
    np.testing.assert_allclose(entry.vjp(z, a, g), numeric, rtol=1e-5, atol=1e-6)


class _Builder:
    """The graph-builder interface the table writes to, over plain onnx helpers."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def _name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, prefix, value):
        name = self._name(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, np.float64), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_the_onnx_writer_computes_forward(name):
    builder = _Builder()
    out = activation(name).onnx(builder, "x")
    if out == "x":  # linear: no node
        builder.nodes.append(helper.make_node("Identity", ["x"], ["y"]))
    else:
        builder.nodes.append(helper.make_node("Identity", [out], ["y"]))
    graph = helper.make_graph(
        builder.nodes,
        "activation",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None, 3])],
        builder.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    x = np.random.default_rng(1).normal(0, 3, size=(5, 3))
    (got,) = session.run(None, {"x": x})
    np.testing.assert_allclose(got, activation(name).forward(x.copy(), 1), rtol=1e-12, atol=1e-14)


def test_kinks_and_unknown_names():
    assert {n for n, a in ACTIVATIONS.items() if a.kinked} == {"relu", "elu", "selu"}
    with pytest.raises(ValueError, match="Unknown activation 'gelu'; expected one of linear, relu"):
        activation("gelu")
