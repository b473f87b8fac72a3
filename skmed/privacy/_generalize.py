"""Generalizing quasi-identifiers: age bands and coarsened, keyed-shifted dates."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from skmed._compat import Interval, StrOptions
from skmed._docstrings import fill_doc
from skmed._missing import is_missing
from skmed.privacy._base import DOCS, FrameTransformer, KeyedMixin, pandas_module
from skmed.privacy._keys import DEFAULT_KEY_ENV, canonical, shift_days


@fill_doc(DOCS)
class AgeBands(FrameTransformer):
    """Generalise ages (or any number) into bands, with the top band open (HIPAA: 90+).

    Band ``i`` is ``[bins[i], bins[i + 1])``; the last band is ``bins[-1]`` and above, so
    by default every age of 90 or more is reported as one band, as the HIPAA Safe Harbor rule
    asks. Missing values stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The columns to band; None bands every column (all must be numeric).
    bins : array-like of float, default=(0, 18, 30, 40, 50, 60, 70, 80, 90)
        Increasing band edges; the first may be ``-inf``. A value below the first edge is an
        error (a negative age is a data error, not a band).
    output : {"lower", "ordinal", "label"}, default="lower"
        ``"lower"``: the band's lower edge (40.0 for 40-49), numeric, so the usual scaling
        still applies; ``"ordinal"``: the band's index (0.0, 1.0, ...); ``"label"``: text such
        as ``"40-49"`` and ``"90+"`` (for one-hot encoding or reports).

    Attributes
    ----------
    bins_ : ndarray of float
    bands_ : list of str
        The band labels, lowest first.
    {{frame_attributes}}

    See Also
    --------
    k_anonymity_report : Whether the banded table is k-anonymous.
    DateGeneralizer : The same for dates.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import AgeBands
    >>> AgeBands(output="label").fit_transform(pd.DataFrame({"age": [4, 44, 97]}))["age"].tolist()
    ['0-17', '40-49', '90+']
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "bins": ["array-like"],
        "output": [StrOptions({"lower", "ordinal", "label"})],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        bins: Iterable[float] = (0, 18, 30, 40, 50, 60, 70, 80, 90),
        output: str = "lower",
    ) -> None:
        self.columns = columns
        self.bins = bins
        self.output = output

    def _preserved_dtypes(self) -> list[str]:
        return [] if self.output == "label" else ["float64"]

    def _fit_frame(self, frame: Any) -> None:
        # the bins, then that the columns are numeric and within them
        try:
            bins = np.asarray(self.bins, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"AgeBands: bins must be numbers; got {self.bins!r}.") from None
        if bins.ndim != 1 or bins.size == 0:
            raise ValueError(f"AgeBands: bins must be a non-empty list of edges; got {self.bins}.")
        if np.isnan(bins).any() or np.isposinf(bins).any() or np.isneginf(bins[1:]).any():
            raise ValueError("AgeBands: bins must be finite (only the first edge may be -inf).")
        if np.any(np.diff(bins) <= 0):
            raise ValueError(f"AgeBands: bins must be strictly increasing; got {self.bins!r}.")
        self.columns_ = self._columns(self.columns, frame, lambda f: list(f.columns))
        self.bins_ = bins
        self.bands_ = _band_labels(bins)
        for name in self.columns_:
            self._numbers(frame, name)

    def _numbers(self, frame: Any, name: str) -> np.ndarray:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        column = frame[name]
        if is_bool_dtype(column.dtype) or not is_numeric_dtype(column.dtype):
            try:
                values = column.astype(np.float64).to_numpy()
            except (TypeError, ValueError):
                raise ValueError(
                    f"AgeBands: column {name!r} is not numeric (dtype {column.dtype})."
                ) from None
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        below = values < self.bins_[0]
        if below.any():
            raise ValueError(
                f"AgeBands: column {name!r} has {int(below.sum())} value(s) below the first band "
                f"edge {self.bins_[0]:g}; fix the data or start bins lower."
            )
        return values

    def _transform_frame(self, frame: Any) -> Any:
        out = frame.copy()
        for name in self.columns_:
            values = self._numbers(frame, name)
            missing = np.isnan(values)
            filled = np.where(missing, self.bins_[0], values)
            index = np.searchsorted(self.bins_, filled, side="right") - 1
            if self.output == "label":
                labels = np.asarray(self.bands_, dtype=object)[index]
                labels[missing] = np.nan
                out[name] = pandas_module().Series(labels, index=frame.index, dtype=object)
            else:
                result = self.bins_[index] if self.output == "lower" else index.astype(np.float64)
                out[name] = np.where(missing, np.nan, result)
        return out


def _band_labels(bins: np.ndarray) -> list[str]:
    def fmt(x: float) -> str:
        return f"{x:g}"

    integer = all(np.isneginf(b) or float(b).is_integer() for b in bins)
    labels = []
    for low, high in zip(bins[:-1], bins[1:]):
        if np.isneginf(low):
            labels.append(f"<{fmt(high)}")
        elif integer:
            labels.append(f"{fmt(low)}-{fmt(high - 1)}")
        else:
            labels.append(f"{fmt(low)}-<{fmt(high)}")
    labels.append(f"{fmt(bins[-1])}+")
    return labels


