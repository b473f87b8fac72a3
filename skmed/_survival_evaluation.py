"""External validation of an exported survival model: what :func:`skmed.evaluate` does with a
file whose task is survival.

The rows are scored by :class:`skmed.runtime.OnnxSurvival` (onnxruntime only) and reported as
``skmed train --time/--event`` reports its held-out rows (:func:`skmed.report.
build_survival_report`), with the model card from the file and the data's drift against the
training summary the file stores. The file holds no training outcomes, so the inverse
probability of censoring weights come from the evaluated rows' own follow-up, as is usual in
external validation.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from skmed._columns import require_columns
from skmed._survival_target import check_survival_target
from skmed.runtime import OnnxSurvival

#: The note every external survival report carries about its censoring weights.
CENSORING_NOTE = (
    "Uno's C, the Brier scores and the time-dependent AUC weight patients by the censoring "
    "distribution of these rows' own follow-up (the model file holds no training outcomes)."
)


def survival_rows(runtime: OnnxSurvival, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The event indicators and times of ``y``, checked as the outcome of ``X``'s rows, and
    ``X``'s model columns.

    Raises a ValueError for a non-frame ``X``, a malformed outcome (or none with an event),
    lengths that differ or a model column absent from ``X``.
    """
    if not hasattr(X, "columns"):
        raise ValueError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    event, time = check_survival_target(y, "y")
    if time.size != len(X):
        raise ValueError(f"y has {time.size} outcomes but X has {len(X)} rows.")
    if runtime.feature_names_in_ is None:
        return event, time, X
    columns = list(runtime.feature_names_in_)
    require_columns(columns, X.columns, what="the model's column(s)", where="X")
    return event, time, X[columns]


def evaluate_survival(
    runtime: OnnxSurvival,
    X: Any,
    y: Any,
    *,
    horizons: Any,
    title: str,
    n_bootstraps: int,
    random_state: Any,
    plots: bool,
) -> Any:
    """The survival report of ``runtime`` on the rows ``X`` with outcomes ``y``, with drift."""
    from skmed.drift import check_drift
    from skmed.report import build_survival_report
    from skmed.report._survival import default_horizons

    event, time, rows = survival_rows(runtime, X, y)
    if horizons is None:
        horizons = default_horizons(event, time, time)
    card = runtime.metadata.get("model_card")
    report = build_survival_report(
        runtime,
        rows,
        y,
        y,
        horizons=horizons,  # checked there, with the message of its parameter validation
        n_bootstraps=n_bootstraps,
        random_state=random_state,
        title=title,
        model_card=json.loads(card) if card else None,
        plots=plots,
    )
    report.notes.append(CENSORING_NOTE)
    report.data_summary["train"] = None  # y served as both: there are no training outcomes
    report.drift = check_drift(runtime, X).to_dict()
    return report
