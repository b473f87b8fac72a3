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
from skl2onnx import update_registered_converter
from sklearn.experimental import enable_iterative_imputer  # noqa: F401 - registers it
from sklearn.impute import IterativeImputer

from skmed._compat import (
    ModelComponentContainer,
    Operator,
    Scope,
    imputer_clip_bounds,
    imputer_empty_features,
)
from skmed.onnx._imputers import (
    concatenate_inputs,
    missing_mask,
    numeric_output,
    select_columns,
    simple_impute,
    write_output,
)

_ALIAS = "SkmedIterativeImputer"


def register_iterative_imputer() -> None:
    """Register :class:`sklearn.impute.IterativeImputer` with skl2onnx (idempotent)."""
    update_registered_converter(
        IterativeImputer,
        _ALIAS,
        calculate_iterative_imputer_shape,
        convert_iterative_imputer,
        overwrite=True,
    )


def _is_linear(estimator: Any, n_inputs: int) -> bool:
    """Whether ``predict(X) == X @ coef_ + intercept_`` (checked on random rows)."""
    coef = np.asarray(getattr(estimator, "coef_", np.array([])), dtype=np.float64)
    if coef.ndim != 1 or coef.size != n_inputs:
        return False
    X = np.random.default_rng(0).normal(size=(7, n_inputs))
    expected = X @ coef + float(np.ravel(getattr(estimator, "intercept_", 0.0))[0])
    return bool(np.allclose(estimator.predict(X), expected, rtol=1e-9, atol=1e-9))


def _check(imputer: IterativeImputer) -> None:
    """Raise a ValueError naming what cannot be written as a graph."""
    if imputer.sample_posterior:
        raise ValueError(
            "IterativeImputer(sample_posterior=True) draws random imputations and cannot be "
            "exported; use sample_posterior=False (the default)."
        )


def calculate_iterative_imputer_shape(operator: Operator) -> None:
    """Output: the kept features, then the indicator's columns; typed like the input."""
    imputer = operator.raw_operator
    _check(imputer)
    kept = int(np.sum(~np.isnan(np.asarray(imputer.initial_imputer_.statistics_, float))))
    indicator = getattr(imputer, "indicator_", None)
    numeric_output(operator, kept + (len(indicator.features_) if indicator is not None else 0))


