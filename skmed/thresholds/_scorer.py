"""The constrained scorer: "maximise one rate subject to another" at one threshold."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.metrics import make_scorer

from skmed._compat import Interval, validate_params
from skmed._docstrings import fill_doc
from skmed.metrics._scores import label_rates

#: Rates a constraint or an objective can name (aliases map to the same rate).
CLINICAL_RATES = {
    "sensitivity": "sensitivity",
    "recall": "sensitivity",
    "tpr": "sensitivity",
    "specificity": "specificity",
    "tnr": "specificity",
    "ppv": "ppv",
    "precision": "ppv",
    "npv": "npv",
}

#: Score given to thresholds that violate the constraint. Far below any mean of rates in [0, 1]
#: so that one failing fold makes the cross-validated mean negative.
_PENALTY = -1e6

#: Docstring pieces of the thresholds' examples: a pipeline and a data set to tune it on.
DOCS = {
    "example_model": """\
>>> from sklearn.datasets import load_breast_cancer
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> X, y = load_breast_cancer(return_X_y=True)
>>> model = make_pipeline(StandardScaler(), LogisticRegression())""",
}

#: ``validate_params`` constraint of ``min_value``, a lower bound on a rate.
MIN_VALUE_CONSTRAINT = {"min_value": [Interval(Real, 0, 1, closed="right")]}


def _canonical(name: str, what: str) -> str:
    if not isinstance(name, str) or name.lower() not in CLINICAL_RATES:
        raise ValueError(f"Unknown {what} {name!r}; choose one of {sorted(set(CLINICAL_RATES))}.")
    return CLINICAL_RATES[name.lower()]


def _rates(y_true: np.ndarray, y_pred: np.ndarray, pos_label: Any) -> dict[str, float] | None:
    if np.unique(y_pred).size < 2:  # everyone gets the same label: not an operating point
        return None
    # pos_label=None is the larger (second) class, TunedThresholdClassifierCV's default
    return {name: float(v) for name, v in label_rates(y_true, y_pred, pos_label).items()}


def _constrained_rate(
    y_true: Any,
    y_pred: Any,
    *,
    objective: str,
    constraint: str,
    min_value: float,
    pos_label: Any = None,
) -> float:
    """Objective rate where the constraint holds, else a large negative penalty."""
    rates = _rates(y_true, y_pred, pos_label)
    if rates is None:
        return _PENALTY
    achieved = rates[constraint]
    if not np.isfinite(achieved) or achieved < min_value - 1e-12:
        # graded, so that among infeasible thresholds the closest to the target ranks higher
        return _PENALTY * (1.0 + (min_value - (achieved if np.isfinite(achieved) else 0.0)))
    value = rates[objective]
    return float(value) if np.isfinite(value) else _PENALTY


@fill_doc(DOCS)
@validate_params(MIN_VALUE_CONSTRAINT, prefer_skip_nested_validation=True)
def constrained_scorer(
    objective: str = "specificity",
    *,
    constraint: str = "sensitivity",
    min_value: float = 0.95,
    pos_label: Any = None,
) -> Any:
    """A scorer for "maximise ``objective`` subject to ``constraint >= min_value``".

    Pass it as ``scoring=`` to :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
    (with ``thresholds=default_threshold_grid()`` so folds are compared at the same points,
    as :func:`make_constrained_threshold_classifier` does).

    Parameters
    ----------
    objective : {"sensitivity", "specificity", "ppv", "npv"}, default="specificity"
        Rate to maximise (aliases: recall/tpr, tnr, precision).
    constraint : {"sensitivity", "specificity", "ppv", "npv"}, default="sensitivity"
        Rate that must reach ``min_value``.
    min_value : float in (0, 1], default=0.95
        Lower bound on the constrained rate.
    pos_label : label, default=None
        The positive class; ``None`` means the larger of the two labels, as scikit-learn.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer (from :func:`~sklearn.metrics.make_scorer`) returning the
        objective where the constraint holds and a large negative value elsewhere.

    Examples
    --------
    {{example_model}}
    >>> from sklearn.model_selection import TunedThresholdClassifierCV
    >>> tuned = TunedThresholdClassifierCV(
    ...     model,
    ...     scoring=constrained_scorer("specificity", constraint="sensitivity", min_value=0.95),
    ...     thresholds=default_threshold_grid(),
    ... ).fit(X, y)
    >>> bool(tuned.best_score_ > 0.5)
    True
    """
    objective = _canonical(objective, "objective")
    constraint = _canonical(constraint, "constraint")
    if objective == constraint:
        raise ValueError(
            f"objective and constraint are both {objective!r}; constrain a different rate."
        )
    return make_scorer(
        _constrained_rate,
        objective=objective,
        constraint=constraint,
        min_value=float(min_value),
        pos_label=pos_label,
    )


def default_threshold_grid(n: int = 401) -> np.ndarray:
    """Candidate probability thresholds: uniform on [0, 1] plus logit-spaced tails.

    Parameters
    ----------
    n : int, default=401
        Number of uniformly spaced points; as many logit-spaced points (from ``expit(-16)``
        to ``expit(16)``) are added so that thresholds like 0.0004 or 0.9996 exist.

    Returns
    -------
    thresholds : ndarray
        Sorted, unique thresholds in [0, 1].

    Examples
    --------
    >>> grid = default_threshold_grid(11)
    >>> float(grid[0]), float(grid[-1])
    (0.0, 1.0)
    """
    return np.unique(np.r_[np.linspace(0.0, 1.0, n), expit(np.linspace(-16.0, 16.0, n))])
