"""skl2onnx shape calculator and converter for ``KNNImputer``, replacing skl2onnx's own.

The graph does what ``KNNImputer.transform`` does, written out from scikit-learn's code:

* ``nan_euclidean`` distances to the fitted rows: squared distances over the coordinates both
  rows have, scaled by ``n_features / n_present``; NaN where no coordinate is shared;
* per column, among the fitted rows where the column was observed (the potential donors), the
  ``n_neighbors`` nearest (``TopK`` on the distances, NaN taken as infinitely far), averaged
  with ``uniform`` weights (a NaN distance weighs 0) or ``distance`` weights (``1 / d``; when
  a donor is at distance 0, only such donors count);
* a receiver with no defined distance to any donor gets the column's observed mean;
* only missing cells change; columns never observed in fit are dropped (or, with
  ``keep_empty_features``, set to 0), and the indicator columns are appended.

Ties: when several donors are exactly as near as the ``n_neighbors``-th, the graph takes the
earliest fitted rows, while scikit-learn's ``argpartition`` picks among them in an unspecified
order; the two agree whenever that distance is unique.

**The fitted rows are in the graph** (every training row, for the imputed columns): that is
patient data inside the model file. :func:`skmed.to_onnx` refuses it unless asked with
``allow_patient_rows=True``, which also records it in the file's metadata.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from skl2onnx import update_registered_converter
from sklearn.impute import KNNImputer

from skmed._compat import (
    ModelComponentContainer,
    Operator,
    Scope,
    knn_training_rows,
    knn_valid_columns,
)
from skmed.onnx._imputers import (
    concatenate_inputs,
    missing_mask,
    numeric_output,
    select_columns,
    write_output,
)

_ALIAS = "SklearnKNNImputer"


def register_knn_imputer() -> None:
    """Register :class:`sklearn.impute.KNNImputer` with skl2onnx (over its own converter)."""
    update_registered_converter(
        KNNImputer,
        _ALIAS,
        calculate_knn_imputer_shape,
        convert_knn_imputer,
        overwrite=True,
    )


def _check(imputer: KNNImputer) -> None:
    if imputer.metric != "nan_euclidean":
        raise ValueError(
            f"KNNImputer(metric={imputer.metric!r}) cannot be exported; only 'nan_euclidean' "
            "(the default) has a graph."
        )
    if imputer.weights not in ("uniform", "distance"):
        raise ValueError(
            "KNNImputer with a callable weights function cannot be exported; use 'uniform' or "
            "'distance'."
        )


def calculate_knn_imputer_shape(operator: Operator) -> None:
    """Output: the kept columns, then the indicator's; typed like the input."""
    imputer = operator.raw_operator
    _check(imputer)
    valid = np.asarray(knn_valid_columns(imputer), dtype=bool)
    width = int(valid.size if imputer.keep_empty_features else valid.sum())
    indicator = getattr(imputer, "indicator_", None)
    numeric_output(operator, width + (len(indicator.features_) if indicator is not None else 0))


class _Graph:
    """Small helpers that add constants and nodes of the input's type."""

    def __init__(self, scope: Scope, container: ModelComponentContainer, like: str) -> None:
        self.scope, self.container, self.like = scope, container, like

    def name(self, hint: str) -> str:
        return self.scope.get_unique_variable_name(hint)

    def const(self, value: object, hint: str = "constant") -> str:
        array = np.asarray(value, dtype=np.float64)
        raw, typed = self.name(hint), self.name(f"{hint}_typed")
        self.container.add_initializer(raw, TensorProto.DOUBLE, list(array.shape), array.ravel())
        self.container.add_node("CastLike", [raw, self.like], [typed])
        return typed

    def int64(self, value: object, hint: str = "index") -> str:
        array = np.asarray(value, dtype=np.int64)
        name = self.name(hint)
        self.container.add_initializer(name, TensorProto.INT64, list(array.shape), array.ravel())
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attrs: object) -> str:
        out = self.name(hint)
        self.container.add_node(op, inputs, [out], **attrs)
        return out


