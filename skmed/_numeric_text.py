"""Numbers held as text: the check that keeps a numeric column with a few stray entries from
silently becoming a categorical one.

A column read from a CSV holds text as soon as one field is not a number (``"unknown"``,
``"<5"``, ``"not done"``). :func:`numeric_text` decides whether such a text column is numeric.
Its present values (blank fields and missing values aside) split into numbers and other entries;
the column is numeric when

* every present value is a number (unless they are a few distinct whole numbers: codes held as
  text on purpose, such as a stage "1" to "4"), or
* at least half are numbers and the other entries are *stray*: rare (under
  :data:`STRAY_SHARE` of the values, whatever they say) or few kinds of entry (at most
  :data:`STRAY_KINDS`, or :data:`STRAY_SHARE` as many kinds as there are distinct numbers).

Missing-value markers are a small vocabulary ("unknown", "n.d.", "<5"), however often they
occur; category codes are a large one ("E11", "I10", "V45.81" next to "250", "401.9"), so a code
column stays categorical. A numeric column with stray entries is an error
(:class:`MixedColumnError`), never a category: the caller says which entries are missing values
(``na_values``) or that the column is categorical.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Stray entries: under this share of a column's values, or at most this share as many kinds
#: of entry as the column has distinct numbers.
STRAY_SHARE = 0.05

#: Stray entries: at most this many kinds of entry, however many distinct numbers.
STRAY_KINDS = 3

#: Text holding at most this many distinct whole numbers (and nothing else) is a code column.
CODE_LEVELS = 10

#: Stray entries a message lists (then "...").
_SHOWN = 5


def as_tokens(na_values: str | Iterable[str] | None) -> tuple[str, ...]:
    """``na_values`` as a tuple of text tokens (a single string is one token).

    Raises
    ------
    ValueError
        If a token is not text.
    """
    if na_values is None:
        return ()
    tokens = (na_values,) if isinstance(na_values, str) else tuple(na_values)
    bad = [t for t in tokens if not isinstance(t, str)]
    if bad:
        raise ValueError(f"na_values must be text tokens (e.g. ['unknown']); got {bad[0]!r}.")
    return tokens


def with_missing(values: Any, tokens: tuple[str, ...]) -> Any:
    """``values`` (a Series) with every entry equal to a token (surrounding spaces ignored;
    numbers compared as numbers, so ``"999"`` also matches 999.0) set to missing."""
    import pandas as pd

    if not tokens:
        return values
    if values.dtype.kind in "biuf":
        numbers = pd.to_numeric(pd.Series(tokens), errors="coerce").dropna().to_numpy()
        if values.dtype.kind == "b" or not numbers.size:
            return values
        return values.astype(np.float64).mask(values.isin(numbers))
    text = values.astype(object).where(values.notna())
    stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    numeric_tokens = set(pd.to_numeric(pd.Series(tokens), errors="coerce").dropna().tolist())
    hit = stripped.isin({t.strip() for t in tokens})
    if numeric_tokens:
        hit |= pd.to_numeric(stripped, errors="coerce").isin(numeric_tokens)
    return values.mask(hit)


def read_numbers(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(numbers, present, stray)`` for a column: float64 values (blank text, missing values
    and stray entries as NaN), and boolean masks of the present (non-blank) entries and of the
    present entries that are not finite numbers."""
    import pandas as pd

    text = values.astype(object).where(values.notna())
    stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    present = stripped.notna() & (stripped != "")
    numbers = pd.to_numeric(stripped.where(present), errors="coerce")
    numbers = numbers.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    present = present.to_numpy(dtype=bool)
    stray = present & ~np.isfinite(numbers)
    numbers[stray] = np.nan
    return numbers, present, stray


