"""Input checks of MedicalMLPClassifier that name the column, row or label at fault."""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._missing import missing_mask


def is_plain_float_matrix(X: Any, n_features: int) -> bool:
    """A finite, non-empty 2D float32/float64 ndarray with ``n_features`` columns."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in (np.float32, np.float64)
        and X.shape[0] > 0
        and X.shape[1] == n_features
        and bool(np.isfinite(X.sum()))  # a finite sum means no NaN or inf (overflow: not fast)
    )


def check_no_missing_labels(y: Any) -> None:
    """Name missing labels (None, NaN, pd.NA) before scikit-learn's checks trip over them."""
    dtype = getattr(y, "dtype", None)
    if y is None or (isinstance(dtype, np.dtype) and dtype.kind in "biuf"):
        return  # no y, or numeric arrays: validate_data reports those itself
    missing = np.flatnonzero(missing_mask(y)).tolist()
    if missing:
        raise ValueError(
            f"y has {len(missing)} missing label(s) (None, NaN or pd.NA), e.g. at row(s) "
            f"{missing[:5]}; drop or label those rows before fitting."
        )


def unique_labels(y: np.ndarray) -> np.ndarray:
    try:
        return np.unique(y)
    except TypeError as exc:  # e.g. a mix of str and float (NaN) in an object array
        kinds = sorted({type(v).__name__ for v in y})
        raise ValueError(
            f"y mixes label types {kinds}; labels must all be strings or all numbers, with no "
            "missing values."
        ) from exc


def check_numeric_frame(X: Any, estimator: str) -> None:
    """Name the text columns of a frame, instead of failing later on a float conversion."""
    if not (hasattr(X, "columns") and hasattr(X, "dtypes")):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [col for col, dt in X.dtypes.items() if not (is_numeric_dtype(dt) or is_bool_dtype(dt))]
    if bad:
        values = X[bad[0]].dropna()
        example = f" (e.g. {values.iloc[0]!r})" if len(values) else ""
        raise ValueError(
            f"{estimator} needs numeric features, but column(s) {[str(c) for c in bad]} "
            f"are not numeric{example}. Encode them first, e.g. with OneHotEncoder in a "
            "ColumnTransformer inside a Pipeline."
        )
