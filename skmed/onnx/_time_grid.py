"""The times at which an exported survival model stores its curves.

The fitted grid (``unique_times_``) is every distinct training event time: one patient's
event time at each of them where events are rare. A model file is meant to travel, so by
default it stores the curves on a coarser grid, like the aggregate training summary beside it
(:mod:`skmed._profile`): each step of the stored curve holds at least :data:`MIN_COUNT` training
events, and each stored time lies strictly between a step's last event time and the next one
(the number with the fewest significant digits there), so no stored time is a training
patient's event time. At a stored time the file's survival equals the Python model's exactly;
between them it is the value at the stored time before, as for any step function.
``allow_patient_rows=True`` keeps every event time.
"""

from __future__ import annotations

import numpy as np

from skmed._profile import MIN_COUNT


def step_ends(counts: np.ndarray, min_count: int = MIN_COUNT) -> np.ndarray:
    """Indices of the last event time of each step of at least ``min_count`` events (a last
    remainder of fewer joins the step before it; fewer events in all make one step)."""
    ends, since = [], 0
    for j, count in enumerate(counts):
        since += int(count)
        if since >= min_count:
            ends.append(j)
            since = 0
    if not ends or since:
        ends = ends[:-1] + [len(counts) - 1]
    return np.asarray(ends, dtype=np.intp)


def export_grid(times: np.ndarray, counts: np.ndarray, keep_all: bool = False) -> np.ndarray:
    """The stored times: ``times`` with ``keep_all``, else one time after each step's events.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
        The distinct training event times, increasing (``unique_times_``).
    counts : ndarray of shape (n_times,)
        Training rows with an event at each (``event_counts_``).
    keep_all : bool, default=False
        Keep every event time (``to_onnx(..., allow_patient_rows=True)``).
    """
    times = np.asarray(times, dtype=np.float64)
    if keep_all:
        return times
    ends = step_ends(counts)
    last_gap = times[-1] - times[-2] if times.size > 1 else max(times[-1], 1.0)
    after = np.append(times[1:], times[-1] + last_gap)  # the next event time, or past the last
    return np.array([_simplest_between(times[j], after[j]) for j in ends])


def _simplest_between(low: float, high: float) -> float:
    """The number strictly between ``low`` and ``high`` with the fewest significant digits
    (the nearest to their midpoint among those): a round time that is no event time."""
    middle = (low + high) / 2
    for digits in range(1, 16):
        candidate = float(f"{middle:.{digits}g}")
        if low < candidate < high:
            return candidate
    return middle
