"""What a recalibration does to a file's labels: the kept rule, each class's share before and
after on the site's rows, and warnings for a class the rule stops predicting."""

from __future__ import annotations

from typing import Any

import numpy as np

#: A class given to fewer of the site's rows than this share, after recalibration, is warned of.
MIN_SHARE = 0.01


def decision_record(
    rule: Any,
    classes: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    observed: np.ndarray,
    method: str,
) -> dict[str, Any]:
    """The kept rule, each class's share of the rows under it before and after, and warnings
    for a class the site holds that the rule (almost) stops predicting."""
    k = len(classes)
    shares = {
        name: np.bincount(idx, minlength=k) / len(idx)
        for name, idx in (("before", before), ("after", after), ("observed", observed))
    }
    labels = [str(c) for c in classes.tolist()]
    record: dict[str, Any] = {
        "rule": rule.describe(),
        **{f"share_{n}": dict(zip(labels, map(float, v))) for n, v in shares.items()},
        "warnings": [],
    }
    for i, label in enumerate(labels):
        if shares["observed"][i] > 0 and shares["after"][i] < MIN_SHARE:
            record["warnings"].append(
                f"After {method} recalibration the kept rule labels {shares['after'][i]:.1%} of "
                f"these rows {label!r} (before: {shares['before'][i]:.1%}; observed: "
                f"{shares['observed'][i]:.1%}): the rule was chosen for the old risks; choose "
                "a threshold for the recalibrated risks (skmed.thresholds) before using labels."
            )
    moved = ", ".join(
        f"{label} {shares['before'][i]:.1%} -> {shares['after'][i]:.1%}"
        for i, label in enumerate(labels)
    )
    record["note"] = (
        f"The label output keeps the file's rule ({rule.describe()}), now applied to the "
        f"recalibrated risks; share of these rows labelled: {moved}."
    )
    return record
