"""File helpers for the command line: atomic writes and reading CSV files with clear errors.

Everything that writes a file goes through :func:`atomic_write` (or :class:`AtomicFiles` for
several files that must appear together): the content goes to a temporary file in the target's
directory, which replaces the target with :func:`os.replace` only once it is complete. A failure
at any point leaves no partial file behind.

:func:`iter_prediction_chunks` reads a CSV in chunks for prediction, converting the columns the
model takes according to its input schema and naming the line of the first bad value. It imports
pandas and numpy only (never scikit-learn or Keras), so ``skmed predict`` stays light.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from skmed._columns import missing_columns, missing_message
from skmed._schema import InputError

__all__ = [
    "AtomicFiles",
    "atomic_write",
    "check_output_path",
    "iter_prediction_chunks",
    "read_csv",
]

#: Rows per chunk read by ``skmed predict``; ~20k rows of a few dozen columns is a few tens of MB.
DEFAULT_CHUNK_SIZE = 20_000


# ---------------------------------------------------------------------- writing


def check_output_path(path: str | os.PathLike[str], what: str = "output") -> str:
    """Return ``path`` as a string after checking that it can be written.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    ValueError
        If ``path`` is an existing directory.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot write the {what} file {path!r}: directory {os.path.dirname(path) or '.'!r} "
            "does not exist."
        )
    if os.path.isdir(path):
        raise ValueError(f"cannot write the {what} file {path!r}: it is a directory.")
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temporary_beside(path: str, mode: str) -> tuple[IO[Any], str]:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
    kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    return os.fdopen(fd, mode, **kwargs), tmp


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    If the block raises (or the process is interrupted), the temporary file is removed and
    ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The final file.
    mode : {"w", "wb"}
        Text (UTF-8, ``newline=""``) or binary.
    """
    path = check_output_path(path)
    handle, tmp = _temporary_beside(path, mode)
    try:
        with handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class AtomicFiles:
    """Stage several files, then publish them together.

    Each :meth:`add` writes its content to a temporary file beside the target; :meth:`commit`
    renames them all into place. Used as a context manager, anything not committed is removed
    on exit, so an error half-way leaves none of the files behind.

    Examples
    --------
    >>> with AtomicFiles() as files:  # doctest: +SKIP
    ...     files.add("model.onnx", model_bytes)
    ...     files.add("report.html", html)
    ...     files.commit()
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, str]] = []

    def add(self, path: str | os.PathLike[str], content: str | bytes) -> None:
        """Write ``content`` (text is UTF-8) to a temporary file that will become ``path``."""
        path = check_output_path(path)
        handle, tmp = _temporary_beside(path, "wb" if isinstance(content, bytes) else "w")
        self._staged.append((tmp, path))
        with handle:
            handle.write(content)

    def commit(self) -> list[str]:
        """Move every staged file into place; return the final paths."""
        done = []
        for tmp, path in self._staged:
            os.replace(tmp, path)
            done.append(path)
        self._staged = []
        return done

    def discard(self) -> None:
        """Remove every staged temporary file."""
        for tmp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


# ---------------------------------------------------------------------- reading


def check_input_file(path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}.")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a CSV file.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path!r} is empty.")
    return path


def _parser_error(path: str, exc: Exception) -> ValueError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ValueError(f"{path!r} is not a readable CSV file: {message}")


def read_csv(path: str | os.PathLike[str], na_values: list[str] | None = None) -> Any:
    """Read a whole CSV (for training) into a pandas frame, with one-line errors.

    ``na_values`` are entries read as missing values in every column (a field matches when
    it is exactly the token), besides pandas' own: blank, ``NA``, ``N/A``, ``n/a``, ``NaN``,
    ``nan``, ``NULL``, ``null``, ``None``, ``#N/A``, ...

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is empty, has no data rows, or cannot be parsed as CSV.
    """
    import pandas as pd

    path = check_input_file(path)
    try:
        frame = pd.read_csv(path, na_values=list(na_values or ()) or None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _parser_error(path, exc) from None
    if frame.shape[1] == 0 or len(frame) == 0:
        raise ValueError(f"{path!r} has a header but no data rows.")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if len(unnamed) == frame.shape[1]:
        raise ValueError(f"{path!r} has no header row of column names.")
    duplicated = [c for c in frame.columns if "." in str(c) and str(c).rsplit(".", 1)[0] in frame]
    if duplicated:
        raise ValueError(f"{path!r} has duplicated column names (e.g. {duplicated[0]!r}).")
    return frame


def data_line(path: str | os.PathLike[str], row: int) -> int:
    """The file line (1-based, the header on line 1) where data row ``row`` of a frame that
    :func:`read_csv` read starts, counting the blank lines pandas skips and quoted fields that
    span lines. Read again only for an error message."""
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        end = 0  # the line the previous record ended on
        seen = -1  # data rows read (the header is row -1)
        for record in reader:
            start, end = end + 1, reader.line_num
            if len(record) <= 1 and not "".join(record).strip():
                continue  # a blank (or only-spaces) line: pandas skips it
            if seen == row:
                return start
            seen += 1
    return row + 2


# ---------------------------------------------------------------------- prediction input

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})


