"""Survival (prognosis) metrics: Harrell's and Uno's C, time-dependent AUC, Brier scores.

Definitions, ties and censoring weights are those of ``sksurv.metrics`` (tests compare the two to
1e-8), without importing scikit-survival. Each metric is computed for row weights ``W`` of shape
``(B, n)``: ``ones((1, n))`` is the point estimate, a row of draw counts a bootstrap replicate,
so :func:`survival_metrics` reuses the code of the point estimates. The C-index is a weighted
dominance count over the dyadic blocks of the time order: O(n log^2 n), no loop over patients.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import Interval, validate_params
from skmed._docstrings import fill_doc
from skmed._survival_target import check_survival_target
from skmed.metrics._bootstrap import quantiles, replicate
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS
from skmed.metrics._survival_calibration import (
    SURVIVAL_DOCS,
    TIED_TOL,
    TimeDependent,
    check_scores,
    uno_weights,
)

_OUTCOMES = {"y_train": ["array-like"], "y_test": ["array-like"]}
_PREDICTIONS = {"survival_at_times": ["array-like"], "times": ["array-like", Real]}


class Concordance:
    """Comparable pairs of a censored outcome and a risk score, scored for any row weights.

    Event ``i`` is compared with every ``j`` that lived longer (``t_j > t_i``) or was censored
    at ``t_i``: concordant when ``risk_j < risk_i - TIED_TOL``, tied (half a pair) within the
    tolerance, as sksurv. With rows in time order (latest first, censored before events at a
    tie) the partners of event ``i`` are the prefix ``[0, prefix_i)``, the union of at most one
    dyadic block per level; each level's blocks are sorted by risk once, here.
    """

    def __init__(self, event: np.ndarray, time: np.ndarray, risk: np.ndarray) -> None:
        n = time.size
        key = 2 * np.unique(-time, return_inverse=True)[1].ravel() + event
        self.order = np.argsort(key, kind="stable")
        self.events = np.flatnonzero(event)
        self.prefix = np.searchsorted(key[self.order], key[self.events], side="left")
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(risk, kind="stable")] = np.arange(n)
        ranked, r = np.sort(risk), risk[self.events]
        below = np.searchsorted(ranked, r - TIED_TOL, side="left")  # partners' rank < below
        upto = np.searchsorted(ranked, r + TIED_TOL, side="right")  # ... < upto: lower or tied
        position_rank = rank[self.order]
        self.levels: list[tuple[np.ndarray, ...]] = []
        for level in range(int(n).bit_length()):
            used = np.flatnonzero((self.prefix >> level) & 1)
            if not used.size:
                continue
            keys = (np.arange(n) >> level) * n + position_rank
            perm = np.argsort(keys, kind="stable")
            block = (self.prefix[used] >> level) - 1
            sorted_keys = keys[perm]
            self.levels.append(
                (
                    self.order[perm],  # the rows block by block, by increasing risk
                    used,
                    block << level,  # where each used block starts
                    np.searchsorted(sorted_keys, block * n + below[used]),
                    np.searchsorted(sorted_keys, block * n + upto[used]),
                )
            )

    def index(self, W: np.ndarray, *pair_weights: np.ndarray) -> np.ndarray:
        """The C-index of each row of ``W`` (B, n), shape (B, 1 + len(pair_weights)): the pairs
        of event ``i`` weigh ``W_i * W_j``, then ``W_i * W_j * w_i`` for each ``w`` of
        ``pair_weights``. NaN where no comparable pair weighs more than 0."""
        B, m = W.shape[0], self.events.size
        lower, lower_or_tied = np.zeros((B, m)), np.zeros((B, m))
        cum = np.zeros((B, W.shape[1] + 1))
        for rows, used, start, below, upto in self.levels:
            np.cumsum(W[:, rows], axis=1, out=cum[:, 1:])
            lower[:, used] += cum[:, below] - cum[:, start]
            lower_or_tied[:, used] += cum[:, upto] - cum[:, start]
        np.cumsum(W[:, self.order], axis=1, out=cum[:, 1:])
        weights = np.stack([np.ones(m), *(w[self.events] for w in pair_weights)], axis=1)
        numerator = 0.5 * (W[:, self.events] * (lower + lower_or_tied)) @ weights
        denominator = (W[:, self.events] * cum[:, self.prefix]) @ weights
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)


def _concordance(y: Any, risk_score: Any, name: str) -> Concordance:
    event, time = check_survival_target(y, name)
    return Concordance(event, time, check_scores(risk_score, "risk_score", time.size, name))


def _defined(value: float, what: str) -> float:
    if np.isnan(value):
        raise ValueError(f"{what} is undefined: no comparable pair (an event before another "
                         "patient's time, with a weight above 0).")  # fmt: skip
    return float(value)


_RISK = {"risk_score": ["array-like"]}
_TAU = {"tau": [Interval(Real, 0, None, closed="neither"), None]}
_HORIZONS = {"horizons": ["array-like", Real], **BOOTSTRAP_CONSTRAINTS}


@fill_doc(SURVIVAL_DOCS)
@validate_params({"y": ["array-like"], **_RISK}, prefer_skip_nested_validation=True)
def concordance_index_censored(y: Any, risk_score: Any) -> float:
    """Harrell's concordance index of a risk score with a censored outcome.

    The share of comparable pairs -- an event at ``t_i`` and a patient known to be event-free
    longer (``t_j > t_i``, or censored at ``t_i``) -- where the event had the higher risk; a
    tie (risks within 1e-8) counts one half. As ``sksurv.metrics.concordance_index_censored``
    (its first value). It depends on the censoring; :func:`concordance_index_ipcw` does not.

    Parameters
    ----------
    y : structured array of shape (n_samples,)
        Outcome ``(event, time)`` as ``sksurv.util.Surv.from_arrays`` makes it, or a
        two-column frame.
    {{risk_score}}

    Returns
    -------
    float
        The C-index: 1 is perfect ranking, 0.5 chance.

    Raises
    ------
    ValueError
        If ``y`` is malformed, has no event, lengths disagree, or there is no comparable pair.

    Examples
    --------
    {{example_outcome}}
    >>> concordance_index_censored(y, [0.9, 0.8, 0.2, 0.5])
    0.75
    """
    pairs = _concordance(y, risk_score, "y")
    return _defined(pairs.index(np.ones((1, pairs.order.size)))[0, 0], "Harrell's C")


@fill_doc(SURVIVAL_DOCS)
@validate_params({**_OUTCOMES, **_RISK, **_TAU}, prefer_skip_nested_validation=True)
def concordance_index_ipcw(
    y_train: Any, y_test: Any, risk_score: Any, tau: float | None = None
) -> float:
    """Uno's concordance index: Harrell's pairs weighted by the inverse censoring probability.

    Each comparable pair of an event at ``t_i`` weighs ``1 / G(t_i)**2``, ``G`` the
    Kaplan-Meier censoring survival of ``y_train``, so the estimate does not depend on the
    censoring of ``y_test``. As ``sksurv.metrics.concordance_index_ipcw`` (its first value).

    Parameters
    ----------
    {{outcomes}}
    {{risk_score}}
    tau : float > 0, default=None
        Truncation time: only events before ``tau`` count. The event times of ``y_test`` that
        count must lie within the follow-up of ``y_train``; ``tau`` can ensure it.

    Returns
    -------
    float
        Uno's C-index.

    {{ipcw_raises}}

    Examples
    --------
    {{example_outcome}}
    >>> round(concordance_index_ipcw(y, y, [0.9, 0.8, 0.2, 0.5]), 4)
    0.5714
    """
    weights = uno_weights(y_train, y_test, tau)
    pairs = _concordance(y_test, risk_score, "y_test")
    return _defined(pairs.index(np.ones((1, weights.size)), weights)[0, 1], "Uno's C")


@fill_doc(SURVIVAL_DOCS)
@validate_params(
    {**_OUTCOMES, **_RISK, "times": ["array-like", Real]}, prefer_skip_nested_validation=True
)
def cumulative_dynamic_auc(
    y_train: Any, y_test: Any, risk_score: Any, times: Any
) -> tuple[np.ndarray, float]:
    """Cumulative/dynamic AUC: how well risk separates events by ``t`` from survivors past ``t``.

    At each time ``t``, the cases are the patients with an event at or before ``t``, weighted by
    ``1 / G(t_i)`` (``G`` the Kaplan-Meier censoring survival of ``y_train``), the controls
    those followed past ``t``. As ``sksurv.metrics.cumulative_dynamic_auc``: tied risks (within
    1e-8) make one step of the ROC curve; the mean AUC weighs each time by the drop of the
    Kaplan-Meier survival of ``y_test``.

    Parameters
    ----------
    {{outcomes}}
    risk_score : array-like of shape (n_samples,) or (n_samples, n_times)
        Predicted risk (higher means an earlier event); a 2-D array holds a risk per time.
    times : array-like of shape (n_times,)
        Strictly increasing time points within the follow-up of ``y_test``.

    Returns
    -------
    auc : ndarray of shape (n_times,)
        The AUC at each time (NaN at a time with no case or no control).
    mean_auc : float
        The AUC averaged over ``times``.

    {{ipcw_raises}}

    Examples
    --------
    {{example_outcome}}
    >>> auc, mean_auc = cumulative_dynamic_auc(y, y, [0.9, 0.8, 0.2, 0.5], [1.5, 3.5])
    >>> auc.round(3).tolist()
    [1.0, 0.4]
    """
    timed = TimeDependent(y_train, y_test, times)
    n, n_times = timed.time.size, timed.times.size
    per_time = n_times if np.ndim(risk_score) == 2 else None
    risk = check_scores(risk_score, "risk_score", n, "y_test", per_time)
    auc = timed.auc(np.ones((1, n)), np.broadcast_to(risk.reshape(n, -1), (n, n_times)))[0]
    return auc, timed.mean_auc(auc)


@fill_doc(SURVIVAL_DOCS)
@validate_params({**_OUTCOMES, **_PREDICTIONS}, prefer_skip_nested_validation=True)
def brier_score(
    y_train: Any, y_test: Any, survival_at_times: Any, times: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Time-dependent Brier score of predicted survival with censoring weights (Graf et al.).

    At ``t``: the mean over patients of ``S_i(t)**2 / G(t_i)`` for an event by ``t``,
    ``(1 - S_i(t))**2 / G(t)`` for a patient followed past ``t`` and 0 for one censored before
    ``t``; ``G`` is the Kaplan-Meier censoring survival of ``y_train``. As
    ``sksurv.metrics.brier_score``.

    Parameters
    ----------
    {{outcomes_survival}}

    Returns
    -------
    times : ndarray of shape (n_times,)
        The time points.
    brier_scores : ndarray of shape (n_times,)
        The Brier score at each time (0 is perfect).

    {{ipcw_raises}}

    Examples
    --------
    {{example_outcome}}
    >>> times, scores = brier_score(y, y, [[0.1], [0.8], [0.7], [0.9]], [2.5])
    >>> scores.round(4).tolist()
    [0.04]
    """
    timed = TimeDependent(y_train, y_test, times)
    return timed.times, timed.brier_terms(survival_at_times).mean(axis=0)


