"""How the text of a cell becomes symptoms (the steps the ONNX graph repeats), and what a
list-valued text column looks like."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np

from skmed._missing import is_missing, missing_mask

#: Separators of :class:`~skmed.preprocessing.SymptomEncoder` by default, applied in this order.
DEFAULT_SEPARATORS = (";", ",", "/", "\n")

#: Characters treated as whitespace inside a symptom (ASCII only: ``"\xa0"`` and other Unicode
#: spaces are part of the text, as in ONNX's ``StringSplit``).
WHITESPACE = (" ", "\t", "\n", "\r", "\f", "\v")

ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def split_all(pieces: list[str], separators: Iterable[str]) -> list[str]:
    """Split every piece at each separator in turn, dropping empty pieces."""
    for sep in separators:
        pieces = [part for piece in pieces for part in piece.split(sep) if part]
    return pieces


def separator_tuple(separators: str | Iterable[str]) -> tuple[str, ...]:
    """``SymptomEncoder``'s ``separators`` as a tuple of strings, checked (its ONNX graph splits
    at the same ones)."""
    seps = (separators,) if isinstance(separators, str) else tuple(separators)
    bad = [s for s in seps if not isinstance(s, str) or not s]
    if bad:
        raise ValueError(f"separators must be non-empty strings; got {bad[0]!r} in {separators!r}.")
    return seps


def normalise_case(text: str, lowercase: bool | str, strip_accents: str | None) -> str:
    """Case and accents of a whole cell (step 2 and, Python-only, accent stripping)."""
    if isinstance(lowercase, str):  # "unicode"
        text = text.lower()
    elif lowercase:
        text = text.translate(ASCII_LOWER)
    if strip_accents == "unicode":
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


def cell_tokens(
    text: str, separators: tuple[str, ...], lowercase: bool | str, strip_accents: str | None
) -> list[str]:
    """The normalised symptoms of one cell, before synonyms (steps 2 to 4)."""
    out = []
    for piece in split_all([normalise_case(text, lowercase, strip_accents)], separators):
        words = split_all([piece], WHITESPACE)
        if words:
            out.append(" ".join(words))
    return out


def one_text_column(X: Any) -> Any:
    """A 1-D column of text (a Series, an array or a list of strings), as one 2-D column.

    That is what a ColumnTransformer passes for a string column selector, as for scikit-learn's
    text vectorizers; a Series keeps its name as the feature name. Anything else (2-D input, or
    1-D numbers, which scikit-learn's checks expect to be refused) is returned unchanged.
    """
    if hasattr(X, "to_frame") and getattr(X, "ndim", 2) == 1:
        values = X.tolist()
        return X.to_frame() if all_text(values) else X
    if isinstance(X, (list, tuple)) and not any(
        isinstance(v, (list, tuple, np.ndarray)) for v in X
    ):
        return np.asarray(X, dtype=object).reshape(-1, 1) if all_text(list(X)) else X
    if isinstance(X, np.ndarray) and X.ndim == 1 and all_text(X.tolist()):
        return X.astype(object).reshape(-1, 1)
    return X


def all_text(values: list[Any]) -> bool:
    """Every value is text or missing (and at least one value is text, or there are none)."""
    missing = missing_mask(values)
    present = [v for v, m in zip(values, missing) if not m]
    return all(isinstance(v, str) for v in present)


def looks_like_symptom_list(
    series: Any,
    *,
    separators: str | Iterable[str] = DEFAULT_SEPARATORS,
    min_share: float = 0.2,
    max_words: float = 4.0,
) -> bool:
    """Whether a text column holds lists of short items (symptoms) rather than categories.

    True when the non-missing values are text, at least ``min_share`` of the non-empty ones
    contain a separator, the items are short (on average at most ``max_words`` words) and
    splitting reduces the number of distinct values (items recur across rows).

    Parameters
    ----------
    series : pandas.Series or 1D array-like
        The column.
    separators : str or sequence of str, default=DEFAULT_SEPARATORS
        As :class:`~skmed.preprocessing.SymptomEncoder`'s.
    min_share : float, default=0.2
        Least share of non-empty values containing a separator.
    max_words : float, default=4.0
        Largest mean number of words per item; longer items look like prose.

    Returns
    -------
    bool

    Examples
    --------
    >>> looks_like_symptom_list(["fever; cough", "cough", "headache, fever", None])
    True
    >>> looks_like_symptom_list(["F", "M", "F"])
    False
    """
    seps = separator_tuple(separators)
    values = series.tolist() if hasattr(series, "tolist") else list(series)
    texts = []
    for value in values:
        if is_missing(value):
            continue
        if not isinstance(value, str):
            return False
        if value.strip():
            texts.append(value)
    if not texts:
        return False
    with_separator = sum(any(s in t for s in seps) for t in texts)
    if with_separator < max(2, min_share * len(texts)):
        return False
    items = [w for t in texts for w in split_all([t.lower()], seps)]
    items = [" ".join(i.split()) for i in items]
    items = [i for i in items if i]
    if not items:
        return False
    mean_words = sum(len(i.split(" ")) for i in items) / len(items)
    distinct = len(set(items))
    return mean_words <= max_words and distinct < len(items) and distinct <= len(set(texts))
