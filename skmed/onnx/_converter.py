"""skl2onnx parser, shape calculator and converter for skmed classifiers.

The converter writes the trained network from its weights (``MedicalMLPClassifier.network_``,
or a Keras model read by ``skmed.neural_network._network.describe_keras``) as standard ONNX
operators: one ``Gemm`` per dense step, its activation, and the final ``Softmax``. Dropout is
already gone and batch normalization is already folded in that description, and no Keras object
is touched, so the graph is the same whichever Keras backend trained the model.

The head computes in float64, like the network's numpy forward pass, so the probabilities and the
label decision match Python's to rounding; ``probabilities`` is then output as a float32 matrix
(no ZipMap) and ``label`` holds the original class labels.

Nothing is registered at import: :func:`register` does it, and :func:`skmed.to_onnx` calls it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

from skmed._compat import ModelComponentContainer, Operator, Scope, Variable
from skmed.neural_network._activations import ACTIVATIONS
from skmed.neural_network._forward import block_groups, diagonal_blocks
from skmed.neural_network._network import Network
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._registry import Registration, declare_operator
from skmed.onnx._registry import register as register_all
from skmed.onnx._wrappers import (
    CalibratedProba,
    Calibration,
    ExportHead,
    NetworkProba,
    ProbaNode,
    Threshold,
    split_model,
)

#: Lowest opset the converter writes (ReduceSum with axes as an input, GreaterOrEqual).
MIN_OPSET = 13

_ALIAS_MLP = "SkmedMedicalMLPClassifier"
_ALIAS_HEAD = "SkmedExportHead"


def register() -> None:
    """Register the skmed converters with skl2onnx (idempotent).

    Registers :class:`~skmed.MedicalMLPClassifier` (so ``skl2onnx.to_onnx`` converts pipelines
    ending in one), the internal ``ExportHead`` used by :func:`skmed.to_onnx` for wrapped
    classifiers, the survival head (``_survival``), :class:`~skmed.preprocessing.SymptomEncoder`
    (``_symptoms``), and the imputers with indicators (``_imputers``, ``_iterative``, ``_knn``).
    """
    from skmed.neural_network import MedicalMLPClassifier
    from skmed.onnx import _imputers, _iterative, _knn, _survival, _symptoms

    options = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
    classifiers = [
        Registration(
            model,
            alias,
            calculate_classifier_output_shapes,
            convert_classifier,
            parser=parse_classifier,
            options=options,
        )
        for model, alias in ((MedicalMLPClassifier, _ALIAS_MLP), (ExportHead, _ALIAS_HEAD))
    ]
    register_all(
        classifiers
        + _symptoms.REGISTRATIONS
        + _imputers.REGISTRATIONS
        + _iterative.REGISTRATIONS
        + _knn.REGISTRATIONS
        + _survival.REGISTRATIONS
    )


def as_head(model: Any) -> ExportHead:
    """Return ``model`` as an :class:`ExportHead` (a fitted MedicalMLPClassifier is wrapped)."""
    if isinstance(model, ExportHead):
        return model
    return split_model(model)[1]


def label_tensor_type(classes: np.ndarray) -> type:
    """The skl2onnx tensor type of the ``label`` output for these class labels."""
    kind = classes.dtype.kind
    if kind == "b":
        return BooleanTensorType
    if kind in "iu":
        return Int64TensorType
    if kind == "f":
        return DoubleTensorType
    if kind in "OUS" and all(isinstance(c, str) for c in classes.tolist()):
        return StringTensorType
    raise ValueError(
        f"Class labels of dtype {classes.dtype} ({classes[:3].tolist()}...) cannot be written to "
        "ONNX; use string, integer, boolean or float labels."
    )


# ---------------------------------------------------------------------- skl2onnx hooks


def parse_classifier(
    scope: Scope, model: Any, inputs: list[Variable], custom_parsers: Any = None
) -> list[Variable]:
    """skl2onnx parser: one operator with outputs ``label`` and ``probabilities``.

    ZipMap is never added (a ``zipmap`` option is accepted and ignored): the probabilities are a
    plain float matrix whose columns follow ``classes_``.
    """
    head = as_head(model)
    alias = _ALIAS_HEAD if isinstance(model, ExportHead) else _ALIAS_MLP
    outputs = {"label": label_tensor_type(head.classes_)(), "probabilities": FloatTensorType()}
    return declare_operator(scope, alias, model, inputs, outputs)


def calculate_classifier_output_shapes(operator: Operator) -> None:
    """skl2onnx shape calculator: ``label`` is ``[N]``, ``probabilities`` is ``[N, n_classes]``."""
    head = as_head(operator.raw_operator)
    if len(operator.inputs) != 1:
        raise ValueError(
            f"{head.description} takes one numeric matrix, but {len(operator.inputs)} inputs "
            "reach it; concatenate them first (e.g. with a ColumnTransformer)."
        )
    shape = operator.inputs[0].type.shape
    n_rows = shape[0] if shape else None
    width = shape[1] if shape and len(shape) == 2 else None
    if isinstance(width, int) and width != head.n_features_in_:
        raise ValueError(
            f"{head.description} was trained on {head.n_features_in_} features, but the "
            f"preprocessing before it produces {width}."
        )
    operator.outputs[0].type = label_tensor_type(head.classes_)([n_rows])
    operator.outputs[1].type = FloatTensorType([n_rows, head.classes_.size])


def convert_classifier(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """skl2onnx converter: write the head's network(s), calibration and decision rule."""
    head = as_head(operator.raw_operator)
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"skmed writes ONNX opset >= {MIN_OPSET}; target_opset={container.target_opset}."
        )
    g = GraphBuilder(scope, container)
    x = g.op("Cast", [operator.inputs[0].full_name], to=TensorProto.DOUBLE)
    proba = _write_proba(g, head.proba, x)
    g.ops("Cast", [proba], [operator.outputs[1].full_name], to=TensorProto.FLOAT)
    index = _write_decision(g, head.threshold, head.costs, proba)
    classes = g.const("classes", _label_constant(head.classes_))
    g.ops("Gather", [classes, index], [operator.outputs[0].full_name], axis=0)