def convert_iterative_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The initial imputation, the fitted rounds, then the indicator columns."""
    imputer = operator.raw_operator
    x = concatenate_inputs(scope, operator.inputs, container)
    full_mask = missing_mask(scope, container, x, imputer.missing_values, False)
    initial, kept = simple_impute(scope, container, x, full_mask, imputer.initial_imputer_, False)
    mask = full_mask if kept.size == len(imputer.initial_imputer_.statistics_) else None
    if mask is None:
        mask = select_columns(scope, container, full_mask, kept)
    if imputer.keep_empty_features:  # empty features keep their initial value
        empty = np.asarray(imputer_empty_features(imputer), dtype=bool)
        if empty.any():
            keep = scope.get_unique_variable_name("not_empty")
            container.add_initializer(keep, TensorProto.BOOL, [1, empty.size], (~empty).tolist())
            masked = scope.get_unique_variable_name("mask_not_empty")
            container.add_node("And", [mask, keep], [masked])
            mask = masked
    result = initial
    if imputer.n_iter_ > 0 and imputer.imputation_sequence_:
        iterated = _rounds(scope, container, initial, mask, imputer, kept.size)
        # scikit-learn keeps the initial imputation when every value of the batch is missing
        flat = scope.get_unique_variable_name("mask_int")
        container.add_node("Cast", [mask], [flat], to=TensorProto.INT64)
        smallest = scope.get_unique_variable_name("mask_min")
        container.add_node("ReduceMin", [flat], [smallest], keepdims=0)
        one = scope.get_unique_variable_name("one")
        container.add_initializer(one, TensorProto.INT64, [], [1])
        everything = scope.get_unique_variable_name("all_missing")
        container.add_node("Equal", [smallest, one], [everything])
        result = scope.get_unique_variable_name("iterative_imputed")
        container.add_node("Where", [everything, initial, iterated], [result])
    indicator = getattr(imputer, "indicator_", None)
    write_output(scope, container, operator, result, full_mask, x, indicator)


def _rounds(
    scope: Scope,
    container: ModelComponentContainer,
    initial: str,
    mask: str,
    imputer: IterativeImputer,
    width: int,
) -> str:
    """Every fitted step in order, on one ``[N, 1]`` column per feature."""
    columns = [select_columns(scope, container, initial, [j]) for j in range(width)]
    missing = [select_columns(scope, container, mask, [j]) for j in range(width)]
    low, high = (np.asarray(bound, float) for bound in imputer_clip_bounds(imputer))
    for step in imputer.imputation_sequence_:
        j, neighbours, estimator = step.feat_idx, step.neighbor_feat_idx, step.estimator
        if len(neighbours) == 1:
            inputs = columns[int(neighbours[0])]
        else:
            inputs = scope.get_unique_variable_name("neighbours")
            container.add_node("Concat", [columns[int(k)] for k in neighbours], [inputs], axis=1)
        if _is_linear(estimator, len(neighbours)):
            coef = np.asarray(estimator.coef_, dtype=np.float64).reshape(-1, 1)
            intercept = float(np.ravel(estimator.intercept_)[0])
            predicted = _linear(scope, container, inputs, coef, intercept, initial)
        else:
            predicted = _inline_regressor(scope, container, estimator, inputs, len(neighbours))
        clipped = _clip(scope, container, predicted, float(low[j]), float(high[j]), initial)
        updated = scope.get_unique_variable_name(f"feature_{j}")
        container.add_node("Where", [missing[j], clipped, columns[j]], [updated])
        columns[j] = updated
    out = scope.get_unique_variable_name("rounds")
    container.add_node("Concat", columns, [out], axis=1)
    return out


def _inline_regressor(
    scope: Scope, container: ModelComponentContainer, estimator: Any, inputs: str, width: int
) -> str:
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
            target_opset=container.target_opset,
        )
    except Exception as exc:  # skl2onnx raises RuntimeError / NameError / TypeError
        raise ValueError(
            f"IterativeImputer's estimator {name} cannot be exported: skl2onnx could not convert "
            f"it ({exc}). Use BayesianRidge (the default) or another regressor skl2onnx converts."
        ) from None
    rename = {"x": inputs}
    for tensor in [*sub.graph.initializer, *sub.graph.node]:
        for n in [tensor.name] if hasattr(tensor, "dims") else [*tensor.output]:
            rename.setdefault(n, scope.get_unique_variable_name(f"{name}_{n}"))
    for init in sub.graph.initializer:
        array = numpy_helper.to_array(init)
        container.add_initializer(
            rename[init.name], init.data_type, list(array.shape), array.ravel().tolist()
        )
    domains = {o.domain: o.version for o in sub.opset_import}
    for node in sub.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            [rename.get(i, i) for i in node.input],
            [rename[o] for o in node.output],
            op_domain=node.domain,
            op_version=domains.get(node.domain),
            name=scope.get_unique_operator_name(f"{name}_{node.op_type}"),
            **attrs,
        )
    out = rename[sub.graph.output[0].name]
    shaped = scope.get_unique_variable_name("regressor_column")
    shape = scope.get_unique_variable_name("column_shape")
    container.add_initializer(shape, TensorProto.INT64, [2], [-1, 1])
    container.add_node("Reshape", [out, shape], [shaped])
    return shaped


def _constant(scope: Scope, container: ModelComponentContainer, value: Any, like: str) -> str:
    array = np.asarray(value, dtype=np.float64)
    name = scope.get_unique_variable_name("constant")
    container.add_initializer(name, TensorProto.DOUBLE, list(array.shape), array.ravel().tolist())
    typed = scope.get_unique_variable_name("constant_typed")
    container.add_node("CastLike", [name, like], [typed])
    return typed


def _linear(
    scope: Scope,
    container: ModelComponentContainer,
    inputs: str,
    coef: np.ndarray,
    intercept: float,
    like: str,
) -> str:
    product = scope.get_unique_variable_name("product")
    container.add_node("MatMul", [inputs, _constant(scope, container, coef, like)], [product])
    out = scope.get_unique_variable_name("predicted")
    container.add_node("Add", [product, _constant(scope, container, intercept, like)], [out])
    return out


def _clip(
    scope: Scope, container: ModelComponentContainer, x: str, low: float, high: float, like: str
) -> str:
    out = x
    if np.isfinite(high):
        capped = scope.get_unique_variable_name("capped")
        container.add_node("Min", [out, _constant(scope, container, high, like)], [capped])
        out = capped
    if np.isfinite(low):
        floored = scope.get_unique_variable_name("floored")
        container.add_node("Max", [out, _constant(scope, container, low, like)], [floored])
        out = floored
    return out
