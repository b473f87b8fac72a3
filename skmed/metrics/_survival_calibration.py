"""Kaplan-Meier, censoring weights and calibration of predicted survival at a horizon.

The lower layer of the survival metrics (:mod:`skmed.metrics._survival` builds on it): the
one Kaplan-Meier helper (the survival of an outcome, and the censoring survival ``G`` behind
the inverse probability of censoring weights), the input checks, the time-dependent AUC and
Brier score terms for any row weights, and :func:`survival_calibration`. The definitions are
scikit-survival's (``sksurv.nonparametric``, ``sksurv.metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import Interval, validate_params
from skmed._docstrings import fill_doc
from skmed._step_function import values_at
from skmed._survival_target import check_survival_target
from skmed.metrics._params import DOCS

#: Two risk scores at most this far apart are tied (half a concordant pair), as in sksurv.
TIED_TOL = 1e-8

#: Docstring pieces of the survival metrics, with those of the other metrics.
SURVIVAL_DOCS = {
    **DOCS,
    "outcomes": """\
y_train : structured array of shape (n_train,)
    Outcome of the training data: ``(event, time)`` as ``sksurv.util.Surv.from_arrays``
    makes it, or a two-column frame. Its Kaplan-Meier censoring distribution ``G`` gives
    the inverse probability of censoring weights (IPCW).
y_test : structured array of shape (n_samples,)
    Outcome of the evaluated patients, in the same form.""",
    "risk_score": """\
risk_score : array-like of shape (n_samples,)
    Predicted risk of each patient of ``y_test`` (higher means an earlier event), such as a
    model's ``predict``; not a survival probability.""",
    "survival_at_times": """\
survival_at_times : array-like of shape (n_samples, n_times)
    Predicted probability of each patient being event-free at each of ``times``.
times : array-like of shape (n_times,)
    Strictly increasing time points within the follow-up of ``y_test``
    (``min(time) <= t < max(time)``).""",
    "example_outcome": """\
>>> import numpy as np
>>> y = np.array([(True, 1.0), (False, 2.0), (True, 3.0), (False, 4.0)],
...              dtype=[("event", "?"), ("time", "f8")])""",
    "survival_bootstrap": """\
n_bootstraps : int, default=1000
    Bootstrap replicates; the rows of ``y_test`` are resampled within events and within
    censored rows, so every replicate keeps the number of events (``y_train``, hence the
    censoring weights, stays as given). ``0`` skips the intervals (NaN).
confidence_level : float in (0, 1), default=0.95
    Coverage of the percentile intervals.
random_state : int, numpy Generator or None, default=0
    Seed of the bootstrap; the same seed gives the same intervals.""",
    "at_horizon": """\
y : structured array of shape (n_samples,)
    Outcome ``(event, time)`` as ``sksurv.util.Surv.from_arrays`` makes it, or a
    two-column frame.
survival_at_horizon : array-like of shape (n_samples,)
    Predicted probability of each patient being event-free at ``horizon``.
horizon : float > 0
    The time of the prediction, in the units of ``y``'s times, within their follow-up.
n_groups : int, default=5
    Number of risk groups (equal-size groups of predicted risk).""",
    "ipcw_raises": """\
Raises
------
ValueError
    If an outcome is malformed, the shapes disagree, or ``G`` is needed beyond the last
    follow-up time of ``y_train`` (where it is unknown); the message names the time.""",
}

# the inputs of the Brier scores, in their order
SURVIVAL_DOCS["outcomes_survival"] = (
    SURVIVAL_DOCS["outcomes"] + "\n" + SURVIVAL_DOCS["survival_at_times"]
)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve: the survival (or censoring survival) from each distinct time on.

    ``greenwood`` is the running sum of ``d / (r (r - d))`` (Greenwood's variance of
    ``log S``); ``source`` names the outcome in error messages.
    """

    time: np.ndarray
    survival: np.ndarray
    greenwood: np.ndarray
    source: str

    def known(self, t: float) -> bool:
        """Whether the curve is known at ``t``: up to the last time, or after it reached 0."""
        return bool(t <= self.time[-1] or self.survival[-1] == 0)

    def at(self, t: Any, what: str) -> np.ndarray:
        """The curve at the times ``t``; a ValueError names a time where it is unknown."""
        t = np.asarray(t, dtype=np.float64)
        beyond = t > self.time[-1]
        if beyond.any() and self.survival[-1] > 0:
            raise ValueError(
                f"{what} must lie within the follow-up of {self.source}: "
                f"{float(t[beyond].max())!r} > the last time {float(self.time[-1])!r}; the "
                "Kaplan-Meier estimate is unknown beyond it."
            )
        return values_at(self.time, self.survival[None, :], t.reshape(-1), 1.0)[0].reshape(t.shape)

    def interval(self, t: float, confidence_level: float) -> tuple[float, float]:
        """Pointwise interval at ``t``: Greenwood's variance on the log(-log) scale."""
        from scipy.stats import norm

        index = int(np.searchsorted(self.time, t, side="right")) - 1
        s = 1.0 if index < 0 else float(self.survival[index])
        if s <= np.finfo(float).eps:
            return 0.0, 0.0
        log_s = np.log(s)
        theta = np.sqrt(self.greenwood[index]) / log_s if log_s < -np.finfo(float).eps else 0.0
        z = norm.isf((1.0 - confidence_level) / 2.0)
        low, high = np.exp(np.exp(z * np.array([-theta, theta])) * log_s)
        return float(low), float(high)


