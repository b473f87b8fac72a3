"""Parameters shared by the public metrics: their docstrings and their constraints.

The docstring pieces fill ``{{name}}`` lines through :func:`skmed._docstrings.fill_doc`; the
constraints go into scikit-learn's ``validate_params``. :mod:`skmed.calibration` and
:mod:`skmed.thresholds` use them too, so a parameter reads and validates alike everywhere.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from skmed._compat import Interval

#: ``validate_params`` constraints of the bootstrap settings.
BOOTSTRAP_CONSTRAINTS: dict[str, list[Any]] = {
    "n_bootstraps": [Interval(Integral, 0, None, closed="left")],
    "confidence_level": [Interval(Real, 0, 1, closed="neither")],
}

#: Docstring pieces, by placeholder name.
#: Fewest patients of each class a subgroup needs for its metrics (subgroups, fairness).
MIN_PER_CLASS = 10

DOCS = {
    # scores of predicted labels
    "labels": """\
y_true, y_pred : array-like of shape (n_samples,)
    True and predicted labels.
pos_label : label, default=None
    The positive class, every other label negative; ``None`` means the larger of the two
    labels of ``y_true`` and ``y_pred`` (``classes[1]``).""",
    "raises_pos_label": """\
Raises
------
ValueError
    If ``pos_label`` is not one of the labels, or is None with other than two labels.""",
    # scores of predicted risks of a binary outcome
    "risks": """\
y_true : array-like of shape (n_samples,)
    Binary labels (held-out data, for an honest assessment).
y_prob : array-like of shape (n_samples,)
    Predicted probability of the positive class.
pos_label : label, default=None
    Positive class; ``None`` means the larger of the two labels.""",
    "bootstrap": """\
n_bootstraps : int, default=1000
    Bootstrap replicates; rows are resampled within their stratum (true class, and group
    where groups are compared), so every replicate keeps the observed counts. ``0`` skips
    the intervals (NaN).
confidence_level : float in (0, 1), default=0.95
    Coverage of the percentile intervals.
random_state : int, numpy Generator or None, default=0
    Seed of the bootstrap; the same seed gives the same intervals.""",
    "group_sizes": """\
min_size : int, default=50
    Groups with fewer rows are flagged too small.
min_per_class : int, default=10
    Groups with fewer rows of any class are flagged too small.""",
    # the simulated patients of the examples: a binary outcome, a risk and a sex per patient
    "example_patients": """\
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 600)
>>> sex = np.where(rng.random(600) < 0.5, "F", "M")
>>> risk = np.clip(0.3 * y + rng.uniform(0, 0.7, 600) + 0.1 * (sex == "M"), 0, 1)""",
    # risks that come true at the predicted rate: a perfectly calibrated model
    "example_calibrated": """\
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.95, 5000)
>>> y = rng.random(5000) < p""",
}


#: the sections every label score shares: parameters, a float returned, the pos_label errors
DOCS["label_score"] = (
    "Parameters\n----------\n"
    + DOCS["labels"]
    + "\n\nReturns\n-------\nfloat\n\n"
    + DOCS["raises_pos_label"]
)
