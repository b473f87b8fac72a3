"""skl2onnx shape calculators and converters for missing data: the clinical way, in the graph.

Whether a lab was ordered at all is often as predictive as its value, so a missing-value
indicator belongs in the deployed model. skl2onnx has no converter for ``MissingIndicator``,
and its ``SimpleImputer`` converter drops the indicator columns of ``add_indicator=True``.
These converters replace it (registered over skl2onnx's own):

* ``SimpleImputer``: the missing mask (``IsNaN`` for NaN, ``Equal`` for a number; for text,
  a ``LabelEncoder`` lookup of the marker), ``Where`` with the fitted statistics, the columns
  that were all missing in fit left out (as scikit-learn does unless ``keep_empty_features``),
  and with ``add_indicator=True`` the fitted indicator's columns of the mask appended in the
  output's type;
* ``MissingIndicator``: the mask's ``features_`` columns, as booleans (``features="all"`` or
  ``"missing-only"``).

A graph cannot raise, so a standalone ``MissingIndicator(error_on_new=True)`` that scikit-learn
would refuse on a column missing only now is instead refused by the runtime (the input
profile marks such columns as not accepting missing values).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)
from sklearn.impute import MissingIndicator, SimpleImputer

from skmed._compat import ModelComponentContainer, Operator, Scope
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._registry import Registration

# ---------------------------------------------------------------------- shapes


def _is_text(operator: Operator) -> bool:
    return isinstance(operator.inputs[0].type, StringTensorType)


def kept_columns(imputer: SimpleImputer) -> np.ndarray:
    """Positions of the input columns the imputer outputs (all-missing ones are dropped)."""
    stats = np.asarray(imputer.statistics_, dtype=object)
    missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in stats])
    return np.flatnonzero(~missing)


def _indicator_features(imputer: Any) -> np.ndarray:
    indicator = getattr(imputer, "indicator_", None)
    return (
        np.asarray(indicator.features_, dtype=np.int64) if indicator is not None else np.array([])
    )


def imputed_output(operator: Operator, width: int) -> None:
    """Type the output: ``width`` imputed columns, then the imputer's indicator columns."""
    numeric_output(operator, width + _indicator_features(operator.raw_operator).size)


def calculate_simple_imputer_shape(operator: Operator) -> None:
    """Output: the kept columns, then the indicator's; typed like the input."""
    imputer = operator.raw_operator
    if _is_text(operator):
        if _indicator_features(imputer).size:
            raise ValueError(
                "SimpleImputer(add_indicator=True) on text columns cannot be exported: its "
                "output mixes text and indicator columns. Put a MissingIndicator beside the "
                "imputer instead (a FeatureUnion, or its own ColumnTransformer entry)."
            )
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = StringTensorType([n, kept_columns(imputer).size])
    else:
        imputed_output(operator, kept_columns(imputer).size)


def calculate_missing_indicator_shape(operator: Operator) -> None:
    """Output: one boolean column per fitted feature."""
    n = operator.inputs[0].get_first_dimension()
    width = len(operator.raw_operator.features_)
    operator.outputs[0].type = BooleanTensorType([n, width])


# ---------------------------------------------------------------------- graph


def concatenate_inputs(scope: Scope, container: ModelComponentContainer, variables: Any) -> str:
    """The inputs side by side, in the first one's type (``Concat``: no float32 detour)."""
    names = [v.full_name for v in variables]
    if len(names) == 1:
        return names[0]
    g = GraphBuilder(scope, container, like=names[0])
    typed = [names[0]]
    for variable in variables[1:]:
        if type(variable.type) is type(variables[0].type):
            typed.append(variable.full_name)
        else:
            typed.append(g.op("CastLike", [variable.full_name, names[0]], "cast"))
    return g.op("Concat", typed, "concatenated", axis=1)


