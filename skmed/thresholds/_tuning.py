"""Tuning, freezing and describing a constrained operating threshold."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

from skmed._compat import scorer_arguments, tuned_threshold_settings, validate_params
from skmed._docstrings import fill_doc
from skmed.thresholds._scorer import (
    DOCS,
    MIN_VALUE_CONSTRAINT,
    _canonical,
    _constrained_rate,
    constrained_scorer,
    default_threshold_grid,
)


@validate_params(MIN_VALUE_CONSTRAINT, prefer_skip_nested_validation=True)
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


@fill_doc(DOCS)
@validate_params(MIN_VALUE_CONSTRAINT, prefer_skip_nested_validation=False)
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
    {{example_model}}
    >>> tuned = tune_threshold(model, X, y, objective="specificity", constraint="sensitivity",
    ...                        min_value=0.95)
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


@fill_doc(DOCS)
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
    {{example_model}}
    >>> tuned = tune_threshold(model, X, y, min_value=0.9)
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
