"""Edits of the graph skl2onnx wrote: typed per-column inputs, and double-friendly imputers."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from skmed._schema import Schema

#: ONNX element type of each input kind of :mod:`skmed._schema`.
ELEM_TYPES = {
    "double": TensorProto.DOUBLE,
    "float": TensorProto.FLOAT,
    "int64": TensorProto.INT64,
    "bool": TensorProto.BOOL,
    "string": TensorProto.STRING,
}


def cast_inputs(onx: onnx.ModelProto, schema: Schema, numeric: str) -> None:
    """Retype int64 / bool column inputs that skl2onnx saw as ``numeric``, casting them inside.

    Parameters
    ----------
    onx : onnx.ModelProto
        Model whose inputs are, in order, those of ``schema``; edited in place.
    schema : Schema
        The input schema, with graph input names.
    numeric : {"double", "float"}
        The type skl2onnx was told for every non-text column.
    """
    for graph_input, spec in zip(onx.graph.input, schema.inputs):
        if spec.kind not in ("int64", "bool"):
            continue
        inner = f"{spec.onnx_name}__as_{numeric}"
        _rename_uses(onx.graph, spec.onnx_name, inner)
        graph_input.type.tensor_type.elem_type = ELEM_TYPES[spec.kind]
        cast = helper.make_node(
            "Cast",
            [spec.onnx_name],
            [inner],
            to=ELEM_TYPES[numeric],
            name=f"skmed_cast_{spec.onnx_name}",
        )
        onx.graph.node.insert(0, cast)


def split_matrix_input(onx: onnx.ModelProto, schema: Schema, numeric: str) -> Schema:
    """Replace the matrix input by one typed input per frame column, cast and concatenated.

    Returns
    -------
    Schema
        ``schema`` with the names of the new graph inputs.
    """
    (matrix,) = onx.graph.input
    inner = "skmed_features"
    _rename_uses(onx.graph, matrix.name, inner)
    used = {n for node in onx.graph.node for n in (*node.input, *node.output)}
    used |= {o.name for o in onx.graph.output}
    schema = schema.with_onnx_names([_unique_name(spec.name, used) for spec in schema.inputs])
    nodes = []
    for spec in schema.inputs:
        nodes.append(
            helper.make_node(
                "Cast",
                [spec.onnx_name],
                [f"{spec.onnx_name}__as_{numeric}"],
                to=ELEM_TYPES[numeric],
                name=f"skmed_cast_{spec.onnx_name}",
            )
        )
    casts = [node.output[0] for node in nodes]
    nodes.append(helper.make_node("Concat", casts, [inner], axis=1, name="skmed_concat"))
    for node in reversed(nodes):
        onx.graph.node.insert(0, node)
    del onx.graph.input[:]
    onx.graph.input.extend(
        helper.make_tensor_value_info(spec.onnx_name, ELEM_TYPES[spec.kind], [None, 1])
        for spec in schema.inputs
    )
    return schema


def rewrite_imputers(onx: onnx.ModelProto) -> None:
    """Write ``ai.onnx.ml`` Imputer nodes of float values with standard operators.

    onnxruntime implements the ML Imputer for float32 only; ``Where(IsNaN(x), value, x)`` (or
    ``Equal`` for a non-NaN marker) runs on doubles too. ``CastLike`` gives the values the input's
    type, so this is correct whatever precision the graph uses (opset >= 15).
    """
    graph = onx.graph
    for index, node in enumerate(list(graph.node)):
        if node.op_type != "Imputer" or node.domain != "ai.onnx.ml":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if not attrs.get("imputed_value_floats"):
            continue
        x, out = node.input[0], node.output[0]
        prefix = f"skmed_{node.name or 'imputer'}_{index}"
        values = np.asarray(attrs["imputed_value_floats"], dtype=np.float64)
        marker = float(attrs.get("replaced_value_float", np.nan))
        graph.initializer.append(numpy_helper.from_array(values, f"{prefix}_values"))
        new = [helper.make_node("CastLike", [f"{prefix}_values", x], [f"{prefix}_typed"])]
        if np.isnan(marker):
            new.append(helper.make_node("IsNaN", [x], [f"{prefix}_missing"]))
        else:
            graph.initializer.append(numpy_helper.from_array(np.array(marker), f"{prefix}_marker"))
            new.append(helper.make_node("CastLike", [f"{prefix}_marker", x], [f"{prefix}_m"]))
            new.append(helper.make_node("Equal", [x, f"{prefix}_m"], [f"{prefix}_missing"]))
        new.append(helper.make_node("Where", [f"{prefix}_missing", f"{prefix}_typed", x], [out]))
        position = list(graph.node).index(node)
        graph.node.remove(node)
        for offset, replacement in enumerate(new):
            graph.node.insert(position + offset, replacement)


def _rename_uses(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new


def _unique_name(column: str, used: set[str]) -> str:
    base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in column) or "column"
    name, i = base, 1
    while name in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name)
    return name
