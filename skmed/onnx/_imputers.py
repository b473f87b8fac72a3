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
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)
from sklearn.impute import MissingIndicator, SimpleImputer

from skmed._compat import ModelComponentContainer, Operator, Scope

_ALIASES = {SimpleImputer: "SklearnSimpleImputer", MissingIndicator: "SkmedMissingIndicator"}


def register_imputers() -> None:
    """Register the converters of SimpleImputer and MissingIndicator (idempotent)."""
    update_registered_converter(
        SimpleImputer,
        _ALIASES[SimpleImputer],
        calculate_simple_imputer_shape,
        convert_simple_imputer,
        overwrite=True,
    )
    update_registered_converter(
        MissingIndicator,
        _ALIASES[MissingIndicator],
        calculate_missing_indicator_shape,
        convert_missing_indicator,
        overwrite=True,
    )


# ---------------------------------------------------------------------- shapes


def _is_text(operator: Operator) -> bool:
    return isinstance(operator.inputs[0].type, StringTensorType)


def kept_columns(imputer: SimpleImputer) -> np.ndarray:
    """Positions of the input columns the imputer outputs (all-missing ones are dropped)."""
    stats = np.asarray(imputer.statistics_, dtype=object)
    missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in stats])
    return np.flatnonzero(~missing)


def _indicator_features(imputer: SimpleImputer) -> np.ndarray:
    indicator = getattr(imputer, "indicator_", None)
    return (
        np.asarray(indicator.features_, dtype=np.int64) if indicator is not None else np.array([])
    )


def calculate_simple_imputer_shape(operator: Operator) -> None:
    """Output: the kept columns, then the indicator's; typed like the input."""
    imputer = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    width = kept_columns(imputer).size + _indicator_features(imputer).size
    if _is_text(operator):
        if _indicator_features(imputer).size:
            raise ValueError(
                "SimpleImputer(add_indicator=True) on text columns cannot be exported: its "
                "output mixes text and indicator columns. Put a MissingIndicator beside the "
                "imputer instead (a FeatureUnion, or its own ColumnTransformer entry)."
            )
        operator.outputs[0].type = StringTensorType([n, width])
    else:
        numeric_output(operator, width)


def calculate_missing_indicator_shape(operator: Operator) -> None:
    """Output: one boolean column per fitted feature."""
    n = operator.inputs[0].get_first_dimension()
    width = len(operator.raw_operator.features_)
    operator.outputs[0].type = BooleanTensorType([n, width])


# ---------------------------------------------------------------------- graph


def concatenate_inputs(scope: Scope, variables: Any, container: ModelComponentContainer) -> str:
    """The inputs side by side, in the first one's type (``Concat``: no float32 detour)."""
    names = [v.full_name for v in variables]
    if len(names) == 1:
        return names[0]
    first = names[0]
    typed = [first]
    for variable in variables[1:]:
        if type(variable.type) is type(variables[0].type):
            typed.append(variable.full_name)
        else:
            cast = scope.get_unique_variable_name("cast")
            container.add_node("CastLike", [variable.full_name, first], [cast])
            typed.append(cast)
    out = scope.get_unique_variable_name("concatenated")
    container.add_node("Concat", typed, [out], axis=1)
    return out


def missing_mask(
    scope: Scope, container: ModelComponentContainer, x: str, marker: Any, text: bool
) -> str:
    """The boolean mask of ``x`` where it holds ``marker``."""
    mask = scope.get_unique_variable_name("missing_mask")
    if text:
        codes = scope.get_unique_variable_name("missing_codes")
        container.add_node(
            "LabelEncoder",
            [x],
            [codes],
            keys_strings=[str(marker)],
            values_int64s=[1],
            default_int64=0,
            op_domain="ai.onnx.ml",
            op_version=2,
        )
        container.add_node("Cast", [codes], [mask], to=TensorProto.BOOL)
    elif marker is None or (isinstance(marker, float) and math.isnan(marker)):
        container.add_node("IsNaN", [x], [mask])
    else:
        value = scope.get_unique_variable_name("missing_marker")
        typed = scope.get_unique_variable_name("missing_marker_typed")
        container.add_initializer(value, TensorProto.DOUBLE, [], [float(marker)])
        container.add_node("CastLike", [value, x], [typed])
        container.add_node("Equal", [x, typed], [mask])
    return mask


