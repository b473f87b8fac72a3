"""The times at which an exported survival model stores its curves.

The fitted grid (``unique_times_``) is every distinct training event time: one patient's
event time at each of them where events are rare. A model file is meant to travel, so by
default it stores the curves on a coarser grid, like the aggregate training summary beside it
(:mod:`skmed._profile`). The stored times are taken from round ticks that do not depend on
where the events fall (multiples of a 1, 2 or 5 times a power of ten, about
:data:`N_TICKS` of them up to the last event time), keeping a tick only once at least
:data:`MIN_COUNT` training events lie since the last kept one; the last step ends at the first
multiple of ten ticks after the last event (about 5% of the range past it), so that it does
not pin the last event time down. So each step of the stored curve holds at least
``MIN_COUNT`` events (when the data have that many), and the stored times say nothing of any
one patient. At a stored time the file's survival equals the Python model's exactly; between
them it is the value at the stored time before, as for any step function.
``allow_patient_rows=True`` keeps every event time.
"""

from __future__ import annotations

import math

import numpy as np

from skmed._profile import MIN_COUNT

#: About this many ticks up to the last event time: the resolution before merging.
N_TICKS = 200


def tick_width(last: float, n_ticks: int = N_TICKS) -> float:
    """The 1, 2 or 5 times a power of ten nearest above ``last / n_ticks``."""
    raw = max(last, np.finfo(float).tiny) / n_ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def export_grid(
    times: np.ndarray, counts: np.ndarray, keep_all: bool = False
) -> tuple[np.ndarray, int]:
    """The stored times, and the fewest training events behind any step of the stored curve.

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
    counts = np.asarray(counts, dtype=np.int64)
    if keep_all:
        return times, int(counts.min())
    width = tick_width(float(times[-1]))
    # the last tick lies past the last event on a 10 times coarser scale (about 5% of the
    # range), so that it does not pin down the last event time
    end = (math.floor(times[-1] / (10 * width)) + 1) * 10
    ticks = np.array([float(f"{k * width:.12g}") for k in range(1, end + 1)])
    # events at or before each tick (a step function takes the event at its own time)
    behind = np.append(0, np.cumsum(counts))[np.searchsorted(times, ticks, side="right")]
    kept, since = [], 0
    for i, total in enumerate(behind):
        if total - since >= MIN_COUNT:
            kept.append(i)
            since = total
    # the last step (with any last events short of a step) ends at the last, coarse tick
    kept = kept[:-1] + [len(ticks) - 1]
    steps = np.diff(behind[kept], prepend=0)
    return ticks[kept], int(steps.min())
