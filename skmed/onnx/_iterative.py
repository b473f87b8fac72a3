"""skl2onnx shape calculator and converter for ``IterativeImputer`` (skl2onnx has none).

The graph replays ``IterativeImputer.transform``: the initial imputation (its fitted
``SimpleImputer``), then every fitted step of ``imputation_sequence_`` in order -- for
``n_iter_`` rounds, each feature's estimator predicts it from its neighbour features, the
prediction is clipped to ``min_value`` / ``max_value``, and it replaces the feature where it was
missing -- then the indicator columns. As in scikit-learn, a batch in which every value is
missing keeps the initial imputation. Features are kept as separate ``[N, 1]`` columns, so an
update is a ``Where`` and the neighbours a ``Concat``.

A linear estimator (``predict(X) = X @ coef_ + intercept_``, checked against its own
``predict``: ``BayesianRidge``, the default, ``Ridge``, ``LinearRegression``, ...) is written as
``MatMul`` + ``Add``; any other regressor skl2onnx converts (trees, forests, k-nearest
neighbours, ...) is converted alone by skl2onnx in float64 and its graph copied in.
``sample_posterior=True`` draws random imputations and has no deterministic graph: it is
refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto
from sklearn.experimental import enable_iterative_imputer  # noqa: F401 - registers it
from sklearn.impute import IterativeImputer

from skmed._compat import (
    ModelComponentContainer,
    Operator,
    Scope,
    imputer_clip_bounds,
    imputer_empty_features,
)
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._imputers import (
    imputed_output,
    imputer_graph,
    kept_columns,
    simple_impute,
    write_output,
)
from skmed.onnx._registry import Registration


def _is_linear(estimator: Any, n_inputs: int) -> bool:
    """Whether ``predict(X) == X @ coef_ + intercept_`` (checked on random rows)."""
    coef = np.asarray(getattr(estimator, "coef_", np.array([])), dtype=np.float64)
    if coef.ndim != 1 or coef.size != n_inputs:
        return False
    X = np.random.default_rng(0).normal(size=(7, n_inputs))
    expected = X @ coef + float(np.ravel(getattr(estimator, "intercept_", 0.0))[0])
    return bool(np.allclose(estimator.predict(X), expected, rtol=1e-9, atol=1e-9))


def calculate_iterative_imputer_shape(operator: Operator) -> None:
    """Output: the kept features, then the indicator's columns; typed like the input.

    A random imputation (``sample_posterior=True``) has no graph: a ValueError says so.
    """
    imputer = operator.raw_operator
    if imputer.sample_posterior:
        raise ValueError(
            "IterativeImputer(sample_posterior=True) draws random imputations and cannot be "
            "exported; use sample_posterior=False (the default)."
        )
    imputed_output(operator, kept_columns(imputer.initial_imputer_).size)


def convert_iterative_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The initial imputation, the fitted rounds, then the indicator columns."""
    imputer = operator.raw_operator
    g, x, full_mask = imputer_graph(scope, container, operator)
    initial, kept = simple_impute(g, x, full_mask, imputer.initial_imputer_, False)
    mask = full_mask
    if kept.size < len(imputer.initial_imputer_.statistics_):
        mask = g.columns(full_mask, kept)
    if imputer.keep_empty_features:  # empty features keep their initial value
        empty = np.asarray(imputer_empty_features(imputer), dtype=bool)
        if empty.any():
            mask = g.op("And", [mask, g.const("not_empty", ~empty[None, :])], "mask_not_empty")
    result = initial
    if imputer.n_iter_ > 0 and imputer.imputation_sequence_:
        iterated = _rounds(g, initial, mask, imputer, kept.size)
        # scikit-learn keeps the initial imputation when every value of the batch is missing
        flat = g.op("Cast", [mask], "mask_int", to=TensorProto.INT64)
        smallest = g.op("ReduceMin", [flat], "mask_min", keepdims=0)
        everything = g.op("Equal", [smallest, g.int64("one", 1)], "all_missing")
        result = g.op("Where", [everything, initial, iterated], "iterative_imputed")
    write_output(g, operator, result, full_mask, getattr(imputer, "indicator_", None))