def imputer_graph(
    scope: Scope, container: ModelComponentContainer, operator: Operator
) -> tuple[GraphBuilder, str, str]:
    """A builder whose typed constants follow the inputs, the inputs as one matrix, and the
    mask of their missing values (the operator's ``missing_values``)."""
    x = concatenate_inputs(scope, container, operator.inputs)
    g = GraphBuilder(scope, container, like=x)
    return g, x, missing_mask(g, x, operator.raw_operator.missing_values, _is_text(operator))


def missing_mask(g: GraphBuilder, x: str, marker: Any, text: bool) -> str:
    """The boolean mask of ``x`` where it holds ``marker``."""
    if text:
        codes = g.op(
            "LabelEncoder",
            [x],
            "missing_codes",
            keys_strings=[str(marker)],
            values_int64s=[1],
            default_int64=0,
            op_domain="ai.onnx.ml",
            op_version=2,
        )
        return g.op("Cast", [codes], "missing_mask", to=TensorProto.BOOL)
    if marker is None or (isinstance(marker, float) and math.isnan(marker)):
        return g.op("IsNaN", [x], "missing_mask")
    return g.op("Equal", [x, g.typed("missing_marker", float(marker))], "missing_mask")


def simple_impute(
    g: GraphBuilder, x: str, mask: str, imputer: Any, text: bool
) -> tuple[str, np.ndarray]:
    """``Where(mask, statistics, x)``, and the positions of the columns the imputer keeps.

    Returns the imputed kept columns and their positions among the inputs.
    """
    kept = kept_columns(imputer)
    stats = np.asarray(imputer.statistics_, dtype=object)
    keep = set(kept.tolist())
    if text:
        values = [str(v) if i in keep else "" for i, v in enumerate(stats)]
        fill = g.const("fill_values", np.array([values], dtype=object))
    else:
        numbers = [float(v) if i in keep else 0.0 for i, v in enumerate(stats)]
        fill = g.typed("fill_values", [numbers])
    imputed = g.op("Where", [mask, fill, x], "imputed")
    if kept.size < stats.size:
        imputed = g.columns(imputed, kept)
    return imputed, kept


def numeric_output(operator: Operator, width: int) -> None:
    """Type the operator's output ``[N, width]`` like its (float or double) input."""
    n = operator.inputs[0].get_first_dimension()
    number = type(operator.inputs[0].type)
    if number not in (DoubleTensorType, FloatTensorType):
        number = DoubleTensorType
    operator.outputs[0].type = number([n, width])


def write_output(
    g: GraphBuilder, operator: Operator, imputed: str, mask: str, indicator: Any
) -> None:
    """The imputed columns, then the fitted ``indicator``'s columns of ``mask`` (if any)."""
    parts = [imputed]
    if indicator is not None and len(indicator.features_):
        flags = g.columns(mask, indicator.features_)
        parts.append(g.op("CastLike", [flags, g.like], "indicator"))
    out = [operator.outputs[0].full_name]
    if len(parts) == 1:
        g.ops("Identity", parts, out)
    else:
        g.ops("Concat", parts, out, axis=1)


def convert_simple_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The kept columns imputed, then the indicator columns."""
    imputer = operator.raw_operator
    text = _is_text(operator)
    g, x, mask = imputer_graph(scope, container, operator)
    imputed, _ = simple_impute(g, x, mask, imputer, text)
    write_output(g, operator, imputed, mask, getattr(imputer, "indicator_", None))


def convert_missing_indicator(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The mask's fitted feature columns."""
    indicator = operator.raw_operator
    g, _, mask = imputer_graph(scope, container, operator)
    features = np.asarray(indicator.features_, dtype=np.int64)
    n_in = int(indicator.n_features_in_)
    if not (features.size == n_in and np.array_equal(features, np.arange(n_in))):
        mask = g.columns(mask, features)
    g.ops("Identity", [mask], [operator.outputs[0].full_name])


REGISTRATIONS = [
    Registration(
        SimpleImputer,
        "SklearnSimpleImputer",
        calculate_simple_imputer_shape,
        convert_simple_imputer,
    ),
    Registration(
        MissingIndicator,
        "SkmedMissingIndicator",
        calculate_missing_indicator_shape,
        convert_missing_indicator,
    ),
]