def kaplan_meier(
    event: np.ndarray, time: np.ndarray, *, censoring: bool = False, source: str = "y"
) -> KaplanMeier:
    """The Kaplan-Meier estimate of the survival or, with ``censoring=True``, of the censoring
    survival ``G`` (censorings are its events; events at a tied time leave the risk set first)."""
    times, inverse, counts = np.unique(time, return_inverse=True, return_counts=True)
    d = np.bincount(inverse.ravel(), weights=event, minlength=times.size)
    at_risk = time.size - np.r_[0.0, np.cumsum(counts)[:-1]]
    if censoring:
        at_risk, d = at_risk - d, counts - d
    zeros = np.zeros(times.size)
    hazard = np.divide(d, at_risk, out=zeros.copy(), where=d != 0)
    variance = np.divide(d, at_risk * (at_risk - d), out=zeros, where=(d != 0) & (at_risk != d))
    return KaplanMeier(times, np.cumprod(1.0 - hazard), np.cumsum(variance), source)


# ---------------------------------------------------------------------- input checks


def check_scores(values: Any, name: str, n: int, of: str, n_times: int | None = None) -> np.ndarray:
    """Finite scores, one row per patient of ``of``: 1-D, or ``(n, n_times)`` when given."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers; got {str(values)[:60]} ({exc}).") from exc
    if n_times == 1 and array.ndim == 1:
        array = array[:, None]
    want = "(n_samples,)" if n_times is None else f"(n_samples, {n_times}), a column per time"
    if array.ndim != (1 if n_times is None else 2) or (n_times and array.shape[1] != n_times):
        raise ValueError(f"{name} must have shape {want}; got shape {array.shape}.")
    if array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} rows but {of} has {n}; they must match.")
    bad = np.flatnonzero(~np.isfinite(array.reshape(n, -1)).all(axis=1))
    if bad.size:
        raise ValueError(f"{name} has {bad.size} row(s) with NaN or infinite values, e.g. row "
                         f"{int(bad[0])}; predictions must be finite.")  # fmt: skip
    return array


def check_survival(values: Any, name: str, n: int, of: str, n_times: int | None) -> np.ndarray:
    """Predicted survival probabilities (1-D, or ``(n, n_times)``), within [0, 1]."""
    array = check_scores(values, name, n, of, n_times)
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"{name} must hold survival probabilities in [0, 1]; got values from "
            f"{array.min():.4g} to {array.max():.4g} (risk scores go to the concordance "
            "indices and cumulative_dynamic_auc)."
        )
    return array


def check_times(times: Any, time: np.ndarray, name: str = "times") -> np.ndarray:
    """Strictly increasing finite times within ``[min(time), max(time))`` of y_test (sksurv's
    range: an AUC or Brier score at the last time has no patient left to compare)."""
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.isfinite(t).all():
        raise ValueError(f"{name} must be a non-empty 1-D array of finite times; got {t.tolist()}.")
    steps = np.flatnonzero(np.diff(t) <= 0)
    if steps.size:
        k = int(steps[0])
        raise ValueError(f"{name} must be strictly increasing; got {float(t[k])!r} then "
                         f"{float(t[k + 1])!r} at positions {k} and {k + 1}.")  # fmt: skip
    first, last = float(time.min()), float(time.max())
    if t[-1] >= last:
        raise ValueError(f"{name} must lie within the follow-up of y_test: {float(t[-1])!r} "
                         f"{'>' if t[-1] > last else '>='} the last time {last!r} (each time "
                         "must be below it).")  # fmt: skip
    if t[0] < first:
        raise ValueError(f"{name} must lie within the follow-up of y_test: {float(t[0])!r} < "
                         f"the first time {first!r}.")  # fmt: skip
    return t


def censoring_curve(y_train: Any) -> KaplanMeier:
    event, time = check_survival_target(y_train, "y_train")
    return kaplan_meier(event, time, censoring=True, source="y_train")


def ipcw(y_train: Any, event: np.ndarray, time: np.ndarray, of: str) -> np.ndarray:
    """``1 / G(t_i)`` at the events of ``(event, time)``, 0 at censored rows; G from y_train."""
    g = censoring_curve(y_train).at(time[event], f"the event times of {of}")
    if np.any(g == 0):
        raise ValueError(
            f"The censoring survival G of y_train is 0 at event time(s) of {of}, e.g. "
            f"{float(time[event][g == 0][0])!r}: every patient of y_train followed that long "
            "was censored, so the weight 1 / G is infinite."
        )
    weights = np.zeros(time.size)
    weights[event] = 1.0 / g
    return weights


def uno_weights(y_train: Any, y_test: Any, tau: float | None) -> np.ndarray:
    """Uno's pair weights ``1 / G(t_i)**2`` at the events of y_test before ``tau``."""
    event, time = check_survival_target(y_test, "y_test")
    if tau is not None and not np.any(event & (time < tau)):
        raise ValueError(f"y_test has no event before tau={tau!r}; its first event time is "
                         f"{float(time[event].min())!r}.")  # fmt: skip
    if tau is None:
        return ipcw(y_train, event, time, "y_test") ** 2
    return ipcw(y_train, event & (time < tau), time, f"y_test before tau={tau!r}") ** 2