def _rounds(g: GraphBuilder, initial: str, mask: str, imputer: IterativeImputer, width: int) -> str:
    """Every fitted step in order, on one ``[N, 1]`` column per feature."""
    columns = [g.column(initial, j) for j in range(width)]
    missing = [g.column(mask, j) for j in range(width)]
    low, high = (np.asarray(bound, float) for bound in imputer_clip_bounds(imputer))
    for step in imputer.imputation_sequence_:
        j, neighbours, estimator = step.feat_idx, step.neighbor_feat_idx, step.estimator
        if len(neighbours) == 1:
            inputs = columns[int(neighbours[0])]
        else:
            inputs = g.op("Concat", [columns[int(k)] for k in neighbours], "neighbours", axis=1)
        if _is_linear(estimator, len(neighbours)):
            coef = np.asarray(estimator.coef_, dtype=np.float64).reshape(-1, 1)
            intercept = float(np.ravel(estimator.intercept_)[0])
            product = g.op("MatMul", [inputs, g.typed("coef", coef)], "product")
            predicted = g.op("Add", [product, g.typed("intercept", intercept)], "predicted")
        else:
            predicted = _inline_regressor(g, estimator, inputs, len(neighbours))
        if np.isfinite(high[j]):
            predicted = g.op("Min", [predicted, g.typed("high", float(high[j]))], "capped")
        if np.isfinite(low[j]):
            predicted = g.op("Max", [predicted, g.typed("low", float(low[j]))], "floored")
        columns[j] = g.op("Where", [missing[j], predicted, columns[j]], f"feature_{j}")
    return g.op("Concat", columns, "rounds", axis=1)


def _inline_regressor(g: GraphBuilder, estimator: Any, inputs: str, width: int) -> str:
    """Any regressor skl2onnx converts: its own graph, converted alone and copied in.

    The sub-graph takes float64 (as the imputer's graph does) and its tensor names are made
    unique in this graph; its output is shaped ``[N, 1]``.
    """
    from onnx import helper, numpy_helper
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType

    name = type(estimator).__name__
    try:
        sub = convert_sklearn(
            estimator,
            initial_types=[("x", DoubleTensorType([None, width]))],
            target_opset=g.container.target_opset,
        )
    except Exception as exc:  # skl2onnx raises RuntimeError / NameError / TypeError
        raise ValueError(
            f"IterativeImputer's estimator {name} cannot be exported: skl2onnx could not convert "
            f"it ({exc}). Use BayesianRidge (the default) or another regressor skl2onnx converts."
        ) from None
    rename = {"x": inputs}
    for tensor in [*sub.graph.initializer, *sub.graph.node]:
        for n in [tensor.name] if hasattr(tensor, "dims") else [*tensor.output]:
            rename.setdefault(n, g.name(f"{name}_{n}"))
    for init in sub.graph.initializer:
        array = numpy_helper.to_array(init)
        g.container.add_initializer(
            rename[init.name], init.data_type, list(array.shape), array.ravel().tolist()
        )
    domains = {o.domain: o.version for o in sub.opset_import}
    for node in sub.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        g.ops(
            node.op_type,
            [rename.get(i, i) for i in node.input],
            [rename[o] for o in node.output],
            op_domain=node.domain,
            op_version=domains.get(node.domain),
            **attrs,
        )
    out = rename[sub.graph.output[0].name]
    return g.op("Reshape", [out, g.int64("column_shape", [-1, 1])], "regressor_column")


REGISTRATIONS = [
    Registration(
        IterativeImputer,
        "SkmedIterativeImputer",
        calculate_iterative_imputer_shape,
        convert_iterative_imputer,
    )
]