@fill_doc(SURVIVAL_DOCS)
@validate_params({**_OUTCOMES, **_PREDICTIONS}, prefer_skip_nested_validation=True)
def integrated_brier_score(y_train: Any, y_test: Any, survival_at_times: Any, times: Any) -> float:
    """The Brier score integrated over ``times`` (trapezoidal rule), divided by their range.

    As ``sksurv.metrics.integrated_brier_score``; see :func:`brier_score`. ``times`` needs at
    least two points.

    Parameters
    ----------
    {{outcomes_survival}}

    Returns
    -------
    float
        The integrated Brier score (0 is perfect).

    {{ipcw_raises}}

    Examples
    --------
    {{example_outcome}}
    >>> s = [[0.2, 0.1], [0.9, 0.8], [0.8, 0.7], [0.9, 0.9]]
    >>> round(integrated_brier_score(y, y, s, [1.5, 2.5]), 4)
    0.0325
    """
    timed = TimeDependent(y_train, y_test, times)
    return float(timed.integrate(timed.brier_terms(survival_at_times).mean(axis=0)[None])[0])


#: The rows of :func:`survival_metrics` before its ``td_auc@<horizon>`` rows.
SURVIVAL_METRICS = ("harrell_c", "uno_c", "integrated_brier")


@fill_doc(SURVIVAL_DOCS)
@validate_params(
    {**_OUTCOMES, **_RISK, **_PREDICTIONS, **_HORIZONS}, prefer_skip_nested_validation=True
)
def survival_metrics(
    y_train: Any,
    y_test: Any,
    risk_score: Any,
    survival_at_times: Any,
    times: Any,
    horizons: Any,
    *,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
) -> pd.DataFrame:
    """Discrimination and accuracy of a survival model, each with a bootstrap interval.

    Harrell's C (:func:`concordance_index_censored`), Uno's C (:func:`concordance_index_ipcw`,
    no truncation), the integrated Brier score over ``times`` (:func:`integrated_brier_score`)
    and the cumulative/dynamic AUC at each horizon (:func:`cumulative_dynamic_auc`). A
    replicate weights each row of ``y_test`` by its number of draws, through the same code as
    the point estimates (vectorised over replicates); a replicate where a metric is undefined
    (e.g. no case by a horizon) is left out of that metric's interval.

    Parameters
    ----------
    {{outcomes}}
    {{risk_score}}
    {{survival_at_times}}
    horizons : float or array-like of shape (n_horizons,)
        Strictly increasing times of the time-dependent AUC, within the follow-up of
        ``y_test``.
    {{survival_bootstrap}}

    Returns
    -------
    table : pandas.DataFrame
        Indexed by ``metric`` (``harrell_c``, ``uno_c``, ``integrated_brier``, then
        ``td_auc@<horizon>`` per horizon), with columns ``estimate``, ``ci_lower`` and
        ``ci_upper``. ``table.attrs`` records the bootstrap settings.

    {{ipcw_raises}}

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> risk = rng.normal(size=300)
    >>> t, c = rng.exponential(np.exp(-risk)), rng.exponential(2.0, 300)
    >>> y = np.array(list(zip(t <= c, np.minimum(t, c))), dtype=[("event", "?"), ("time", "f8")])
    >>> times = np.array([0.25, 0.5, 1.0])
    >>> survival = np.exp(-np.exp(risk)[:, None] * times)
    >>> table = survival_metrics(y, y, risk, survival, times, [0.5, 1.0], n_bootstraps=200,
    ...                          random_state=0)
    >>> table.index.tolist()
    ['harrell_c', 'uno_c', 'integrated_brier', 'td_auc@0.5', 'td_auc@1']
    >>> bool(table.loc["harrell_c", "ci_lower"] < table.loc["harrell_c", "estimate"] < 0.8)
    True
    """
    timed = TimeDependent(y_train, y_test, times)
    at_horizons = TimeDependent(y_train, y_test, horizons, "horizons")
    event, time = timed.event, timed.time
    risk = check_scores(risk_score, "risk_score", time.size, "y_test")
    pairs, terms = Concordance(event, time, risk), timed.brier_terms(survival_at_times)
    uno = uno_weights(y_train, y_test, None)
    risk_at = np.broadcast_to(risk[:, None], (time.size, at_horizons.times.size))

    def score(W: np.ndarray) -> np.ndarray:  # (B, n_metrics)
        brier = (W @ terms) / W.sum(axis=1, keepdims=True)
        auc = at_horizons.auc(W, risk_at)
        return np.column_stack([pairs.index(W, uno), timed.integrate(brier), auc])

    value = score(np.ones((1, time.size)))[0]
    _defined(value[0], "Harrell's C")
    reps = replicate(score, event.astype(np.intp), n_bootstraps, random_state)
    low, high = quantiles(reps, confidence_level)
    names = [*SURVIVAL_METRICS, *(f"td_auc@{h:.15g}" for h in at_horizons.times)]
    table = pd.DataFrame(
        {"estimate": value, "ci_lower": low, "ci_upper": high}, index=pd.Index(names, name="metric")
    )
    table.attrs.update(
        n_bootstraps=int(n_bootstraps),
        confidence_level=float(confidence_level),
        random_state=random_state if isinstance(random_state, (int, type(None))) else "custom",
    )
    return table
