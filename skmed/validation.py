"""Internal validation that uses all the data: optimism-corrected bootstrap and repeated CV.

A single held-out split wastes data and, on a few hundred patients, gives a noisy estimate.
The standard alternatives (Harrell, *Regression Modeling Strategies* 5.3; Steyerberg,
*Clinical Prediction Models* ch. 17) refit the **whole pipeline** many times:

* ``"bootstrap"`` (Efron-Gong optimism): the model fitted on all rows is scored on them
  (*apparent* performance, optimistic); each of B refits on a bootstrap sample is scored on
  its sample and on the original rows, and the mean difference -- the *optimism* -- is
  subtracted from the apparent performance. A row drawn k times is fitted once with sample
  weight k when the model takes weights (a network's early-stopping split would otherwise
  hold copies of its training rows). The rows a refit did not draw (about 37%) give
  out-of-bag predictions, averaged per row, for plots and intervals.
* ``"cv"``: repeated stratified K-fold; every row is predicted by models that did not see it,
  once per repeat; metrics are computed on each repeat's pooled out-of-fold predictions and
  averaged.

Refits run through joblib (``n_jobs``), so ``joblib.parallel_config(backend="dask")`` sends
them to a Dask cluster (see :doc:`/scaling`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["VALIDATION_METRICS", "InternalValidation", "internal_validation"]

#: The metrics validated (the positive class for two classes, else the macro average).
VALIDATION_METRICS = ("roc_auc", "brier", "calibration_intercept", "calibration_slope")


@dataclass
class InternalValidation:
    """What :func:`internal_validation` found.

    Attributes
    ----------
    method : {"bootstrap", "cv"}
    table : pandas.DataFrame
        Index: the metrics. Bootstrap: ``apparent``, ``optimism``, ``corrected`` (and
        ``optimism_sd``); CV: ``mean``, ``sd`` over the repeats.
    estimator : estimator
        The model fitted on all rows.
    held_out_proba : ndarray of shape (n_samples, n_classes)
        Out-of-bag (bootstrap: mean over the refits that did not draw the row; NaN for a row
        every refit drew) or out-of-fold (CV: mean over the repeats) probabilities.
    n_fits : int
        Refits, the final fit not counted.
    settings : dict
    """

    method: str
    table: pd.DataFrame
    estimator: Any = field(repr=False)
    held_out_proba: np.ndarray = field(repr=False)
    n_fits: int
    settings: dict[str, Any]

    @property
    def estimates(self) -> pd.Series:
        """The honest estimate of each metric: optimism-corrected, or the CV mean."""
        return self.table["corrected" if self.method == "bootstrap" else "mean"]

    def sentence(self) -> str:
        """One plain sentence of the estimates."""
        e = self.estimates
        kind = (
            f"optimism-corrected over {self.n_fits} bootstrap refits"
            if self.method == "bootstrap"
            else f"mean of {self.settings['n_repeats']} x {self.settings['n_splits']}-fold "
            "cross-validation"
        )
        return (
            f"Internal validation ({kind}): ROC AUC {e['roc_auc']:.3f}, Brier "
            f"{e['brier']:.3f}, calibration intercept {e['calibration_intercept']:+.3f}, "
            f"slope {e['calibration_slope']:.3f}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "method": self.method,
            "n_fits": self.n_fits,
            "settings": self.settings,
            "table": {m: dict(row) for m, row in self.table.to_dict(orient="index").items()},
            "sentence": self.sentence(),
        }


def internal_validation(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    method: str = "bootstrap",
    n_bootstraps: int = 200,
    n_splits: int = 5,
    n_repeats: int = 5,
    n_jobs: int | None = None,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> InternalValidation:
    """Validate a whole pipeline on all the data, by optimism bootstrap or repeated CV.

    Parameters
    ----------
    estimator : estimator
        Unfitted; cloned for every fit.
    X : pandas.DataFrame or array-like
    y : array-like of shape (n_samples,)
    method : {"bootstrap", "cv"}, default="bootstrap"
    n_bootstraps : int, default=200
        Bootstrap refits (Harrell recommends 200; fewer give a noisier optimism).
    n_splits, n_repeats : int, default=5, 5
        Folds and repeats of the cross-validation.
    n_jobs : int, default=None
        Refits run in parallel through joblib.
    random_state : int, default=0
        Seed of the resampling (the estimator keeps its own ``random_state``).
    progress : callable, default=None
        Called with ``(done, total)`` after every refit.

    Returns
    -------
    InternalValidation
        With the model fitted on all rows in ``estimator``.

    Raises
    ------
    ValueError
        For an unknown method, too few rows per class for the folds, or invalid counts.
    """
    from joblib import Parallel, delayed
    from sklearn.base import clone
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.utils import resample

    if method not in ("bootstrap", "cv"):
        raise ValueError(f"method must be 'bootstrap' or 'cv'; got {method!r}.")
    counts = (
        ("n_bootstraps", n_bootstraps, 2),
        ("n_splits", n_splits, 2),
        ("n_repeats", n_repeats, 1),
    )
    for name, value, least in counts:
        if not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}; got {value!r}.")
    labels = np.asarray(getattr(y, "to_numpy", lambda: y)()).reshape(-1)
    n = labels.size
    if method == "cv":  # checked before the final fit, which may take minutes
        smallest = int(np.unique(labels, return_counts=True)[1].min())
        if smallest < n_splits:
            raise ValueError(
                f"The rarest class has {smallest} rows, fewer than the {n_splits} folds."
            )
    final = clone(estimator).fit(X, y)
    classes = final.classes_
    rng = np.random.default_rng(random_state)
    if method == "bootstrap":
        seeds = rng.integers(0, 2**31 - 1, size=n_bootstraps)
        samples = [
            resample(np.arange(n), replace=True, stratify=labels, random_state=int(s))
            for s in seeds
        ]
        jobs = [delayed(_bootstrap_fit)(clone(estimator), X, y, idx) for idx in samples]
    else:
        folds = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=n_repeats, random_state=int(rng.integers(2**31 - 1))
        )
        samples = [train for train, _ in folds.split(np.zeros(n), labels)]
        jobs = [delayed(_fold_fit)(clone(estimator), X, y, idx) for idx in samples]
    results = []
    for done, result in enumerate(Parallel(n_jobs=n_jobs, return_as="generator")(jobs), 1):
        results.append(result)
        if progress is not None:
            progress(done, len(jobs))
    if method == "bootstrap":
        table, held_out = _optimism(final, X, labels, classes, samples, results)
    else:
        table, held_out = _cross_validated(labels, classes, samples, results, n_repeats)
    return InternalValidation(
        method=method,
        table=table,
        estimator=final,
        held_out_proba=held_out,
        n_fits=len(jobs),
        settings={
            "n_bootstraps": int(n_bootstraps) if method == "bootstrap" else None,
            "n_splits": int(n_splits) if method == "cv" else None,
            "n_repeats": int(n_repeats) if method == "cv" else None,
            "random_state": random_state,
            "n_samples": int(n),
        },
    )


def _scores(labels: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The validated metrics of ``proba`` on ``labels`` (positive class, or macro)."""
    from skmed.metrics import clinical_metrics

    table = clinical_metrics(labels, proba, classes=classes, n_bootstraps=0)
    if classes.size > 2:
        table = table[table["class"] == "macro"]
    values = table.set_index("metric")["estimate"]
    return np.array([float(values[m]) for m in VALIDATION_METRICS])


