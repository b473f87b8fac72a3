"""Dropping identifier columns, and replacing them by keyed pseudonyms."""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from skmed._compat import Interval, StrOptions
from skmed._docstrings import fill_doc
from skmed._missing import is_missing
from skmed.privacy._base import DOCS, FrameTransformer, KeyedMixin, pandas_module
from skmed.privacy._keys import DEFAULT_KEY_ENV, keyed_pseudonym
from skmed.privacy._scan import IdentifierScan, scan_identifiers


@fill_doc(DOCS)
class DropIdentifiers(FrameTransformer):
    """Drop direct-identifier columns: the ones named, or the ones the scan flags.

    Parameters
    ----------
    columns : "auto" or list of str, default="auto"
        ``"auto"``: the columns :func:`scan_identifiers` flags at fit (the findings are kept in
        ``scan_``); else the columns to drop.
    keep : list of str, default=None
        Columns never dropped in ``"auto"`` mode, though flagged.
    min_confidence : float, default=0.5
        Passed to :func:`scan_identifiers`.
    sample_size : int, default=1000
        Passed to :func:`scan_identifiers`.

    Attributes
    ----------
    scan_ : IdentifierScan or None
        The scan behind ``"auto"`` (column names, kinds and evidence only, no values).
    {{frame_attributes}}

    See Also
    --------
    scan_identifiers : The scan behind ``"auto"``.
    Pseudonymizer : Keeps a joinable key instead of dropping it.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import DropIdentifiers
    >>> X = pd.DataFrame({"email": ["a.b@example.org", "c@example.com"], "crp": [4.0, 12.5]})
    >>> DropIdentifiers().fit_transform(X).columns.tolist()
    ['crp']
    """

    _parameter_constraints: dict = {
        "columns": [StrOptions({"auto"}), "array-like"],
        "keep": ["array-like", None],
        "min_confidence": [Interval(numbers.Real, 0, 1, closed="both")],
        "sample_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        columns: Iterable[str] | str = "auto",
        *,
        keep: Iterable[str] | None = None,
        min_confidence: float = 0.5,
        sample_size: int = 1000,
    ) -> None:
        self.columns = columns
        self.keep = keep
        self.min_confidence = min_confidence
        self.sample_size = sample_size

    def _fit_frame(self, frame: Any) -> None:
        keep = self._columns(self.keep, frame, lambda f: [])
        if isinstance(self.columns, str):  # "auto"
            self.scan_: IdentifierScan | None = scan_identifiers(
                frame, sample_size=self.sample_size, min_confidence=self.min_confidence
            )
            self.columns_ = [c for c in self.scan_.flagged_columns if c not in keep]
        else:
            self.scan_ = None
            columns = self._columns(self.columns, frame, lambda f: [])
            both = [c for c in columns if c in keep]
            if both:
                raise ValueError(f"DropIdentifiers: column(s) {both} are in both columns and keep.")
            self.columns_ = list(dict.fromkeys(columns))

    def _transform_frame(self, frame: Any) -> Any:
        return frame.drop(columns=self.columns_)

    def _names_out(self, names: list[str]) -> list[str]:
        return [n for n in names if n not in self.columns_]


@fill_doc(DOCS)
class Pseudonymizer(KeyedMixin, FrameTransformer):
    """Replace identifier values by keyed pseudonyms (HMAC-SHA-256).

    Each value becomes ``prefix + HMAC-SHA-256(key, value)`` in hex, cut to ``length``
    characters. The same value and key always give the same pseudonym (across columns, tables
    and runs, so pseudonymised tables can still be joined); another key gives unrelated
    pseudonyms; without the key, a pseudonym cannot be computed from an identifier nor turned
    back into one. Values are compared as text, with integers written without a decimal point
    and surrounding spaces removed (``12345``, ``12345.0`` and ``" 12345"`` agree). Missing
    values stay missing.

    The key is read at **transform** time, never stored: from ``set_key(key)`` if called in
    this process, else from the environment variable named by ``key_env``.

    Parameters
    ----------
    columns : list of str, default=None
        The identifier columns; None pseudonymises every column.
    {{key_env}}
    length : int, default=16
        Hex characters kept, 8 to 64 (16 = 64 bits: collisions are unlikely below ~100
        million distinct values).
    prefix : str, default=""
        Put before each pseudonym, e.g. ``"P-"``.

    Attributes
    ----------
    {{frame_attributes}}

    See Also
    --------
    pseudonymize : The pseudonym of one known identifier.
    split_identifiers : An identifier table and a feature table joined by a pseudonym.
    provide_key : Gives a key to every keyed step of a pipeline.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import Pseudonymizer
    >>> X = pd.DataFrame({"mrn": ["MRN001234", "MRN005678"], "crp": [4.0, 12.5]})
    >>> ps = Pseudonymizer(["mrn"]).set_key("a secret of at least 16 bytes")
    >>> ps.fit_transform(X)["mrn"].str.len().tolist()
    [16, 16]
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "key_env": [str, None],
        "length": [Interval(numbers.Integral, 8, 64, closed="both")],
        "prefix": [str],
    }
    _dtypes_kept = ()  # pseudonyms are text

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        key_env: str = DEFAULT_KEY_ENV,
        length: int = 16,
        prefix: str = "",
    ) -> None:
        self.columns = columns
        self.key_env = key_env
        self.length = length
        self.prefix = prefix

    def _fit_frame(self, frame: Any) -> None:
        self.columns_ = self._columns(self.columns, frame, lambda f: list(f.columns))

    def _transform_frame(self, frame: Any) -> Any:
        key = self._secret()
        out = frame.copy()
        for name in self.columns_:
            out[name] = pseudonymize_series(out[name], key, self.length, self.prefix)
        return out


def pseudonymize_series(series: Any, key: bytes, length: int, prefix: str) -> Any:
    pd = pandas_module()
    cache: dict[Any, str] = {}
    result: list[Any] = []
    for value in series.tolist():
        if is_missing(value):
            result.append(np.nan)
            continue
        try:
            pseudonym = cache.get(value)
        except TypeError:  # unhashable
            pseudonym = None
        if pseudonym is None:
            pseudonym = keyed_pseudonym(key, value, length, prefix)
            with contextlib.suppress(TypeError):  # unhashable values are not cached
                cache[value] = pseudonym
        result.append(pseudonym)
    return pd.Series(result, index=series.index, dtype=object, name=series.name)
