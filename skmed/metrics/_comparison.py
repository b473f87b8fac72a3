"""Several models' predictions on the same patients: paired bootstrap differences.

Every model is scored on the same bootstrap replicates (the same rows drawn, within each true
class), so the interval of a difference reflects how the models differ on these patients, not
the sampling error of each estimate on its own (which would be far wider and mostly shared).
Re-exported by :mod:`skmed.metrics` as :func:`~skmed.metrics.compare_models`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed._json import jsonable
from skmed.metrics._bootstrap import BinaryProblem, bootstrap_estimate, quantiles
from skmed.metrics._checks import (
    Checked,
    check_inputs,
    check_threshold,
    finite_mean,
    problems,
)
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS, DOCS
from skmed.metrics._scores import net_benefit_from_counts

#: Metrics compared between models, in table order (net benefit for two classes only).
COMPARED = ("roc_auc", "brier", "net_benefit")
#: Metrics reported per model (not differenced).
_PER_MODEL = (*COMPARED, "calibration_intercept", "calibration_slope")
#: Which direction is better, for the sentence.
_HIGHER_IS_BETTER = {"roc_auc": True, "brier": False, "net_benefit": True}
_LABELS = {
    "roc_auc": "ROC AUC",
    "brier": "Brier score",
    "net_benefit": "net benefit",
    "calibration_intercept": "calibration intercept",
    "calibration_slope": "calibration slope",
}


@dataclass
class ModelComparison:
    """What :func:`compare_models` found.

    Attributes
    ----------
    models : list of str
        Names, the reference first.
    metrics : pandas.DataFrame
        Columns ``model``, ``metric``, ``estimate``, ``ci_lower``, ``ci_upper``.
    differences : pandas.DataFrame
        Columns ``model``, ``metric``, ``difference`` (model minus reference), ``ci_lower``,
        ``ci_upper``, ``better`` (True / False when the interval excludes 0 in the model's / the
        reference's favour, None when it holds 0).
    settings : dict
        ``threshold`` (net benefit's threshold probability, None for several classes),
        ``pos_label``, ``n_samples``, ``n_bootstraps``, ``confidence_level``, ``random_state``.
    """

    models: list[str]
    metrics: pd.DataFrame
    differences: pd.DataFrame
    settings: dict[str, Any]

    @property
    def reference(self) -> str:
        """The model the others are compared with."""
        return self.models[0]

    def sentences(self) -> list[str]:
        """One plain sentence per compared model."""
        out = []
        for name in self.models[1:]:
            rows = self.differences[self.differences["model"] == name]
            parts: list[str] = []
            better: list[str] = []
            worse: list[str] = []
            for r in rows.to_dict(orient="records"):
                label = _LABELS[r["metric"]]
                d = interval_decimals(r["ci_lower"], r["ci_upper"])
                parts.append(
                    f"{label} {r['difference']:+.{d}f} ({r['ci_lower']:+.{d}f} to "
                    f"{r['ci_upper']:+.{d}f})"
                )
                if r["better"] is not None:
                    (better if r["better"] else worse).append(label)
            verdicts = [
                f"{word} than {self.reference} on {_join(labels)}"
                for word, labels in (("better", better), ("worse", worse))
                if labels
            ]
            verdict = (
                f"{name} is " + " and ".join(verdicts)
                if verdicts
                else f"no difference from {self.reference} is established on these patients"
            )
            out.append(f"{name} minus {self.reference}: " + ", ".join(parts) + f"; {verdict}.")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "models": self.models,
            "reference": self.reference,
            "settings": self.settings,
            "metrics": jsonable(self.metrics.to_dict(orient="records")),
            "differences": jsonable(self.differences.to_dict(orient="records")),
            "sentences": self.sentences(),
        }


def interval_decimals(lower: Any, upper: Any, least: int = 3, most: int = 8) -> int:
    """Decimals that show an interval's width with two significant digits (at least
    ``least``): a small difference and its interval never all print as 0.000."""
    try:
        width = abs(float(upper) - float(lower))
    except (TypeError, ValueError):
        return least
    if not math.isfinite(width) or width == 0.0:
        return least
    return int(min(most, max(least, 1 - math.floor(math.log10(width)))))


@fill_doc(DOCS)
@validate_params(BOOTSTRAP_CONSTRAINTS, prefer_skip_nested_validation=True)
def compare_models(
    y_true: Any,
    probas: Mapping[str, Any] | list[Any],
    *,
    classes: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    random_state: Any = 0,
) -> ModelComparison:
    """Compare models' probabilities on the same patients, with paired bootstrap intervals.

    Every model is scored on the same replicates, so a difference's interval is paired.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    probas : dict of str to array-like, or list of array-like
        Each model's ``predict_proba`` on the same rows, one column per class in ``classes``;
        the first is the reference the others are compared with (a list is named
        ``model 1``, ``model 2``, ...).
    classes : array-like, default=None
        Label of each column; default the sorted labels of ``y_true``.
    threshold : float in (0, 1), default=None
        Two classes: the threshold probability of the net benefit (each model treats the
        patients whose risk reaches it); None means 0.5. Must be None for several classes,
        which are compared on macro (one-vs-rest) AUC and Brier score.
    pos_label : label, default=None
        Two classes: the positive class; ``None`` means ``classes[1]``.
    {{bootstrap}}

    Returns
    -------
    ModelComparison

    Raises
    ------
    ValueError
        Fewer than two models, names that repeat, a matrix that does not fit ``y_true`` and
        ``classes``, or a threshold with several classes (the message names the model).

    Examples
    --------
    {{example_patients}}
    >>> from skmed.metrics import compare_models
    >>> vague = np.clip(risk + rng.uniform(-0.4, 0.4, 600), 0, 1)
    >>> result = compare_models(y, {"vague": vague, "sharp": risk}, n_bootstraps=200)
    >>> bool(result.differences.set_index("metric").loc["roc_auc", "better"])
    True
    """
    names, checked = _check_models(y_true, probas, classes, pos_label)
    first = checked[0]
    thr = check_threshold(threshold, first)
    if thr is not None and not 0.0 < thr < 1.0:
        raise ValueError(f"threshold must be in (0, 1) for the net benefit; got {thr!r}.")
    metrics = [m for m in _PER_MODEL if first.binary or m != "net_benefit"]
    per_model = [[prob for _, prob in problems(c, thr)] for c in checked]

    def score(W: np.ndarray) -> np.ndarray:  # (B, n_models, n_metrics)
        return np.stack([_model_scores(p, W, thr, metrics) for p in per_model], axis=1)

    point, lo, hi, reps = bootstrap_estimate(
        score, first.y_idx, n_bootstraps, random_state, confidence_level
    )
    d_lo, d_hi = quantiles(reps - reps[:, :1], confidence_level)  # paired: same replicates
    rows, drows = [], []
    compared = [m for m in COMPARED if m in metrics]
    for j, name in enumerate(names):
        for i, m in enumerate(metrics):
            rows.append((name, m, point[j, i], lo[j, i], hi[j, i]))
        if j == 0:
            continue
        for m in compared:
            i = metrics.index(m)
            low, high = d_lo[j, i], d_hi[j, i]
            better = None
            if low > 0 or high < 0:
                better = bool((low > 0) == _HIGHER_IS_BETTER[m])
            drows.append((name, m, point[j, i] - point[0, i], low, high, better))
    return ModelComparison(
        models=names,
        metrics=pd.DataFrame(rows, columns=["model", "metric", "estimate", "ci_lower", "ci_upper"]),
        differences=pd.DataFrame(
            drows, columns=["model", "metric", "difference", "ci_lower", "ci_upper", "better"]
        ),
        settings={
            "threshold": thr,
            "pos_label": jsonable(first.classes[first.pos]) if first.binary else None,
            "classes": [jsonable(c) for c in first.classes],
            "n_samples": int(first.y_idx.size),
            "n_bootstraps": int(n_bootstraps),
            "confidence_level": float(confidence_level),
            "random_state": (
                random_state if isinstance(random_state, (int, type(None))) else "custom"
            ),
        },
    )


def _check_models(
    y_true: Any, probas: Mapping[str, Any] | list[Any], classes: Any, pos_label: Any
) -> tuple[list[str], list[Checked]]:
    """The models' names and checked inputs; a failed check names its model."""
    if not isinstance(probas, Mapping):
        probas = {f"model {i + 1}": p for i, p in enumerate(probas)}
    names = [str(k) for k in probas]
    if len(names) < 2:
        raise ValueError(f"compare_models needs at least two models; got {len(names)}.")
    if len(set(names)) < len(names):
        raise ValueError(f"The models' names repeat: {names}; give each a distinct name.")
    checked = []
    for name, proba in zip(names, probas.values()):
        try:
            checked.append(check_inputs(y_true, proba, classes, pos_label))
        except ValueError as exc:
            raise ValueError(f"Model {name!r}: {exc}") from None
    return names, checked


def _model_scores(
    problems: list[BinaryProblem], W: np.ndarray, threshold: float | None, metrics: list[str]
) -> np.ndarray:
    """``metrics`` for each row of weights ``W``: shape (B, len(metrics)); macro for classes."""
    per_class = []
    for problem in problems:
        values = problem.metrics(W)
        if threshold is not None:  # treat when the risk reaches the threshold probability
            tp = W @ (problem.y & problem.pred).astype(np.float64)
            fp = W @ (~problem.y & problem.pred).astype(np.float64)
            values["net_benefit"] = net_benefit_from_counts(tp, fp, W.sum(axis=1), threshold)
        per_class.append(np.column_stack([values[m] for m in metrics]))
    return finite_mean(np.stack(per_class), axis=0)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