def iter_prediction_chunks(
    path: str | os.PathLike[str] | IO[bytes],
    inputs: list[tuple[str, str]],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Read a CSV in chunks and convert the model's columns to its input types.

    Every column is read as text, so the other columns pass through unchanged (missing values
    become empty fields). The model's columns are converted per its schema: numbers, integers,
    booleans or text (missing text is ``None``).

    Parameters
    ----------
    path : str, path-like or binary file object
        The CSV file, with a header row (a file object: read as it is, e.g. a request body).
    inputs : list of (name, kind)
        The model's input columns and their kinds (``"double"``, ``"float"``, ``"int64"``,
        ``"bool"``, ``"string"``), as in the model's input schema.
    chunk_size : int
        Rows per chunk; memory use grows with it, not with the size of the file.

    Yields
    ------
    frame : pandas.DataFrame
        The chunk as read (all columns as text).
    columns : dict of str to ndarray
        The model's columns, converted; pass it to :meth:`OnnxClassifier.predict_proba`.

    Raises
    ------
    ValueError
        If the file is empty or malformed, lacks a model column, or a value cannot be converted
        (the message names the column, the line number and the value; an
        :class:`~skmed._schema.InputError` with the column and the 0-based data row).
    """
    import pandas as pd

    if hasattr(path, "read"):
        source: Any = path
        path = "the CSV data"
    else:
        source = path = check_input_file(path)
    try:
        reader = pd.read_csv(source, dtype=str, chunksize=chunk_size)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _parser_error(path, exc) from None
    first_line = 2  # line 1 is the header
    with reader:
        chunks = iter(reader)
        n_chunks = 0
        while True:
            try:
                frame = next(chunks)
            except StopIteration:
                break
            except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
                raise _parser_error(path, exc) from None
            if n_chunks == 0:
                missing = missing_columns([name for name, _ in inputs], frame.columns)
                if missing:
                    message = missing_message(
                        missing, frame.columns, what="the model's column(s)", where=repr(path)
                    )
                    raise InputError(message, column=missing[0])
            n_chunks += 1
            columns = {
                name: convert_text_column(frame[name], kind, name, first_line)
                for name, kind in inputs
            }
            yield frame, columns
            first_line += len(frame)
        if n_chunks == 0:
            raise InputError(f"{path!r} has a header but no data rows.")


def _error(name: str, first_line: int, i: int, text: str) -> InputError:
    """The error for data row ``i`` of a chunk whose first row is on line ``first_line``."""
    return InputError(
        f"column {name!r}, line {first_line + i}: {text}", column=name, row=first_line - 2 + i
    )


def _first_bad(mask: Any, values: Any, name: str, first_line: int, expected: str) -> InputError:
    import numpy as np

    i = int(np.flatnonzero(mask)[0])
    return _error(name, first_line, i, f"{values[i]!r} is not {expected}.")


def convert_text_column(series: Any, kind: str, name: str, first_line: int) -> Any:
    """Convert one text column (missing = NaN) to the model's input kind."""
    import numpy as np
    import pandas as pd

    if kind == "string":
        return series.to_numpy(dtype=object, na_value=None)
    present = series.notna().to_numpy(dtype=bool)
    if kind == "bool":
        lowered = series.str.strip().str.lower()
        is_true = lowered.isin(_TRUE).to_numpy(dtype=bool)
        is_false = lowered.isin(_FALSE).to_numpy(dtype=bool)
        bad = ~(is_true | is_false)
        if bad.any():
            text = series.to_numpy(dtype=object, na_value=None)
            i = int(np.flatnonzero(bad)[0])
            if not present[i] or not str(text[i]).strip():
                raise _error(
                    name,
                    first_line,
                    i,
                    "missing value in a boolean column (the model cannot take missing values "
                    "there).",
                )
            raise _first_bad(bad, text, name, first_line, "a boolean (true/false, 1/0)")
        return is_true
    # fast path: pandas parses numbers (surrounding spaces allowed) in C
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    failed = present & np.isnan(numbers)
    if failed.any():
        # slow path, only for the failures: blanks are missing, True/False (as pandas writes
        # booleans) are 1/0, anything else is an error. pandas may hand out read-only views.
        text = series.to_numpy(dtype=object, na_value=None)
        numbers, present = numbers.copy(), present.copy()
        for k in np.flatnonzero(failed).tolist():
            word = str(text[k]).strip().lower()
            if word == "":
                present[k] = False
            elif word in ("true", "false"):
                numbers[k] = 1.0 if word == "true" else 0.0
            else:
                raise _error(name, first_line, k, f"{text[k]!r} is not a number.")
    infinite = np.isinf(numbers)
    if infinite.any():
        text = series.to_numpy(dtype=object, na_value=None)
        raise _first_bad(infinite, text, name, first_line, "a finite number")
    if kind == "int64":
        if not present.all():
            raise _error(
                name,
                first_line,
                int(np.flatnonzero(~present)[0]),
                "missing value in an integer column (the model cannot take missing values there).",
            )
        fractional = numbers != np.round(numbers)
        if fractional.any():
            text = series.to_numpy(dtype=object, na_value=None)
            raise _first_bad(fractional, text, name, first_line, "an integer")
        return numbers.astype(np.int64)
    return numbers.astype(np.float32 if kind == "float" else np.float64)