def select_columns(scope: Scope, container: ModelComponentContainer, x: str, positions: Any) -> str:
    index = scope.get_unique_variable_name("columns")
    out = scope.get_unique_variable_name("selected")
    values = [int(p) for p in positions]
    container.add_initializer(index, TensorProto.INT64, [len(values)], values)
    container.add_node("Gather", [x, index], [out], axis=1)
    return out


def simple_impute(
    scope: Scope, container: ModelComponentContainer, x: str, mask: str, imputer: Any, text: bool
) -> tuple[str, np.ndarray]:
    """``Where(mask, statistics, x)``, and the positions of the columns the imputer keeps.

    Returns the imputed kept columns and their positions among the inputs.
    """
    kept = kept_columns(imputer)
    fill = scope.get_unique_variable_name("fill_values")
    stats = np.asarray(imputer.statistics_, dtype=object)
    keep = set(kept.tolist())
    if text:
        values = [str(v) if i in keep else "" for i, v in enumerate(stats)]
        container.add_initializer(fill, TensorProto.STRING, [1, stats.size], values)
        typed = fill
    else:
        numbers = [float(v) if i in keep else 0.0 for i, v in enumerate(stats)]
        container.add_initializer(fill, TensorProto.DOUBLE, [1, stats.size], numbers)
        typed = scope.get_unique_variable_name("fill_typed")
        container.add_node("CastLike", [fill, x], [typed])
    imputed = scope.get_unique_variable_name("imputed")
    container.add_node("Where", [mask, typed, x], [imputed])
    if kept.size < stats.size:
        imputed = select_columns(scope, container, imputed, kept)
    return imputed, kept


def indicator_columns(
    scope: Scope, container: ModelComponentContainer, mask: str, like: str, features: Any
) -> str:
    """The mask's ``features`` columns, in the type of ``like``."""
    flags = select_columns(scope, container, mask, features)
    as_number = scope.get_unique_variable_name("indicator")
    container.add_node("CastLike", [flags, like], [as_number])
    return as_number


def numeric_output(operator: Operator, width: int) -> None:
    """Type the operator's output ``[N, width]`` like its (float or double) input."""
    n = operator.inputs[0].get_first_dimension()
    number = type(operator.inputs[0].type)
    if number not in (DoubleTensorType, FloatTensorType):
        number = DoubleTensorType
    operator.outputs[0].type = number([n, width])


def write_output(
    scope: Scope,
    container: ModelComponentContainer,
    operator: Operator,
    imputed: str,
    mask: str,
    like: str,
    indicator: Any,
) -> None:
    """The imputed columns, then the fitted ``indicator``'s columns of ``mask`` (if any)."""
    parts = [imputed]
    if indicator is not None and len(indicator.features_):
        parts.append(indicator_columns(scope, container, mask, like, indicator.features_))
    if len(parts) == 1:
        container.add_node("Identity", parts, [operator.outputs[0].full_name])
    else:
        container.add_node("Concat", parts, [operator.outputs[0].full_name], axis=1)


def convert_simple_imputer(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The kept columns imputed, then the indicator columns."""
    imputer = operator.raw_operator
    text = _is_text(operator)
    x = concatenate_inputs(scope, operator.inputs, container)
    mask = missing_mask(scope, container, x, imputer.missing_values, text)
    imputed, _ = simple_impute(scope, container, x, mask, imputer, text)
    indicator = getattr(imputer, "indicator_", None)
    write_output(scope, container, operator, imputed, mask, x, indicator)


def convert_missing_indicator(
    scope: Scope, operator: Operator, container: ModelComponentContainer
) -> None:
    """The mask's fitted feature columns."""
    indicator = operator.raw_operator
    x = concatenate_inputs(scope, operator.inputs, container)
    mask = missing_mask(scope, container, x, indicator.missing_values, _is_text(operator))
    features = np.asarray(indicator.features_, dtype=np.int64)
    n_in = int(indicator.n_features_in_)
    if features.size == n_in and np.array_equal(features, np.arange(n_in)):
        container.add_node("Identity", [mask], [operator.outputs[0].full_name])
    else:
        selected = select_columns(scope, container, mask, features)
        container.add_node("Identity", [selected], [operator.outputs[0].full_name])
