"""The base of the de-identifying transformers: frames in, frames out; keyed steps."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skmed._compat import check_feature_names_in
from skmed.privacy._keys import key_bytes, resolve_key


def pandas_module() -> Any:
    import pandas as pd

    return pd


def describe(names: Sequence[Any], limit: int = 12) -> str:
    names = [str(n) for n in names]
    if len(names) <= limit:
        return repr(names)
    return f"{names[:limit]!r}"[:-1] + f", ... ({len(names) - limit} more)]"


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Shared input handling: frames stay frames; arrays get columns ``x0, x1, ...``."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

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
                    f"{describe(X.columns)}."
                )
            if len(X) == 0:
                raise ValueError(f"{type(self).__name__}: X has 0 rows.")
            return X, True
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        return frame, False

    def _columns(self, spec: Any, frame: Any, default: Callable[[Any], list[str]]) -> list[str]:
        if spec is None:
            return default(frame)
        if isinstance(spec, str):
            spec = [spec]
        spec = list(spec)
        bad = [c for c in spec if not isinstance(c, str)]
        if bad:
            raise ValueError(f"{type(self).__name__}: columns must be names (str); got {bad}.")
        missing = [c for c in spec if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: column(s) {missing} not found in X; its columns are "
                f"{describe(frame.columns)}."
            )
        return spec

    def _output(self, frame: Any, was_frame: bool) -> Any:
        if was_frame:
            return frame
        return frame.to_numpy()

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
            new._key = self._key
        return new


# ====================================================================== transformers


def provide_key(estimator: Any, key: str | bytes | None) -> int:
    """Give ``key`` (or None to forget it) to every keyed privacy step of ``estimator``.

    Walks Pipelines, ColumnTransformers and FeatureUnions. Returns the number of steps that
    received the key.
    """
    count = 0
    for step in walk(estimator):
        if isinstance(step, KeyedMixin):
            step.set_key(key)
            count += 1
    return count


def walk(estimator: Any) -> Iterator[Any]:
    yield estimator
    children: list[Any] = []
    if hasattr(estimator, "steps"):
        children = [s for _, s in estimator.steps]
    elif hasattr(estimator, "transformer_list"):
        children = [s for _, s in estimator.transformer_list]
    elif hasattr(estimator, "transformers"):
        source = getattr(estimator, "transformers_", estimator.transformers)
        children = [t for _, t, _ in source]
    for child in children:
        if child is not None and not isinstance(child, str):
            yield from walk(child)


# ====================================================================== transformer base