@dataclass(frozen=True)
class MixedColumn:
    """A numeric column holding entries that are not numbers.

    Attributes
    ----------
    column : str
    labels : list
        Index labels of the rows holding such an entry.
    tokens : list of str
        The distinct such entries, in order of appearance.
    n_values : int
        Present (non-blank) values of the column.
    """

    column: str
    labels: list[Any]
    tokens: list[str]
    n_values: int

    @property
    def first(self) -> str:
        return self.tokens[0]

    def counts(self) -> str:
        """``"3 of 120 values are not numbers: 'unknown', 'n/a'"``."""
        shown = ", ".join(repr(t) for t in self.tokens[:_SHOWN])
        more = ", ..." if len(self.tokens) > _SHOWN else ""
        k = len(self.labels)
        verb = "is not a number" if k == 1 else "are not numbers"
        return f"{k} of {self.n_values} values {verb}: {shown}{more}"


def numeric_text(values: Any, column: str, cleared: bool = False) -> bool:
    """Whether a text column is numeric (see the module's rule), False for a categorical one.

    When every present value reads as a number, the column is numeric unless its numbers look
    like codes -- at most :data:`CODE_LEVELS` distinct whole numbers, as the text of
    ``astype(str)`` of a stage "1" to "4" -- and no entry was just read as missing
    (``cleared``: the stray entries of a numeric column given as ``na_values``).

    Raises
    ------
    MixedColumnError
        If the column is numeric but holds stray entries.
    """
    numbers, present, stray = read_numbers(values)
    n_values = int(present.sum())
    n_stray = int(stray.sum())
    if n_values == 0 or n_stray > n_values / 2:
        return False
    if n_stray == 0:
        levels = np.unique(numbers[present])
        codes = levels.size <= CODE_LEVELS and bool(np.all(levels == np.round(levels)))
        return cleared or not codes
    if n_stray >= STRAY_SHARE * n_values:
        raw = values.to_numpy(dtype=object)[stray]
        kinds = len({str(v).strip() for v in raw})
        distinct = np.unique(numbers[present & ~stray]).size
        if kinds > max(STRAY_KINDS, STRAY_SHARE * distinct):
            return False  # a vocabulary of codes beside numeric ones
    raise MixedColumnError(stray_entries(values, stray, n_values, column))


def check_numbers(values: Any, column: str) -> np.ndarray:
    """A column the caller says is numeric as float64 (blank and missing entries as NaN).

    Raises
    ------
    MixedColumnError
        If it holds an entry that is not a finite number.
    """
    numbers, present, stray = read_numbers(values)
    if stray.any():
        raise MixedColumnError(stray_entries(values, stray, int(present.sum()), column))
    return numbers


def stray_entries(values: Any, stray: np.ndarray, n_values: int, column: str) -> MixedColumn:
    positions = stray.nonzero()[0]
    raw = values.to_numpy(dtype=object)
    tokens = list(dict.fromkeys(str(raw[i]) for i in positions))
    return MixedColumn(column, [values.index[i] for i in positions], tokens, n_values)


class MixedColumnError(ValueError):
    """A numeric column holds entries that are not numbers (see :class:`MixedColumn`)."""

    def __init__(self, found: MixedColumn) -> None:
        self.found = found
        super().__init__(
            f"column {found.column!r} is numeric but the row at index {found.labels[0]!r} holds "
            f"{found.first!r} ({found.counts()}); read such entries as missing values with "
            f"infer_column_types(..., na_values={found.tokens[:_SHOWN]!r}) and prepare_features, "
            f"or name the column in categorical=[{found.column!r}] if it holds categories."
        )

    def command_message(self, source: str, line: Callable[[Any], int]) -> str:
        """The message for ``skmed train``: ``line`` gives the file line of an index label."""
        found = self.found
        return (
            f"column {found.column!r} is numeric but line {line(found.labels[0])} of {source} "
            f"holds {found.first!r} ({found.counts()}); read such entries as missing values "
            f"with --na-values {shlex.join(found.tokens[:_SHOWN])}, or train on the column as "
            f"categories with --categorical {shlex.quote(found.column)}."
        )
