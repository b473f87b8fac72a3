"""Minimum sample size for developing a prediction model (Riley et al., BMJ 2020).

For a binary outcome, Riley et al. ask that the development data be large enough to meet three
criteria, given the number of candidate predictor parameters ``p``, the outcome prevalence
``phi`` and the anticipated Cox-Snell R-squared ``R2`` of the model:

1. small overfitting: expected uniform shrinkage of the predictor effects ``S >= 0.9``,
   ``n = p / ((S - 1) ln(1 - R2 / S))``;
2. a small difference (``delta = 0.05``) between the apparent and the optimism-adjusted
   Nagelkerke R-squared: criterion 1 at ``S = R2 / (R2 + delta max(R2))``, where
   ``max(R2) = 1 - (phi^phi (1 - phi)^(1 - phi))^2``;
3. a precise estimate of the overall risk: ``n = (1.96 / 0.05)^2 phi (1 - phi)`` (a 95%
   interval of +-0.05 around the prevalence).

The minimum is the largest of the three. :func:`minimum_sample_size` computes them as the R
package ``pmsampsize`` does (without rounding the intermediate values);
:func:`check_sample_size` applies them to data at hand, per class one-vs-rest for several
classes (the largest requirement counts), taking the anticipated R-squared from the model's
held-out predictions. Imports numpy (and scikit-learn's parameter validation).

References
----------
Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a
clinical prediction model. BMJ 2020;368:m441.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from skmed._compat import Interval, validate_params

__all__ = ["SampleSize", "SampleSizeCheck", "check_sample_size", "minimum_sample_size"]

#: Anticipated R-squared as a share of its maximum when the data cannot tell (Riley et al.'s
#: conservative default).
CONSERVATIVE_R2_SHARE = 0.15


@dataclass(frozen=True)
class SampleSize:
    """The three criteria and the minimum for one binary outcome.

    Attributes
    ----------
    n_parameters : int
    prevalence, r2_cs, max_r2_cs : float
        Inputs, and the largest Cox-Snell R-squared the prevalence allows.
    criteria : dict of str to dict
        ``"shrinkage"``, ``"optimism"``, ``"overall_risk"``: each ``{"n", "shrinkage",
        "events", "events_per_parameter"}``.
    n : int
        The minimum sample size (largest criterion).
    events, events_per_parameter : float
        At ``n``.
    """

    n_parameters: int
    prevalence: float
    r2_cs: float
    max_r2_cs: float
    criteria: dict[str, dict[str, float]]
    n: int
    events: float
    events_per_parameter: float


@validate_params(
    {
        "n_parameters": [Interval(Integral, 1, None, closed="left")],
        "prevalence": [Interval(Real, 0, 1, closed="neither")],
        "r2_cs": [Interval(Real, 0, 1, closed="neither")],
        "shrinkage": [Interval(Real, 0, 1, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "margin": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def minimum_sample_size(
    n_parameters: int,
    prevalence: float,
    r2_cs: float,
    *,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    margin: float = 0.05,
) -> SampleSize:
    """Riley et al.'s minimum sample size for a binary outcome.

    Parameters
    ----------
    n_parameters : int
        Candidate predictor parameters (encoded features: a category with k levels counts k - 1
        or k, a spline several).
    prevalence : float in (0, 1)
        Outcome proportion.
    r2_cs : float in (0, 1)
        Anticipated Cox-Snell R-squared of the model (at most ``max_r2_cs``).
    shrinkage : float, default=0.9
        Criterion 1's target expected shrinkage.
    delta : float, default=0.05
        Criterion 2's largest difference between apparent and adjusted Nagelkerke R-squared.
    margin : float, default=0.05
        Criterion 3's margin of error of the overall risk (95% interval).

    Returns
    -------
    SampleSize

    Raises
    ------
    ValueError
        If ``r2_cs`` exceeds the largest value the prevalence allows, or ``shrinkage``.

    Examples
    --------
    >>> from skmed.sample_size import minimum_sample_size
    >>> result = minimum_sample_size(24, 0.174, 0.288)  # Riley et al.'s worked example
    >>> result.criteria["shrinkage"]["n"], result.criteria["overall_risk"]["n"]
    (623, 221)
    """
    phi = prevalence
    max_r2 = _max_r2_cs(phi)
    if r2_cs >= max_r2:
        raise ValueError(
            f"r2_cs={r2_cs} is not below the largest Cox-Snell R-squared {max_r2:.3f} that a "
            f"prevalence of {phi} allows."
        )
    if r2_cs >= shrinkage:
        raise ValueError(f"r2_cs={r2_cs} must be below shrinkage={shrinkage}.")
    s_optimism = r2_cs / (r2_cs + delta * max_r2)
    sizes = {
        "shrinkage": (_shrinkage_n(n_parameters, r2_cs, shrinkage), shrinkage),
        "optimism": (_shrinkage_n(n_parameters, r2_cs, s_optimism), s_optimism),
        "overall_risk": (
            math.ceil((1.96 / margin) ** 2 * phi * (1.0 - phi)),
            max(shrinkage, s_optimism),
        ),
    }
    criteria = {
        name: {
            "n": n,
            "shrinkage": s,
            "events": n * phi,
            "events_per_parameter": n * phi / n_parameters,
        }
        for name, (n, s) in sizes.items()
    }
    n = max(c["n"] for c in criteria.values())
    events = n * phi
    return SampleSize(
        n_parameters, phi, r2_cs, max_r2, criteria, int(n), events, events / n_parameters
    )


def _null_loglik(phi: float) -> float:
    """Log-likelihood per row of the model predicting the prevalence ``phi`` for everyone."""
    return phi * math.log(phi) + (1.0 - phi) * math.log(1.0 - phi)


def _max_r2_cs(phi: float) -> float:
    """The largest Cox-Snell R-squared a prevalence allows: ``1 - exp(2 * null loglik)``."""
    return 1.0 - math.exp(2.0 * _null_loglik(phi))


def _shrinkage_n(n_parameters: int, r2_cs: float, shrinkage: float) -> int:
    """Rows for an expected shrinkage of ``shrinkage`` (Riley et al., equation 11)."""
    return math.ceil(n_parameters / ((shrinkage - 1.0) * math.log(1.0 - r2_cs / shrinkage)))


@dataclass
class SampleSizeCheck:
    """The data at hand against the minimum sample size.

    Attributes
    ----------
    n_samples, n_parameters : int
    per_class : dict of str to SampleSize
        One-vs-rest requirement per class (the positive class only, for two).
    r2_source : dict of str to str
        Per class, where the anticipated R-squared came from.
    required : int
        The largest requirement; ``binding_class`` is the class that sets it.
    binding_class : str
    enough : bool
    events_per_parameter : float
        Events of the binding class per candidate parameter, in the data at hand.
    warnings : list of str
    """

    n_samples: int
    n_parameters: int
    per_class: dict[str, SampleSize]
    r2_source: dict[str, str]
    required: int
    binding_class: str
    enough: bool
    events_per_parameter: float
    warnings: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        """One plain sentence for the command line and the report."""
        verdict = "enough" if self.enough else "fewer than the minimum"
        return (
            f"{self.n_samples} patients for {self.n_parameters} candidate predictor parameters: "
            f"{verdict} by Riley et al.'s criteria, which ask for at least {self.required} "
            f"(set by class {self.binding_class}; {self.events_per_parameter:.1f} events per "
            "parameter here)."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "n_samples": self.n_samples,
            "n_parameters": self.n_parameters,
            "required": self.required,
            "binding_class": self.binding_class,
            "enough": self.enough,
            "events_per_parameter": self.events_per_parameter,
            "sentence": self.sentence(),
            "warnings": self.warnings,
            "per_class": {
                label: {**s.__dict__, "r2_source": self.r2_source[label]}
                for label, s in self.per_class.items()
            },
        }


@validate_params(
    {"n_parameters": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def check_sample_size(
    y: Any,
    n_parameters: int,
    *,
    n_samples: int | None = None,
    proba: Any = None,
    classes: Any = None,
    pos_label: Any = None,
) -> SampleSizeCheck:
    """Whether data with these outcomes are enough for ``n_parameters`` candidate parameters.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Outcomes, to estimate the prevalence of each class (and, with ``proba``, the
        anticipated R-squared).
    n_parameters : int
        Candidate predictor parameters (the pipeline's encoded features).
    n_samples : int, default=None
        Rows available for development; default ``len(y)``.
    proba : array-like of shape (n_rows, n_classes), default=None
        Held-out predicted probabilities for ``y``: the anticipated Cox-Snell R-squared of each
        class is taken from them (out of sample, so not optimistic). Without them, or when
        they explain less than nothing, 15% of the largest R-squared is assumed (Riley et
        al.'s conservative choice).
    classes : array-like, default=None
        Label of each column of ``proba``; default the sorted labels of ``y``.
    pos_label : label, default=None
        Two classes: the outcome class; default ``classes[1]``.

    Returns
    -------
    SampleSizeCheck
    """
    labels = np.asarray(y).reshape(-1)
    classes = np.unique(labels) if classes is None else np.asarray(classes)
    if classes.size < 2:
        raise ValueError(f"Need at least two classes; got {classes.tolist()}.")
    n = int(labels.size if n_samples is None else n_samples)
    P = None if proba is None else np.asarray(proba, dtype=np.float64)
    if P is not None and P.shape != (labels.size, classes.size):
        raise ValueError(
            f"proba has shape {P.shape}; expected ({labels.size}, {classes.size}), one column "
            "per class."
        )
    if classes.size == 2:
        found = np.flatnonzero(classes == pos_label) if pos_label is not None else [1]
        if len(found) == 0:
            raise ValueError(f"pos_label={pos_label!r} is not one of {classes.tolist()}.")
        k = int(found[0])
        targets = [k]
    else:
        targets = list(range(classes.size))
    per_class, sources = {}, {}
    for k in targets:
        outcome = labels == classes[k]
        phi = float(np.clip(outcome.mean(), 1e-6, 1 - 1e-6))
        max_r2 = _max_r2_cs(phi)
        r2, source = CONSERVATIVE_R2_SHARE * max_r2, "15% of the largest R-squared (assumed)"
        if P is not None:
            held_out = _cox_snell(outcome, P[:, k], phi)
            if held_out > 0:
                r2 = min(held_out, 0.99 * max_r2)
                source = "held-out predictions"
        label = str(classes[k])
        per_class[label] = minimum_sample_size(int(n_parameters), phi, float(r2))
        sources[label] = source
    binding = max(per_class, key=lambda c: per_class[c].n)
    need = per_class[binding]
    events = n * need.prevalence
    check = SampleSizeCheck(
        n_samples=n,
        n_parameters=int(n_parameters),
        per_class=per_class,
        r2_source=sources,
        required=need.n,
        binding_class=binding,
        enough=n >= need.n,
        events_per_parameter=events / n_parameters,
    )
    if not check.enough:
        check.warnings.append(
            f"Only {n} patients for {n_parameters} candidate predictor parameters: Riley et "
            f"al.'s criteria ask for at least {need.n} (class {binding}, "
            f"{events / n_parameters:.1f} events per parameter here). Expect overfitting: "
            "rely on optimism-corrected or external validation, use fewer predictors, or "
            "collect more data."
        )
    return check


def _cox_snell(outcome: np.ndarray, p: np.ndarray, phi: float) -> float:
    """Cox-Snell R-squared of risks ``p`` for binary ``outcome``: ``1 - exp(-LR / n)``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    loglik = float(np.sum(np.where(outcome, np.log(p), np.log1p(-p))))
    null = outcome.size * _null_loglik(phi)
    return 1.0 - math.exp(-2.0 * (loglik - null) / outcome.size)