def _distances(g: _Graph, x: str, mask: str, fit_X: np.ndarray) -> str:
    """``nan_euclidean_distances(x, fit_X)``: shape [N, M], NaN where nothing is shared."""
    fit_missing = np.isnan(fit_X)
    Y = np.where(fit_missing, 0.0, fit_X)
    x0 = g.node("Where", [mask, g.const(0.0), x], "x_zeroed")
    xx = g.node("Mul", [x0, x0], "x_squared")
    cross = g.node("MatMul", [x0, g.const(Y.T)], "cross")
    twice = g.node("Mul", [cross, g.const(-2.0)], "cross2")
    rows = g.node("ReduceSum", [xx, g.int64([1])], "x_norms", keepdims=1)
    d = g.node("Add", [twice, rows], "d_x")
    d = g.node("Add", [d, g.const((Y * Y).sum(axis=1)[None, :])], "d_xy")
    missing_x = g.node("CastLike", [mask, x], "missing_x")
    d = g.node("Sub", [d, g.node("MatMul", [xx, g.const(fit_missing.T.astype(float))], "mx")], "d1")
    d = g.node("Sub", [d, g.node("MatMul", [missing_x, g.const((Y * Y).T)], "my")], "d2")
    d = g.node("Max", [d, g.const(0.0)], "d_clipped")
    present_x = g.node("Sub", [g.const(1.0), missing_x], "present_x")
    present = g.node("MatMul", [present_x, g.const((~fit_missing).T.astype(float))], "present")
    none = g.node("Equal", [present, g.const(0.0)], "none_shared")
    scaled = g.node("Div", [d, g.node("Max", [present, g.const(1.0)], "present_1")], "d_mean")
    scaled = g.node("Mul", [scaled, g.const(float(fit_X.shape[1]))], "d_scaled")
    root = g.node("Sqrt", [scaled], "d_root")
    return g.node("Where", [none, g.const(np.nan), root], "distances")


def _impute_column(
    g: _Graph, distances: str, imputer: KNNImputer, col: int, fit_X: np.ndarray
) -> str:
    """The imputed value of column ``col`` for every row (used where it is missing)."""
    donors = np.flatnonzero(~np.isnan(fit_X[:, col]))
    values = fit_X[donors, col]
    k = min(int(imputer.n_neighbors), donors.size)
    d = g.node("Gather", [distances, g.int64(donors)], f"d_{col}", axis=1)
    far = g.node("Where", [g.node("IsNaN", [d], "undefined"), g.const(np.inf), d], "d_far")
    nearest, index = (g.name(f"nearest_{col}"), g.name(f"donor_{col}"))
    g.container.add_node("TopK", [far, g.int64([k])], [nearest, index], axis=1, largest=0, sorted=1)
    donor_values = g.node("Gather", [g.const(values), index], f"values_{col}", axis=0)
    finite = g.node("Not", [g.node("IsInf", [nearest], "inf")], "defined")
    if imputer.weights == "uniform":
        weights = g.node("CastLike", [finite, g.like], "w_uniform")
    else:
        zero = g.node("Equal", [nearest, g.const(0.0)], "at_zero")
        exact = g.node("CastLike", [zero, g.like], "w_exact")
        any_zero = g.node("ReduceMax", [exact, g.int64([1])], "any_zero", keepdims=1)
        inverse = g.node("Reciprocal", [nearest], "w_inverse")  # 1 / inf = 0
        use_exact = g.node("Greater", [any_zero, g.const(0.0)], "use_exact")
        weights = g.node("Where", [use_exact, exact, inverse], "w_distance")
    total = g.node("ReduceSum", [weights, g.int64([1])], "w_total", keepdims=1)
    weighted = g.node("Mul", [weights, donor_values], "weighted")
    summed = g.node("ReduceSum", [weighted, g.int64([1])], "w_sum", keepdims=1)
    average = g.node("Div", [summed, total], f"average_{col}")
    # no defined distance to any donor: the column's observed mean
    defined = g.node("CastLike", [finite, g.like], "defined_number")
    some = g.node("ReduceMax", [defined, g.int64([1])], "some_defined", keepdims=1)
    has_donor = g.node("Greater", [some, g.const(0.0)], "has_donor")
    mean = g.const([[float(values.mean())]], "column_mean")
    return g.node("Where", [has_donor, average, mean], f"imputed_{col}")


def convert_knn_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """Distances once, then each column's donors, weights and average where it is missing."""
    imputer = operator.raw_operator
    x = concatenate_inputs(scope, operator.inputs, container)
    g = _Graph(scope, container, x)
    mask = missing_mask(scope, container, x, imputer.missing_values, False)
    fit_X, fit_mask = knn_training_rows(imputer)
    fit_X = np.where(np.asarray(fit_mask, dtype=bool), np.nan, np.asarray(fit_X, np.float64))
    valid = np.asarray(knn_valid_columns(imputer), dtype=bool)
    distances = _distances(g, x, mask, fit_X)
    columns = []
    for col in range(valid.size):
        current = select_columns(scope, container, x, [col])
        if not valid[col]:
            if imputer.keep_empty_features:  # never observed in fit: always 0, as in Python
                times_zero = g.node("Mul", [current, g.const(0.0)], "times_zero")
                nan = g.node("IsNaN", [times_zero], "nan")
                columns.append(g.node("Where", [nan, g.const(0.0), times_zero], "empty_zero"))
            continue
        missing = select_columns(scope, container, mask, [col])
        imputed = _impute_column(g, distances, imputer, col, fit_X)
        columns.append(g.node("Where", [missing, imputed, current], f"column_{col}"))
    imputed = g.node("Concat", columns, "knn_imputed", axis=1) if len(columns) > 1 else columns[0]
    indicator = getattr(imputer, "indicator_", None)
    write_output(scope, container, operator, imputed, mask, x, indicator)
