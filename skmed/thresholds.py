"""Operating thresholds chosen under a clinical constraint, with scikit-learn's own machinery.

"Maximise specificity subject to sensitivity >= 0.95" is expressed as a scorer and handed to
:class:`sklearn.model_selection.TunedThresholdClassifierCV`, which scores every candidate
threshold on out-of-fold predictions and keeps the best. The result is a genuine
``TunedThresholdClassifierCV`` (or, via :func:`freeze_threshold`, a
``FixedThresholdClassifier``), so anything that understands those wrappers -- pickling,
``skmed.to_onnx`` -- applies the same threshold in deployment.

How the constraint is enforced
------------------------------
The scorer returns the objective (e.g. specificity) at thresholds where the constraint holds,
and a large negative penalty where it fails or where every patient gets the same label.
``TunedThresholdClassifierCV`` averages the fold scores at each threshold, so a threshold wins
only if it satisfies the constraint **in every fold**; the pooled out-of-fold value then
satisfies it too. Candidate thresholds are a fixed grid (dense near 0 and 1, where
well-separated models put most probabilities) so the fold scores are compared at exactly the
same points. After fitting, ``best_score_`` is the mean out-of-fold objective; a negative
``best_score_`` means no threshold met the constraint (:func:`tune_threshold` raises).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.metrics import make_scorer
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

from skmed._compat import scorer_arguments, tuned_threshold_settings
from skmed.metrics._scores import counts

__all__ = [
    "CLINICAL_RATES",
    "constrained_scorer",
    "default_threshold_grid",
    "describe_operating_point",
    "freeze_threshold",
    "make_constrained_threshold_classifier",
    "tune_threshold",
]

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


def _canonical(name: str, what: str) -> str:
    if not isinstance(name, str) or name.lower() not in CLINICAL_RATES:
        raise ValueError(f"Unknown {what} {name!r}; choose one of {sorted(set(CLINICAL_RATES))}.")
    return CLINICAL_RATES[name.lower()]


def _rates(y_true: np.ndarray, y_pred: np.ndarray, pos_label: Any) -> dict[str, float] | None:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if np.unique(y_pred).size < 2:  # everyone gets the same label: not an operating point
        return None
    # pos_label=None is the larger (second) class, TunedThresholdClassifierCV's default
    tp, fp, fn, tn = counts(y_true, y_pred, pos_label)
    return {
        "sensitivity": tp / (tp + fn) if tp + fn else np.nan,
        "specificity": tn / (tn + fp) if tn + fp else np.nan,
        "ppv": tp / (tp + fp) if tp + fp else np.nan,
        "npv": tn / (tn + fn) if tn + fn else np.nan,
    }


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
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import TunedThresholdClassifierCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> tuned = TunedThresholdClassifierCV(
    ...     make_pipeline(StandardScaler(), LogisticRegression()),
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
    if not isinstance(min_value, Real) or not 0.0 < float(min_value) <= 1.0:
        raise ValueError(f"min_value must be a rate in (0, 1]; got {min_value!r}.")
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


def make_constrained_threshold_classifier(
    estimator: Any,
    *,
    objective: str = "specificity",
    constraint: str = "sensitivity",
    min_value: float = 0.95,
    pos_label: Any = None,
    cv: Any = 5,
    thresholds: Any = None,
    refit: bool = True,
    n_jobs: int | None = None,
    random_state: Any = None,
    store_cv_results: bool = True,
) -> TunedThresholdClassifierCV:
    """An unfitted ``TunedThresholdClassifierCV`` for a constrained operating point.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        The model (usually a Pipeline) whose threshold is tuned.
    objective, constraint, min_value, pos_label
        See :func:`constrained_scorer`.
    cv : int, cross-validation generator or iterable, default=5
        Folds that produce the out-of-fold predictions (stratified for an int).
    thresholds : array-like, default=None
        Candidate thresholds; ``None`` means :func:`default_threshold_grid`.
    refit : bool, default=True
        Refit ``estimator`` on all the data after choosing the threshold.
    n_jobs, random_state, store_cv_results
        Passed to ``TunedThresholdClassifierCV``. ``cv_results_`` holds the mean fold score
        per threshold (penalised where the constraint fails).

    Returns
    -------
    tuned : sklearn.model_selection.TunedThresholdClassifierCV
        Unfitted; after ``fit`` check ``best_score_ >= 0`` (or use :func:`tune_threshold`,
        which does).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> tuned = make_constrained_threshold_classifier(LogisticRegression(), min_value=0.9)
    >>> type(tuned).__name__
    'TunedThresholdClassifierCV'
    """
    scorer = constrained_scorer(
        objective, constraint=constraint, min_value=min_value, pos_label=pos_label
    )
    return TunedThresholdClassifierCV(
        estimator,
        scoring=scorer,
        response_method="predict_proba",
        thresholds=default_threshold_grid() if thresholds is None else thresholds,
        cv=cv,
        refit=refit,
        n_jobs=n_jobs,
        random_state=random_state,
        store_cv_results=store_cv_results,
    )


def tune_threshold(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    objective: str = "specificity",
    constraint: str = "sensitivity",
    min_value: float = 0.95,
    pos_label: Any = None,
    cv: Any = 5,
    thresholds: Any = None,
    refit: bool = True,
    n_jobs: int | None = None,
    random_state: Any = None,
    **fit_params: Any,
) -> TunedThresholdClassifierCV:
    """Fit a ``TunedThresholdClassifierCV`` that maximises one rate subject to another.

    For example ``tune_threshold(pipe, X, y, objective="specificity",
    constraint="sensitivity", min_value=0.95)`` picks, on out-of-fold predictions, the
    threshold with the highest specificity among those whose sensitivity is at least 0.95 in
    every fold.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        The model, usually a Pipeline; it is cloned.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Binary labels.
    objective, constraint, min_value, pos_label, cv, thresholds, refit, n_jobs, random_state
        See :func:`make_constrained_threshold_classifier`.
    **fit_params
        Passed to ``fit`` (e.g. ``sample_weight`` when metadata routing is enabled).

    Returns
    -------
    tuned : sklearn.model_selection.TunedThresholdClassifierCV
        Fitted; ``best_threshold_`` is the operating threshold and ``best_score_`` the mean
        out-of-fold objective at it.

    Raises
    ------
    ValueError
        If ``y`` is not binary, or no threshold satisfies the constraint in every fold (the
        message reports the best value the constraint reached).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> tuned = tune_threshold(make_pipeline(StandardScaler(), LogisticRegression()), X, y,
    ...                        objective="specificity", constraint="sensitivity", min_value=0.95)
    >>> bool(0.0 < tuned.best_threshold_ < 1.0)
    True
    """
    classes = np.unique(np.asarray(y))
    if classes.size != 2:
        raise ValueError(
            f"Threshold tuning needs a binary target; y has {classes.size} classes "
            f"{classes.tolist()[:10]}."
        )
    if pos_label is None:
        pos_label = classes[1]  # scikit-learn's default positive class
    elif pos_label not in classes.tolist():
        raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes.tolist()}.")
    tuned = make_constrained_threshold_classifier(
        estimator,
        objective=objective,
        constraint=constraint,
        min_value=min_value,
        pos_label=pos_label,
        cv=cv,
        thresholds=thresholds,
        refit=refit,
        n_jobs=n_jobs,
        random_state=random_state,
        store_cv_results=True,
    )
    tuned.fit(X, y, **fit_params)
    if not tuned.best_score_ >= 0:
        c = _canonical(constraint, "constraint")
        raise ValueError(
            f"No threshold meets the constraint {c} >= {min_value} in every cross-validation "
            "fold without labelling every patient the same. Lower min_value, use fewer folds "
            "(more patients per fold), more data, or a better model."
        )
    return tuned


def freeze_threshold(tuned: TunedThresholdClassifierCV) -> FixedThresholdClassifier:
    """A ``FixedThresholdClassifier`` applying a tuned model's threshold to its refitted model.

    Parameters
    ----------
    tuned : fitted TunedThresholdClassifierCV
        E.g. the result of :func:`tune_threshold` (with ``refit=True``).

    Returns
    -------
    fixed : sklearn.model_selection.FixedThresholdClassifier
        Wraps ``tuned.estimator_`` (already fitted, shared not copied) with
        ``threshold=tuned.best_threshold_``; it predicts like ``tuned`` without refitting.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> tuned = tune_threshold(LogisticRegression(max_iter=5000), X, y, min_value=0.9)
    >>> fixed = freeze_threshold(tuned)
    >>> bool((fixed.predict(X) == tuned.predict(X)).all())
    True
    """
    if not isinstance(tuned, TunedThresholdClassifierCV) or not hasattr(tuned, "best_threshold_"):
        raise ValueError("freeze_threshold needs a fitted TunedThresholdClassifierCV.")
    pos_label, response_method = tuned_threshold_settings(tuned)
    fixed = FixedThresholdClassifier(
        tuned.estimator_,
        threshold=float(tuned.best_threshold_),
        pos_label=pos_label,
        response_method=response_method,
    )
    # FixedThresholdClassifier predicts with an unfitted wrapper around a fitted estimator
    # (it uses ``estimator`` when ``estimator_`` is absent); expose the same fitted attributes.
    fixed.estimator_ = tuned.estimator_
    return fixed


def describe_operating_point(model: Any) -> dict[str, Any] | None:
    """Threshold and how it was chosen, for a threshold wrapper; ``None`` for other models.

    Parameters
    ----------
    model : estimator
        A fitted ``TunedThresholdClassifierCV`` or a ``FixedThresholdClassifier``.

    Returns
    -------
    info : dict or None
        ``threshold``, ``source`` (a sentence), and for constrained tuning ``objective``,
        ``constraint``, ``min_value`` and ``cv_objective`` (``best_score_``).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import FixedThresholdClassifier
    >>> describe_operating_point(FixedThresholdClassifier(LogisticRegression(), threshold=0.3))
    {'threshold': 0.3, 'source': 'FixedThresholdClassifier(threshold=0.3)'}
    """
    if isinstance(model, TunedThresholdClassifierCV) and hasattr(model, "best_threshold_"):
        info: dict[str, Any] = {"threshold": float(model.best_threshold_)}
        scoring = model.scoring
        score_func, kwargs = scorer_arguments(scoring)
        if score_func is _constrained_rate:
            info.update(
                source=(
                    f"TunedThresholdClassifierCV: maximise {kwargs['objective']} subject to "
                    f"{kwargs['constraint']} >= {kwargs['min_value']} on out-of-fold predictions"
                ),
                objective=kwargs["objective"],
                constraint=kwargs["constraint"],
                min_value=kwargs["min_value"],
                cv_objective=float(model.best_score_),
            )
        else:
            info.update(
                source=f"TunedThresholdClassifierCV(scoring={scoring!r})",
                cv_objective=float(model.best_score_),
            )
        return info
    if isinstance(model, FixedThresholdClassifier) and isinstance(model.threshold, Real):
        t = float(model.threshold)
        return {"threshold": t, "source": f"FixedThresholdClassifier(threshold={t})"}
    return None
