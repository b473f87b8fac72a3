"""Every private name of another library that skmed uses, in one place.

scikit-learn, skl2onnx, pandas, Keras and Dask do not promise to keep these; when one moves,
this module is the one to change. Names are resolved on first access (module ``__getattr__``),
so importing this module imports nothing: the runtime and ``import skmed`` stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real types for mypy; at run time they resolve lazily below
    from skl2onnx.common._container import ModelComponentContainer
    from skl2onnx.common._topology import Operator, Scope, Variable
    from sklearn.base import _fit_context as fit_context
    from sklearn.utils._param_validation import (
        Interval,
        Options,
        RealNotInt,
        StrOptions,
        validate_params,
    )
    from sklearn.utils.validation import _check_feature_names_in as check_feature_names_in
    from sklearn.utils.validation import _check_sample_weight as check_sample_weight

__all__ = [
    "Interval",
    "ModelComponentContainer",
    "Operator",
    "Options",
    "RealNotInt",
    "Scope",
    "StrOptions",
    "Variable",
    "adam_slot_variables",
    "check_feature_names_in",
    "check_sample_weight",
    "dask_meta",
    "fit_context",
    "frame_column_arrays",
    "imputer_clip_bounds",
    "imputer_empty_features",
    "knn_training_rows",
    "knn_valid_columns",
    "scorer_arguments",
    "skl2onnx_operator_names",
    "threshold_pos_label",
    "tuned_threshold_settings",
    "validate_params",
]

# public name -> (module, private attribute)
_LAZY = {
    # scikit-learn's declarative parameter validation (what its own estimators use)
    "fit_context": ("sklearn.base", "_fit_context"),
    "Interval": ("sklearn.utils._param_validation", "Interval"),
    "Options": ("sklearn.utils._param_validation", "Options"),
    "RealNotInt": ("sklearn.utils._param_validation", "RealNotInt"),
    "StrOptions": ("sklearn.utils._param_validation", "StrOptions"),
    "validate_params": ("sklearn.utils._param_validation", "validate_params"),
    "check_sample_weight": ("sklearn.utils.validation", "_check_sample_weight"),
    "check_feature_names_in": ("sklearn.utils.validation", "_check_feature_names_in"),
    # skl2onnx's converter API types (its documented custom-converter signature)
    "ModelComponentContainer": ("skl2onnx.common._container", "ModelComponentContainer"),
    "Operator": ("skl2onnx.common._topology", "Operator"),
    "Scope": ("skl2onnx.common._topology", "Scope"),
    "Variable": ("skl2onnx.common._topology", "Variable"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def skl2onnx_operator_names() -> dict[type, str]:
    """skl2onnx's map from a scikit-learn class to its registered operator name."""
    from skl2onnx._supported_operators import sklearn_operator_name_map

    return sklearn_operator_name_map


# ---------------------------------------------------------------------- fitted state


def imputer_clip_bounds(imputer: Any) -> tuple[Any, Any]:
    """An ``IterativeImputer``'s per-feature clipping bounds, as it fitted them."""
    return imputer._min_value, imputer._max_value


def imputer_empty_features(imputer: Any) -> Any:
    """An ``IterativeImputer``'s mask of features with no observed value at fit."""
    return imputer._is_empty_feature


def knn_training_rows(imputer: Any) -> tuple[Any, Any]:
    """A ``KNNImputer``'s stored training rows and their missing-value mask."""
    return imputer._fit_X, imputer._mask_fit_X


def knn_valid_columns(imputer: Any) -> Any:
    """A ``KNNImputer``'s mask of columns that had an observed value at fit."""
    return imputer._valid_mask


def tuned_threshold_settings(tuned: Any) -> tuple[Any, str]:
    """A fitted ``TunedThresholdClassifierCV``'s positive label and response method."""
    return threshold_pos_label(tuned), tuned._get_response_method()


def scorer_arguments(scorer: Any) -> tuple[Any, dict[str, Any]]:
    """The function and keyword arguments behind a ``make_scorer`` scorer (``None, {}`` else)."""
    return getattr(scorer, "_score_func", None), getattr(scorer, "_kwargs", {})


def adam_slot_variables(optimizer: Any, variables: list[Any]) -> list[list[Any]]:
    """A built Keras 3 ``Adam``'s first and second moment variables, in ``variables`` order."""
    index = optimizer._get_variable_index
    return [
        [optimizer._momentums[index(v)] for v in variables],
        [optimizer._velocities[index(v)] for v in variables],
    ]


def dask_meta(frame: Any) -> Any:
    """The empty pandas frame describing a Dask frame's columns and types."""
    return frame._meta


def frame_column_arrays(frame: Any) -> Any:
    """A pandas frame's columns as their own arrays, without building a Series each.

    ``_iter_column_arrays`` is private pandas (1.1 to 3.x); the public route is the fallback.
    Building a Series per column costs more than predicting one row.
    """
    arrays = getattr(frame, "_iter_column_arrays", None)
    return arrays() if arrays is not None else (column.array for _, column in frame.items())


def threshold_pos_label(model: Any) -> Any:
    """The positive label of a threshold wrapper (tuned or fixed); ``None`` for others."""
    scorer = getattr(model, "_curve_scorer", None)
    pos = scorer._get_pos_label() if scorer is not None else None
    return pos if pos is not None else getattr(model, "pos_label", None)