def _write_proba(g: GraphBuilder, node: ProbaNode, x: str) -> str:
    if isinstance(node, NetworkProba):
        out = write_network(g, node.network, x)
        if node.sigmoid_binary:
            out = g.op("Concat", [g.op("Sub", [g.const("one", 1.0), out]), out], axis=1)
        return out
    assert isinstance(node, CalibratedProba)
    folds = [_write_calibration(g, fold, x, node.classes.size) for fold in node.folds]
    total = folds[0] if len(folds) == 1 else g.op("Sum", folds)
    return g.op("Div", [total, g.const("n_folds", float(len(folds)))])


def write_network(g: GraphBuilder, network: Network, x: str) -> str:
    out = x
    for step in network:
        groups = block_groups(step["kernel"])
        bias = g.const("bias", step["bias"].astype(np.float64))
        if groups > 1:
            out = g.op("Add", [_write_block_diagonal(g, step["kernel"], groups, out), bias])
        else:
            kernel = g.const("kernel", step["kernel"].astype(np.float64))
            out = g.op("Gemm", [out, kernel, bias])
        if "skip" in step:  # the linear path: input -> logits, beside the hidden layers
            skip = g.const("linear_path", step["skip"].astype(np.float64))
            out = g.op("Add", [out, g.op("MatMul", [x, skip])])
        out = _write_activation(g, step["activation"], out)
    return out


def _write_block_diagonal(g: GraphBuilder, kernel: np.ndarray, groups: int, x: str) -> str:
    """``x @ kernel`` for a block-diagonal kernel, one batched MatMul over the blocks."""
    rows, cols = kernel.shape
    a = rows // groups
    blocks = diagonal_blocks(kernel, groups)
    split = g.op("Reshape", [x, g.const("groups_in", np.array([-1, groups, a]))])
    by_group = g.op("Transpose", [split], perm=[1, 0, 2])
    product = g.op("MatMul", [by_group, g.const("blocks", blocks.astype(np.float64))])
    by_row = g.op("Transpose", [product], perm=[1, 0, 2])
    return g.op("Reshape", [by_row, g.const("groups_out", np.array([-1, cols]))])


def _write_activation(g: GraphBuilder, name: str, x: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"Activation {name!r} has no ONNX translation in skmed.")
    return ACTIVATIONS[name].onnx(g, x)