@fill_doc(DOCS)
class DateGeneralizer(KeyedMixin, FrameTransformer):
    """Generalise dates: keep only the year, or shift each patient's dates by a keyed offset.

    ``mode="year"``: each date becomes its year, a number (HIPAA Safe Harbor keeps the year
    of a date and drops the rest). ``mode="shift"``: every date of one patient (rows with the
    same ``id_column`` value) moves by the same number of days, between ``-max_shift_days`` and
    ``+max_shift_days`` and never 0, derived from HMAC-SHA-256 of the patient identifier with
    the secret key. Intervals between one patient's dates (length of stay, time to follow-up)
    stay exact; calendar dates, weekdays and seasons do not. Offsets are recomputed from the
    key at each transform and never stored. Missing dates stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The date columns (``datetime64``, or text pandas parses as dates); None: every
        column except ``id_column``.
    mode : {"year", "shift"}, default="year"
    id_column : str, default=None
        Column identifying the patient; required with ``mode="shift"``. It is left unchanged
        (pseudonymise or drop it in a later step).
    max_shift_days : int, default=365
    date_format : str, default=None
        Passed to :func:`pandas.to_datetime` for text columns (e.g. ``"%d/%m/%Y"``, or
        ``"mixed"``); None lets pandas infer it. Text that does not parse is an error.
    {{key_env}}
        Used only by ``mode="shift"``.

    Attributes
    ----------
    {{frame_attributes}}

    See Also
    --------
    AgeBands : The same for ages.
    Pseudonymizer : For the ``id_column`` once its dates are shifted.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import DateGeneralizer
    >>> X = pd.DataFrame({"date_of_birth": ["1957-03-14", "1988-11-02"]})
    >>> DateGeneralizer().fit_transform(X)["date_of_birth"].tolist()
    [1957.0, 1988.0]
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "mode": [StrOptions({"year", "shift"})],
        "id_column": [str, None],
        "max_shift_days": [Interval(numbers.Integral, 1, None, closed="left")],
        "date_format": [str, None],
        "key_env": [str, None],
    }
    _dtypes_kept = ()  # years or datetime64

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        mode: str = "year",
        id_column: str | None = None,
        max_shift_days: int = 365,
        date_format: str | None = None,
        key_env: str = DEFAULT_KEY_ENV,
    ) -> None:
        self.columns = columns
        self.mode = mode
        self.id_column = id_column
        self.max_shift_days = max_shift_days
        self.date_format = date_format
        self.key_env = key_env

    def _fit_frame(self, frame: Any) -> None:
        # that the columns hold dates (the key is not needed to fit)
        if self.mode == "shift" and self.id_column is None:
            raise ValueError(
                "DateGeneralizer(mode='shift') needs id_column, the column identifying the "
                "patient, so that all dates of one patient move together."
            )
        if self.id_column is not None:
            self._columns([self.id_column], frame, lambda f: [])
        self.columns_ = self._columns(
            self.columns, frame, lambda f: [c for c in f.columns if c != self.id_column]
        )
        if self.id_column in self.columns_:
            raise ValueError(f"DateGeneralizer: id_column {self.id_column!r} is also in columns.")
        for name in self.columns_:
            self._dates(frame, name)

    def _dates(self, frame: Any, name: str) -> Any:
        pd = pandas_module()
        from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

        column = frame[name]
        if is_datetime64_any_dtype(column.dtype):
            return column
        if is_numeric_dtype(column.dtype) and not column.isna().all():
            raise ValueError(
                f"DateGeneralizer: column {name!r} is numeric (dtype {column.dtype}), not dates; "
                "give dates as datetime64 or text."
            )
        values = column.astype(object).where(column.notna(), None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parsed = pd.to_datetime(values, errors="coerce", format=self.date_format)
        bad = int((column.notna() & parsed.isna()).sum())
        if not bad:
            for warning in caught:  # e.g. "Could not infer format": worth seeing if it parsed
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        if bad:
            raise ValueError(
                f"DateGeneralizer: {bad} value(s) of column {name!r} are not dates"
                + (f" in format {self.date_format!r}" if self.date_format else "")
                + "; set date_format (e.g. '%d/%m/%Y' or 'mixed')."
            )
        return parsed

    def _transform_frame(self, frame: Any) -> Any:
        # errors: a value not a date; with mode="shift", no key or a date without a patient
        pd = pandas_module()
        out = frame.copy()
        if self.mode == "shift":
            key = self._secret()
            ids = frame[self.id_column]
            cache: dict[Any, int] = {}
            offsets = np.empty(len(frame), dtype=np.float64)
            for i, value in enumerate(ids.tolist()):
                if is_missing(value):
                    offsets[i] = np.nan
                    continue
                text = canonical(value)
                if text not in cache:
                    cache[text] = shift_days(key, text, self.max_shift_days)
                offsets[i] = cache[text]
            shift = pd.to_timedelta(pd.Series(offsets, index=frame.index), unit="D")
        for name in self.columns_:
            dates = self._dates(frame, name)
            if self.mode == "year":
                out[name] = dates.dt.year.astype(np.float64)
            else:
                orphan = dates.notna() & shift.isna()
                if orphan.any():
                    raise ValueError(
                        f"DateGeneralizer: {int(orphan.sum())} row(s) have a {name!r} date but no "
                        f"{self.id_column!r} value, so their dates cannot be shifted with their "
                        "patient's offset."
                    )
                out[name] = dates + shift
        return out
