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
from sklearn.impute import KNNImputer

from skmed._compat import (
    ModelComponentContainer,
    Operator,
    Scope,
    knn_training_rows,
    knn_valid_columns,
)
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._imputers import (
    imputed_output,
    imputer_graph,
    write_output,
)
from skmed.onnx._registry import Registration


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
    imputed_output(operator, int(valid.size if imputer.keep_empty_features else valid.sum()))


def _distances(g: GraphBuilder, x: str, mask: str, fit_X: np.ndarray) -> str:
    """``nan_euclidean_distances(x, fit_X)``: shape [N, M], NaN where nothing is shared."""
    fit_missing = np.isnan(fit_X)
    Y = np.where(fit_missing, 0.0, fit_X)
    x0 = g.op("Where", [mask, g.typed("constant", 0.0), x], "x_zeroed")
    xx = g.op("Mul", [x0, x0], "x_squared")
    cross = g.op("MatMul", [x0, g.typed("constant", Y.T)], "cross")
    twice = g.op("Mul", [cross, g.typed("constant", -2.0)], "cross2")
    rows = g.op("ReduceSum", [xx, g.int64("index", [1])], "x_norms", keepdims=1)
    d = g.op("Add", [twice, rows], "d_x")
    d = g.op("Add", [d, g.typed("constant", (Y * Y).sum(axis=1)[None, :])], "d_xy")
    missing_x = g.op("CastLike", [mask, x], "missing_x")
    d = g.op(
        "Sub",
        [d, g.op("MatMul", [xx, g.typed("constant", fit_missing.T.astype(float))], "mx")],
        "d1",
    )
    d = g.op("Sub", [d, g.op("MatMul", [missing_x, g.typed("constant", (Y * Y).T)], "my")], "d2")
    d = g.op("Max", [d, g.typed("constant", 0.0)], "d_clipped")
    present_x = g.op("Sub", [g.typed("constant", 1.0), missing_x], "present_x")
    present = g.op(
        "MatMul", [present_x, g.typed("constant", (~fit_missing).T.astype(float))], "present"
    )
    none = g.op("Equal", [present, g.typed("constant", 0.0)], "none_shared")
    scaled = g.op(
        "Div", [d, g.op("Max", [present, g.typed("constant", 1.0)], "present_1")], "d_mean"
    )
    scaled = g.op("Mul", [scaled, g.typed("constant", float(fit_X.shape[1]))], "d_scaled")
    root = g.op("Sqrt", [scaled], "d_root")
    return g.op("Where", [none, g.typed("constant", np.nan), root], "distances")


def _impute_column(
    g: GraphBuilder, distances: str, imputer: KNNImputer, col: int, fit_X: np.ndarray
) -> str:
    """The imputed value of column ``col`` for every row (used where it is missing)."""
    donors = np.flatnonzero(~np.isnan(fit_X[:, col]))
    values = fit_X[donors, col]
    k = min(int(imputer.n_neighbors), donors.size)
    d = g.op("Gather", [distances, g.int64("index", donors)], f"d_{col}", axis=1)
    far = g.op("Where", [g.op("IsNaN", [d], "undefined"), g.typed("constant", np.inf), d], "d_far")
    nearest, index = (g.name(f"nearest_{col}"), g.name(f"donor_{col}"))
    g.ops("TopK", [far, g.int64("index", [k])], [nearest, index], axis=1, largest=0, sorted=1)
    donor_values = g.op("Gather", [g.typed("constant", values), index], f"values_{col}", axis=0)
    finite = g.op("Not", [g.op("IsInf", [nearest], "inf")], "defined")
    if imputer.weights == "uniform":
        weights = g.op("CastLike", [finite, g.like], "w_uniform")
    else:
        zero = g.op("Equal", [nearest, g.typed("constant", 0.0)], "at_zero")
        exact = g.op("CastLike", [zero, g.like], "w_exact")
        any_zero = g.op("ReduceMax", [exact, g.int64("index", [1])], "any_zero", keepdims=1)
        inverse = g.op("Reciprocal", [nearest], "w_inverse")  # 1 / inf = 0
        use_exact = g.op("Greater", [any_zero, g.typed("constant", 0.0)], "use_exact")
        weights = g.op("Where", [use_exact, exact, inverse], "w_distance")
    total = g.op("ReduceSum", [weights, g.int64("index", [1])], "w_total", keepdims=1)
    weighted = g.op("Mul", [weights, donor_values], "weighted")
    summed = g.op("ReduceSum", [weighted, g.int64("index", [1])], "w_sum", keepdims=1)
    average = g.op("Div", [summed, total], f"average_{col}")
    # no defined distance to any donor: the column's observed mean
    defined = g.op("CastLike", [finite, g.like], "defined_number")
    some = g.op("ReduceMax", [defined, g.int64("index", [1])], "some_defined", keepdims=1)
    has_donor = g.op("Greater", [some, g.typed("constant", 0.0)], "has_donor")
    mean = g.typed("column_mean", [[float(values.mean())]])
    return g.op("Where", [has_donor, average, mean], f"imputed_{col}")


def convert_knn_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """Distances once, then each column's donors, weights and average where it is missing."""
    imputer = operator.raw_operator
    g, x, mask = imputer_graph(scope, container, operator)
    fit_X, fit_mask = knn_training_rows(imputer)
    fit_X = np.where(np.asarray(fit_mask, dtype=bool), np.nan, np.asarray(fit_X, np.float64))
    valid = np.asarray(knn_valid_columns(imputer), dtype=bool)
    distances = _distances(g, x, mask, fit_X)
    columns = []
    for col in range(valid.size):
        current = g.column(x, col)
        if not valid[col]:
            if imputer.keep_empty_features:  # never observed in fit: always 0, as in Python
                times_zero = g.op("Mul", [current, g.typed("constant", 0.0)], "times_zero")
                nan = g.op("IsNaN", [times_zero], "nan")
                columns.append(
                    g.op("Where", [nan, g.typed("constant", 0.0), times_zero], "empty_zero")
                )
            continue
        missing = g.column(mask, col)
        imputed = _impute_column(g, distances, imputer, col, fit_X)
        columns.append(g.op("Where", [missing, imputed, current], f"column_{col}"))
    imputed = g.op("Concat", columns, "knn_imputed", axis=1) if len(columns) > 1 else columns[0]
    write_output(g, operator, imputed, mask, getattr(imputer, "indicator_", None))


REGISTRATIONS = [
    Registration(KNNImputer, "SklearnKNNImputer", calculate_knn_imputer_shape, convert_knn_imputer)
]