# ---------------------------------------------------------------------- time-dependent


class TimeDependent:
    """Cumulative/dynamic AUC and Brier score on y_test at checked ``times``, for row weights
    ``W`` of shape ``(B, n)`` (the point estimate is ``W = ones((1, n))``)."""

    def __init__(self, y_train: Any, y_test: Any, times: Any, name: str = "times") -> None:
        self.event, self.time = check_survival_target(y_test, "y_test")
        self.times = check_times(times, self.time, name)
        self.y_train = y_train

    @cached_property
    def weights(self) -> np.ndarray:
        return ipcw(self.y_train, self.event, self.time, "y_test")

    def auc(self, W: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """AUC(t) per row of ``W`` and time, shape (B, n_times); ``risk`` has a column per
        time. Cases (event by t) weigh ``1 / G(t_i)``; tied risks form one ROC step."""
        out = np.empty((W.shape[0], self.times.size))
        for k, t in enumerate(self.times):
            order = np.argsort(-risk[:, k], kind="stable")
            starts = np.flatnonzero(np.r_[True, np.abs(np.diff(risk[order, k])) > TIED_TOL])
            Wo = W[:, order]
            case = (self.weights * ((self.time <= t) & self.event))[order]
            pos = np.add.reduceat(Wo * case, starts, axis=1)
            neg = np.add.reduceat(Wo * (self.time > t)[order], starts, axis=1)
            above = np.cumsum(pos, axis=1) - 0.5 * pos
            with np.errstate(divide="ignore", invalid="ignore"):
                out[:, k] = np.einsum("bj,bj->b", neg, above) / (pos.sum(1) * neg.sum(1))
        return out

    def mean_auc(self, auc: np.ndarray) -> float:
        """sksurv's summary: AUC(t) averaged over the drop of the Kaplan-Meier of y_test."""
        if auc.size == 1:
            return float(auc[0])
        s = kaplan_meier(self.event, self.time, source="y_test").at(self.times, "times")
        return float(np.sum(auc * -np.diff(np.r_[1.0, s])) / (1.0 - s[-1]))

    def brier_terms(self, survival_at_times: Any) -> np.ndarray:
        """Each patient's IPCW-weighted squared error at each time, shape (n, n_times)."""
        n, n_times = self.time.size, self.times.size
        survival = check_survival(survival_at_times, "survival_at_times", n, "y_test", n_times)
        cens = censoring_curve(self.y_train)
        g_t = cens.at(self.times, "times")
        g_y = cens.at(self.time, "the times of y_test")
        with np.errstate(divide="ignore"):  # G = 0 gives the weight 0, as in sksurv
            w_t, w_y = np.where(g_t > 0, 1.0 / g_t, 0.0), np.where(g_y > 0, 1.0 / g_y, 0.0)
        case = (self.time[:, None] <= self.times) & self.event[:, None]
        control = self.time[:, None] > self.times
        return survival**2 * case * w_y[:, None] + (1.0 - survival) ** 2 * control * w_t

    def integrate(self, brier: np.ndarray) -> np.ndarray:
        """Integrated Brier score of each row of ``brier`` (B, n_times): trapezoidal rule over
        ``times``, divided by their range."""
        t = self.times
        if t.size < 2:
            raise ValueError(f"times must hold at least two time points to integrate the Brier "
                             f"score; got {t.tolist()}.")  # fmt: skip
        area = np.sum(np.diff(t) * (brier[:, 1:] + brier[:, :-1]) / 2.0, axis=1)
        return area / (t[-1] - t[0])


# ---------------------------------------------------------------------- calibration

CALIBRATION_COLUMNS = [
    "group", "n", "n_events", "predicted", "observed", "ci_lower", "ci_upper", "difference"
]  # fmt: skip


#: Parameter constraints of :func:`survival_calibration` (and of its plot).
CALIBRATION_CONSTRAINTS: dict[str, list[Any]] = {
    "y": ["array-like"],
    "survival_at_horizon": ["array-like"],
    "horizon": [Interval(Real, 0, None, closed="neither")],
    "n_groups": [Interval(Integral, 1, None, closed="left")],
}


@fill_doc(SURVIVAL_DOCS)
@validate_params(CALIBRATION_CONSTRAINTS, prefer_skip_nested_validation=True)
def survival_calibration(
    y: Any, survival_at_horizon: Any, horizon: float, *, n_groups: int = 5
) -> pd.DataFrame:
    """Predicted against observed (Kaplan-Meier) survival at a horizon, by group of risk.

    Patients are sorted by predicted risk at the horizon (``1 - survival_at_horizon``) and
    split into ``n_groups`` groups of equal size (quantile groups; tied predictions may fall
    in neighbouring groups). A well calibrated model has each group's mean predicted survival
    within the interval of its observed survival.

    Parameters
    ----------
    {{at_horizon}}

    Returns
    -------
    table : pandas.DataFrame
        One row per group (``group`` 1 = lowest risk) and a last ``"overall"`` row of all
        patients; columns ``n``, ``n_events`` (events up to the horizon), ``predicted`` (mean
        predicted survival), ``observed`` (Kaplan-Meier survival at the horizon; NaN when
        the group's follow-up ends before it), ``ci_lower`` and ``ci_upper`` (95% pointwise
        interval, Greenwood's variance on the log(-log) scale) and ``difference``
        (``observed - predicted``; negative means the model is too optimistic).

    Raises
    ------
    ValueError
        If ``y`` is malformed, the lengths disagree, a prediction is not a probability,
        ``n_groups`` exceeds the number of patients, or ``horizon`` lies beyond the last
        follow-up time of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rate = rng.uniform(0.05, 0.5, 2000)
    >>> t = rng.exponential(1 / rate)
    >>> y = np.array(list(zip(t < 8, np.minimum(t, 8))), dtype=[("event", "?"), ("time", "f8")])
    >>> table = survival_calibration(y, np.exp(-rate * 2.0), horizon=2.0, n_groups=4)
    >>> table["group"].tolist()
    ['1', '2', '3', '4', 'overall']
    >>> bool((table["difference"].abs() < 0.05).all())
    True
    """
    event, time = check_survival_target(y, "y")
    s = check_survival(survival_at_horizon, "survival_at_horizon", time.size, "y", None)
    kaplan_meier(event, time).at(horizon, "horizon")  # a clear error beyond the follow-up
    if n_groups > time.size:
        raise ValueError(f"n_groups={n_groups} exceeds the {time.size} patients of y.")
    groups = np.array_split(np.argsort(-s, kind="stable"), n_groups)
    rows = [_group_row(str(k + 1), event[g], time[g], s[g], horizon) for k, g in enumerate(groups)]
    rows.append(_group_row("overall", event, time, s, horizon))
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    table.attrs.update(horizon=float(horizon), n_groups=n_groups, confidence_level=0.95)
    return table


def _group_row(
    label: str, event: np.ndarray, time: np.ndarray, s: np.ndarray, horizon: float
) -> list[Any]:
    km = kaplan_meier(event, time)
    observed, low, high = np.nan, np.nan, np.nan
    if km.known(horizon):
        observed = float(km.at(horizon, "horizon"))
        low, high = km.interval(horizon, 0.95)
    predicted = float(s.mean())
    n_events = int(np.sum(event & (time <= horizon)))
    return [label, int(time.size), n_events, predicted, observed, low, high, observed - predicted]