def _write_calibration(g: GraphBuilder, fold: Calibration, x: str, n_classes: int) -> str:
    """Calibrated probabilities of one fold, as ``_CalibratedClassifier.predict_proba``."""
    base = _write_proba(g, fold.base, x)
    if fold.method == "temperature":
        if n_classes == 2:  # sklearn rebuilds [1 - p1, p1] from the positive column
            p1 = g.column(base, 1)
            base = g.op("Concat", [g.op("Sub", [g.const("one", 1.0), p1]), p1], axis=1)
        logits = g.op("Log", [g.op("Add", [base, g.const("eps", 1e-12)])])
        scaled = g.op("Mul", [logits, g.const("beta", fold.params[0][0])])
        return _clip_above_one(g, g.op("Softmax", [scaled], axis=1))
    if n_classes == 2:
        scores = [g.column(base, 1)]
    else:
        scores = [g.column(base, k) for k in range(len(fold.params))]
    calibrated = [
        _write_sigmoid(g, s, p) if fold.method == "sigmoid" else _write_isotonic(g, s, p)
        for s, p in zip(scores, fold.params)
    ]
    if n_classes == 2:
        positive = calibrated[0]
        proba = g.op("Concat", [g.op("Sub", [g.const("one", 1.0), positive]), positive], axis=1)
        return _clip_above_one(g, proba)
    stacked = calibrated[0] if len(calibrated) == 1 else g.op("Concat", calibrated, axis=1)
    scatter = np.zeros((len(calibrated), n_classes))
    scatter[np.arange(len(calibrated)), list(fold.columns)] = 1.0
    full = g.op("MatMul", [stacked, g.const("scatter", scatter)])
    total = g.op("ReduceSum", [full, g.const("axis", np.array([1]))], keepdims=1)
    normalized = g.op("Div", [full, total])
    is_zero = g.op("Equal", [total, g.const("zero", 0.0)])
    uniform = g.const("uniform", 1.0 / n_classes)
    return _clip_above_one(g, g.op("Where", [is_zero, uniform, normalized]))


def _write_sigmoid(g: GraphBuilder, score: str, params: tuple[Any, ...]) -> str:
    a, b = params  # sklearn: expit(-(a * score + b))
    linear = g.op("Add", [g.op("Mul", [score, g.const("a", a)]), g.const("b", b)])
    return g.op("Sigmoid", [g.op("Neg", [linear])])


def _write_isotonic(g: GraphBuilder, score: str, params: tuple[Any, ...]) -> str:
    """Linear interpolation through the isotonic thresholds, after clipping to the fitted range.

    ``y0 + sum_i slope_i * (clip(t, x_i, x_{i+1}) - x_i)`` equals ``np.interp`` on the range.
    """
    x_min, x_max, xs, ys = params
    t = g.op("Min", [g.op("Max", [score, g.const("x_min", x_min)]), g.const("x_max", x_max)])
    if xs.size < 2:
        return g.op("Add", [g.op("Mul", [t, g.const("zero", 0.0)]), g.const("y0", ys[0])])
    dx = np.diff(xs)
    keep = dx > 0
    lo, hi = xs[:-1][keep], xs[1:][keep]
    slope = np.diff(ys)[keep] / dx[keep]
    clipped = g.op("Min", [g.op("Max", [t, g.const("x_lo", lo)]), g.const("x_hi", hi)])
    rise = g.op("Mul", [g.op("Sub", [clipped, g.const("x_lo", lo)]), g.const("slope", slope)])
    total = g.op("ReduceSum", [rise, g.const("axis", np.array([1]))], keepdims=1)
    return g.op("Add", [total, g.const("y0", ys[0])])


def _clip_above_one(g: GraphBuilder, proba: str) -> str:
    """sklearn sets probabilities in ``(1, 1 + 1e-5]`` to exactly 1."""
    one = g.const("one", 1.0)
    above = g.op("Greater", [proba, one])
    near = g.op("LessOrEqual", [proba, g.const("one_eps", 1.0 + 1e-5)])
    return g.op("Where", [g.op("And", [above, near]), one, proba])


def _write_decision(
    g: GraphBuilder, threshold: Threshold | None, costs: np.ndarray | None, proba: str
) -> str:
    """Index of the predicted class per row, shape ``[N]`` (int64)."""
    if threshold is None and costs is not None:  # class_weight: the largest weight x risk
        weighted = g.op("Mul", [proba, g.const("class_weight", costs.reshape(1, -1))])
        return g.op("ArgMax", [weighted], axis=1, keepdims=0)
    if threshold is None:
        return g.op("ArgMax", [proba], axis=1, keepdims=0)
    score = g.column(proba, threshold.pos_index)
    positive = g.op("GreaterOrEqual", [score, g.const("threshold", threshold.value)])
    chosen = g.op(
        "Where",
        [
            positive,
            g.const("pos_index", np.array(threshold.pos_index)),
            g.const("neg_index", np.array(1 - threshold.pos_index)),
        ],
    )
    return g.op("Reshape", [chosen, g.const("shape", np.array([-1]))])


def _label_constant(classes: np.ndarray) -> np.ndarray:
    kind = classes.dtype.kind
    if kind in "OUS":
        return np.array([str(c) for c in classes.tolist()], dtype=object)
    if kind in "iu":
        return classes.astype(np.int64)
    return classes
