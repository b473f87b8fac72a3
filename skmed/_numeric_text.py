"""Numbers held as text: the check that keeps a numeric column with a few stray entries from
silently becoming a categorical one.

A column read from a CSV holds text as soon as one field is not a number (``"unknown"``,
``"<5"``, ``"not done"``). :func:`numeric_text` finds the text columns that are nevertheless
numeric: at least :data:`NUMERIC_SHARE` of their values (blank fields and missing values aside)
read as finite numbers. If they all do, the column is numeric; if some do not, that is an error
(:class:`MixedColumnError`), never a category: the caller says which entries are missing values
(``na_values``) or that the column is categorical. A column with fewer numbers (codes such as
``"E11"``, ``"I10"`` next to a few ``"250"``) is categorical.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Share of a text column's values that must read as numbers for the column to count as
#: numeric (with a few stray entries: an error) rather than categorical.
NUMERIC_SHARE = 0.9

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
        Index labels of the rows holding such an entry (a CSV read by pandas: line - 2).
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


def numeric_text(values: Any, column: str) -> bool:
    """Whether a text column is numeric: True when every present value reads as a finite
    number, False when fewer than :data:`NUMERIC_SHARE` do (a categorical column).

    Raises
    ------
    MixedColumnError
        If the column is numeric but holds stray entries.
    """
    _, present, stray = read_numbers(values)
    n_values = int(present.sum())
    if n_values == 0 or (n_values - stray.sum()) / n_values < NUMERIC_SHARE:
        return False
    if stray.any():
        raise MixedColumnError(stray_entries(values, stray, n_values, column))
    return True


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
        label = found.labels[0]
        super().__init__(
            f"column {found.column!r} is numeric but the row at index {label!r} holds "
            f"{found.first!r} ({found.counts()}); pass na_values={found.tokens[:_SHOWN]!r} to "
            f"read such entries as missing values, or categorical=[{found.column!r}] if the "
            "column is categorical."
        )

    def command_message(self, source: str) -> str:
        """The message for ``skmed train`` on a CSV read by pandas (index label = line - 2)."""
        found = self.found
        line = int(found.labels[0]) + 2
        return (
            f"column {found.column!r} is numeric but line {line} of {source} holds "
            f"{found.first!r} ({found.counts()}); read such entries as missing values with "
            f"--na-values {shlex.join(found.tokens[:_SHOWN])}, or train on the column as "
            f"categories with --categorical {shlex.quote(found.column)}."
        )
