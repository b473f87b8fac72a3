"""The censored outcome ``y`` of survival estimators and metrics: one check, one error wording.

scikit-survival's convention: a structured array of two fields, the event indicator (bool)
first and the observed time second, as ``sksurv.util.Surv.from_arrays`` makes it. skmed
accepts it without importing scikit-survival, and also a two-column frame (event, time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EXPECTED = (
    "a structured array of (event, time) as sksurv.util.Surv.from_arrays(event, time) makes "
    "it (the event indicator first, bool; the observed time second, float), or a two-column "
    "frame (event, time)"
)


def check_survival_target(y: Any, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """The event indicators (bool) and the times (float64) of a survival outcome.

    Raises ``ValueError`` naming the field and the rows at fault: a ``y`` that is not
    (event, time), missing or negative times, events that are not 0/1, no event at all.
    """
    event, time, names = _fields(y, name)
    if len(time) == 0:
        raise ValueError(f"{name} is empty; a survival outcome needs at least one row.")
    time = _as_float(time, name, names[1])
    bad = np.flatnonzero(~np.isfinite(time))
    if bad.size:
        raise ValueError(
            f"{name}[{names[1]!r}] has {bad.size} missing or infinite time(s), e.g. at row(s) "
            f"{bad[:5].tolist()}; every patient needs a finite follow-up time."
        )
    bad = np.flatnonzero(time < 0)
    if bad.size:
        raise ValueError(
            f"{name}[{names[1]!r}] has {bad.size} negative time(s), e.g. {time[bad[0]]!r} at "
            f"row {int(bad[0])}; times are durations from the start of follow-up (>= 0)."
        )
    event = _as_event(event, name, names[0])
    if not event.any():
        raise ValueError(
            f"{name}[{names[0]!r}] records no event (every patient is censored); a survival "
            "model needs at least one observed event."
        )
    return event, time


def _fields(y: Any, name: str) -> tuple[Any, Any, tuple[str, str]]:
    if hasattr(y, "columns") and hasattr(y, "iloc"):  # a pandas frame
        if y.shape[1] != 2:
            raise ValueError(f"{name} has {y.shape[1]} column(s); expected {EXPECTED}.")
        return (
            y.iloc[:, 0].to_numpy(),
            y.iloc[:, 1].to_numpy(),
            (str(y.columns[0]), str(y.columns[1])),
        )
    array = np.asarray(y) if y is not None else None
    if array is None or array.dtype.names is None or len(array.dtype.names) != 2:
        got = (
            "None" if array is None else f"an array of dtype {array.dtype} and shape {array.shape}"
        )
        raise ValueError(f"{name} must be {EXPECTED}; got {got}.")
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one row per patient); got shape "
                         f"{array.shape}.")  # fmt: skip
    first, second = array.dtype.names
    return array[first], array[second], (first, second)


def _as_float(values: Any, name: str, field: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}[{field!r}] must hold numeric times; got values such as "
            f"{np.asarray(values, dtype=object)[:3].tolist()} ({exc})."
        ) from exc


def _as_event(values: Any, name: str, field: str) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype == bool:
        return values
    numeric = _as_float(values, name, field)
    bad = np.flatnonzero(~np.isin(numeric, (0.0, 1.0)))
    if bad.size:
        raise ValueError(
            f"{name}[{field!r}] must be the event indicator (True/1 = event, False/0 = "
            f"censored); row {int(bad[0])} holds {values[bad[0]]!r}. Is the order "
            "(event, time)?"
        )
    return numeric == 1.0


def survival_target(event: Any, time: Any) -> np.ndarray:
    """A structured (event, time) array, as ``sksurv.util.Surv.from_arrays`` builds it."""
    out = np.empty(len(time), dtype=[("event", bool), ("time", np.float64)])
    out["event"] = np.asarray(event, dtype=bool)
    out["time"] = np.asarray(time, dtype=np.float64)
    return out