def _bootstrap_fit(model: Any, X: Any, y: Any, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit on the bootstrap sample; its probabilities on the sample and on all rows.

    A row drawn k times is fitted once with weight k when the model takes sample weights:
    the same likelihood, but an internal early-stopping split cannot hold copies of training
    rows (which makes a network look far better on its sample than it is, and the optimism of
    its calibration slope absurd).
    """
    rows, counts = np.unique(idx, return_counts=True)
    weight = _sample_weight_param(model)
    if weight is not None:
        model.fit(_rows(X, rows), _rows(y, rows), **{weight: counts.astype(np.float64)})
    else:
        model.fit(_rows(X, idx), _rows(y, idx))
    return model.predict_proba(_rows(X, idx)), model.predict_proba(X)


def _sample_weight_param(model: Any) -> str | None:
    """The fit parameter that takes sample weights (``step__sample_weight`` in a Pipeline)."""
    from sklearn.utils.validation import has_fit_parameter

    if hasattr(model, "steps"):
        name, last = model.steps[-1]
        inner = _sample_weight_param(last)
        return f"{name}__{inner}" if inner is not None else None
    return "sample_weight" if has_fit_parameter(model, "sample_weight") else None


def _fold_fit(model: Any, X: Any, y: Any, idx: np.ndarray) -> np.ndarray:
    """Fit on the training folds; probabilities on all rows (the held-out fold is kept)."""
    model.fit(_rows(X, idx), _rows(y, idx))
    return model.predict_proba(X)


def _rows(data: Any, idx: np.ndarray) -> Any:
    return data.iloc[idx] if hasattr(data, "iloc") else np.asarray(data)[idx]


def _optimism(
    final: Any,
    X: Any,
    labels: np.ndarray,
    classes: np.ndarray,
    samples: list[np.ndarray],
    results: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[pd.DataFrame, np.ndarray]:
    apparent = _scores(labels, final.predict_proba(X), classes)
    optimism = np.array(
        [
            _scores(labels[idx], on_sample, classes) - _scores(labels, on_all, classes)
            for idx, (on_sample, on_all) in zip(samples, results)
        ]
    )
    mean = np.nanmean(optimism, axis=0)
    table = pd.DataFrame(
        {
            "apparent": apparent,
            "optimism": mean,
            "corrected": apparent - mean,
            "optimism_sd": np.nanstd(optimism, axis=0, ddof=1),
        },
        index=list(VALIDATION_METRICS),
    )
    n, k = labels.size, classes.size
    total, count = np.zeros((n, k)), np.zeros(n)
    for idx, (_, on_all) in zip(samples, results):
        out = np.ones(n, dtype=bool)
        out[idx] = False
        total[out] += on_all[out]
        count[out] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        held_out = total / count[:, None]
    return table, held_out


def _cross_validated(
    labels: np.ndarray,
    classes: np.ndarray,
    samples: list[np.ndarray],
    results: list[np.ndarray],
    n_repeats: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    n, k = labels.size, classes.size
    per_fold = len(samples) // n_repeats
    repeats, pooled = [], np.zeros((n, k))
    for r in range(n_repeats):
        proba = np.zeros((n, k))
        for idx, on_all in zip(
            samples[r * per_fold : (r + 1) * per_fold], results[r * per_fold : (r + 1) * per_fold]
        ):
            test = np.ones(n, dtype=bool)
            test[idx] = False
            proba[test] = on_all[test]
        repeats.append(_scores(labels, proba, classes))
        pooled += proba / n_repeats
    values = np.array(repeats)
    table = pd.DataFrame(
        {
            "mean": values.mean(axis=0),
            "sd": values.std(axis=0, ddof=1) if n_repeats > 1 else np.nan,
        },
        index=list(VALIDATION_METRICS),
    )
    return table, pooled
