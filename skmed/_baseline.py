"""The evidence ``skmed train`` adds to its report: the logistic-regression baseline and the
sample size.

A clinician's first question about a network is whether it beats a logistic regression on the
same predictors. :func:`baseline_pipeline` builds one with the same (cloned) preprocessing,
fitted on the same rows as the network, and :func:`baseline_comparison` compares both on the same
held-out rows with paired bootstrap differences (:func:`skmed.metrics.compare_models`);
:func:`sample_size_check` applies Riley et al.'s criteria (:mod:`skmed.sample_size`) to the
pipeline's encoded features.
"""

from __future__ import annotations

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
