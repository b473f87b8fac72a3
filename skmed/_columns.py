"""The one column lookup: names a caller asked for that a table lacks, in one message.

Stdlib only: the runtime, the server and the Dask workers use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def describe_names(names: Iterable[Any], limit: int = 10) -> str:
    """``['a', 'b', ...]`` for messages, cut after ``limit`` names."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return repr(names)
    return f"{names[:limit]!r}"[:-1] + f", ... ({len(names) - limit} more)]"


def missing_columns(names: Iterable[Any], columns: Iterable[Any]) -> list[Any]:
    """The entries of ``names`` that are not among ``columns``, in the order given."""
    have = set(columns)
    return [name for name in names if name not in have]


def missing_message(
    missing: Iterable[Any], columns: Iterable[Any], *, what: str, where: str
) -> str:
    """The one "not found" sentence: which names, where, and what the table has instead."""
    return (
        f"{what} {describe_names(missing)} not found in {where}; its columns are "
        f"{describe_names(columns)}."
    )


def require_columns(
    names: Iterable[Any],
    columns: Iterable[Any],
    *,
    what: str = "column(s)",
    where: str = "the data",
    error: type[Exception] = ValueError,
) -> None:
    """Raise ``error`` naming every entry of ``names`` absent from ``columns``.

    Parameters
    ----------
    names : iterable
        The columns the caller needs.
    columns : iterable
        The columns the table has.
    what : str, default="column(s)"
        What the names are, e.g. ``"--drop names column(s)"`` or ``"the model's column(s)"``.
    where : str, default="the data"
        The table, e.g. a file name.
    error : exception class, default=ValueError
        Raised with the message (an error that also carries the column, such as the schema's
        ``InputError``, is raised by the caller with :func:`missing_message`).
    """
    columns = list(columns)
    missing = missing_columns(names, columns)
    if missing:
        raise error(missing_message(missing, columns, what=what, where=where))
