"""The evidence ``skmed train`` adds to its report: the logistic-regression baseline, the
sample size, the interpretation, and the fit's convergence warnings as notes.

A clinician's first question about a network is whether it beats a logistic regression on the
same predictors. :func:`baseline_pipeline` builds one with the same (cloned) preprocessing,
fitted on the same rows as the network, and :func:`baseline_comparison` compares both on the same
held-out rows with paired bootstrap differences (:func:`skmed.metrics.compare_models`);
:func:`sample_size_check` applies Riley et al.'s criteria (:mod:`skmed.sample_size`) to the
pipeline's encoded features.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Names of the two models in the comparison; the baseline is the reference.
BASELINE = "LogisticRegression"
NETWORK = "MedicalMLPClassifier"


def baseline_pipeline(pipeline: Any) -> Any:
    """An unfitted logistic regression behind a clone of ``pipeline``'s preprocessing."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    steps = [*clone(pipeline[:-1]).steps, ("classifier", LogisticRegression(max_iter=5000))]
    return Pipeline(steps)


def baseline_comparison(
    y: Any,
    proba: Any,
    baseline_proba: Any,
    classes: Any,
    *,
    threshold: float | None,
    pos_label: Any,
    n_bootstraps: int,
    random_state: Any,
) -> dict[str, Any]:
    """The network's held-out probabilities against the baseline's on the same rows.

    The dict is :meth:`~skmed.metrics.ModelComparison.to_dict` with a ``verdict`` sentence
    added; ``baseline_proba`` has its columns in the order of ``classes``.
    """
    from skmed.metrics import compare_models

    comparison = compare_models(
        y,
        {BASELINE: baseline_proba, NETWORK: proba},
        classes=classes,
        threshold=threshold,
        pos_label=pos_label,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
    )
    result = comparison.to_dict()
    result["verdict"] = _verdict(comparison)
    return result


def _verdict(comparison: Any) -> str:
    """Whether the network earns its complexity on these held-out patients."""
    diff = comparison.differences.set_index("metric")["better"]
    n = comparison.settings["n_samples"]
    if diff.eq(True).any() and not diff.eq(False).any():
        return (
            f"The network earns its complexity on this data: on {n} held-out patients it is "
            f"better than {BASELINE} on the same predictors, and worse on nothing compared."
        )
    if diff.eq(False).any() and not diff.eq(True).any():
        return (
            f"{BASELINE} on the same predictors does better on this data ({n} held-out "
            "patients): prefer the simpler model unless the network is needed for another "
            "reason."
        )
    if diff.eq(True).any():
        return (
            f"Mixed: on {n} held-out patients the network is better than {BASELINE} on some "
            "measures and worse on others; see the differences below."
        )
    return (
        f"No difference from {BASELINE} is established on {n} held-out patients: the simpler "
        "model may serve as well."
    )


def sample_size_check(
    pipeline: Any, X_train: Any, y_test: Any, proba: Any, n_train: int
) -> dict[str, Any]:
    """Riley et al.'s criteria for the pipeline's encoded features, as a dict.

    The prevalence and the anticipated R-squared come from the held-out rows (``y_test``,
    ``proba``); the development sample is the ``n_train`` training rows.
    """
    from skmed.sample_size import check_sample_size

    n_parameters = int(pipeline[:-1].transform(X_train.head(2)).shape[1])
    check = check_sample_size(
        y_test, n_parameters, n_samples=n_train, proba=proba, classes=pipeline.classes_
    )
    return check.to_dict()


@contextmanager
def convergence_notes(notes: list[str]) -> Iterator[None]:
    """Turn scikit-learn's convergence warnings during fit into report notes (once each)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield
    for w in caught:
        if issubclass(w.category, ConvergenceWarning) and str(w.message) not in notes:
            notes.append(f"While fitting: {w.message}")
        elif not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def interpretation(
    pipeline: Any,
    X_train: Any,
    X_test: Any,
    y_test: Any,
    proba: Any,
    n_patients: int,
    random_state: int,
) -> tuple[Any, list[Any]]:
    """Permutation importance on the evaluated rows and ``n_patients`` example explanations.

    The examples are the most confidently predicted patients of distinct predicted classes
    (then the next most confident), explained against the average training patient.
    """
    import numpy as np

    from skmed.explain import column_importance, explain_patient

    importance = column_importance(pipeline, X_test, y_test, n_repeats=5, random_state=random_state)
    order = np.argsort(-proba.max(axis=1), kind="stable")
    predicted = proba.argmax(axis=1)
    chosen: list[int] = []
    for i in order:  # one per predicted class first
        if len(chosen) < n_patients and predicted[i] not in predicted[chosen]:
            chosen.append(int(i))
    chosen += [int(i) for i in order if i not in chosen][: n_patients - len(chosen)]
    explanations = [explain_patient(pipeline, X_test.iloc[[i]], baseline=X_train) for i in chosen]
    return importance, explanations
