"""The base of the de-identifying transformers: frames in, frames out; keyed steps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skmed._columns import describe_names, require_columns
from skmed._compat import check_feature_names_in, fit_context
from skmed._fitted import walk_estimators
from skmed.privacy._keys import key_bytes, resolve_key

#: Docstring pieces of the transformers (:func:`skmed._docstrings.fill_doc`).
DOCS = {
    "frame_attributes": """
        columns_ : list of str
            The columns the step works on: ``columns``, or the ones chosen by default at fit.
        n_features_in_ : int
        feature_names_in_ : ndarray of str
            Defined when X has string column names.
    """,
    "key_env": """
        key_env : str or None, default="SKMED_PSEUDONYM_KEY"
            Name of the environment variable holding the key (the name is stored, not the
            key), read at transform. None: only a key given with ``set_key`` is used.
    """,
}


def pandas_module() -> Any:
    import pandas as pd

    return pd


def column_list(
    spec: str | Iterable[Any], columns: Iterable[Any], *, what: str, where: str
) -> list:
    """``spec`` (one name or several) as a list, every name checked to be among ``columns``."""
    names = [spec] if isinstance(spec, str) else list(spec)
    require_columns(names, columns, what=what, where=where)
    return names


def require_frame(frame: Any, who: str) -> None:
    """A TypeError naming ``who`` unless ``frame`` is a pandas DataFrame."""
    if not isinstance(frame, pandas_module().DataFrame):
        raise TypeError(f"{who} expects a pandas DataFrame; got {type(frame).__name__}.")


def frame_columns(frame: Any, spec: str | Iterable[str], *, who: str, what: str) -> list[str]:
    """The checked column list of a public function taking a frame and some of its columns."""
    require_frame(frame, who)
    names = column_list(spec, frame.columns, what=f"{what} column(s)", where="the frame")
    if not names:
        raise ValueError(f"{who} needs at least one {what} column.")
    return names


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Shared input handling: frames stay frames; arrays get columns ``x0, x1, ...``.

    Subclasses write ``_fit_frame(frame)`` and ``_transform_frame(frame) -> frame``; ``fit``
    and ``transform`` check the input and convert the output once, here.
    """

    #: scikit-learn's ``preserves_dtype`` tag: the dtypes a transform keeps
    _dtypes_kept: tuple[str, ...] = ("float64",)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = self._preserved_dtypes()
        return tags

    def _preserved_dtypes(self) -> list[str]:
        return list(self._dtypes_kept)

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Check the columns and learn what ``transform`` needs (a secret key never is).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        frame, _ = self._frame(X, reset=True)
        self._fit_frame(frame)
        return self

    def transform(self, X: Any) -> Any:
        """Return X de-identified as fitted.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        pandas.DataFrame or ndarray
            A frame (same row index) when X is one.

        Raises
        ------
        ValueError
            If a value does not fit what the step was fitted on, or a keyed step finds no key
            (the message says how to provide one).
        """
        check_is_fitted(self)
        frame, was_frame = self._frame(X, reset=False)
        out = self._transform_frame(frame)
        return out if was_frame else out.to_numpy()

    def _fit_frame(self, frame: Any) -> None:
        raise NotImplementedError

    def _transform_frame(self, frame: Any) -> Any:
        raise NotImplementedError

    def _frame(self, X: Any, *, reset: bool) -> tuple[Any, bool]:
        pd = pandas_module()
        is_frame = isinstance(X, pd.DataFrame)
        if not is_frame:
            X = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=1)
        validate_data(self, X, reset=reset, skip_check_array=True)
        if is_frame:
            if not all(isinstance(c, str) for c in X.columns):
                raise ValueError(
                    f"{type(self).__name__}: column names must be strings; got "
                    f"{describe_names(X.columns)}."
                )
            if len(X) == 0:
                raise ValueError(f"{type(self).__name__}: X has 0 rows.")
            return X, True
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        return frame, False

    def _columns(self, spec: Any, frame: Any, default: Callable[[Any], list[str]]) -> list[str]:
        if spec is None:
            return default(frame)
        bad = [c for c in ([spec] if isinstance(spec, str) else spec) if not isinstance(c, str)]
        if bad:
            raise ValueError(f"{type(self).__name__}: columns must be names (str); got {bad}.")
        return column_list(spec, frame.columns, what=f"{type(self).__name__}: column(s)", where="X")

    def _names_out(self, names: list[str]) -> list[str]:
        return names

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Must match ``feature_names_in_`` if given; defaults to it (or ``x0, x1, ...``).

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        names = list(check_feature_names_in(self, input_features))
        return np.asarray(self._names_out(names), dtype=object)


class KeyedMixin:
    """A secret key given in memory (``set_key``), copied by ``clone`` but never pickled."""

    key_env: str | None

    def set_key(self, key: str | bytes | None) -> Any:
        """Use ``key`` for transforms in this process (None: read ``key_env`` again).

        The key is kept in memory only: not a parameter, not pickled, not in ``repr``.
        """
        if key is None:
            self.__dict__.pop("_key", None)
        else:
            self._key = key_bytes(key, f"{type(self).__name__}.set_key()")
        return self

    def _secret(self) -> bytes:
        return resolve_key(getattr(self, "_key", None), self.key_env, type(self).__name__)

    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        state.pop("_key", None)
        return state

    def __sklearn_clone__(self):
        new = super().__sklearn_clone__()
        if "_key" in self.__dict__:
            new.set_key(self._key)
        return new


def provide_key(estimator: Any, key: str | bytes | None) -> int:
    """Give ``key`` (or None to forget it) to every keyed privacy step of ``estimator``.

    Walks Pipelines, ColumnTransformers, FeatureUnions and threshold, calibration and frozen
    wrappers. Returns the number of steps that received the key.
    """
    count = 0
    for step in walk_estimators(estimator):
        if isinstance(step, KeyedMixin):
            step.set_key(key)
            count += 1
    return count
