"""Shared pieces of the report: section list, labels, number formatting, JSON cleaning."""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skmed._json import jsonable

if TYPE_CHECKING:
    from skmed.report._report import ClinicalReport

#: The sections every report opens with: HTML ``id`` and heading.
OPENING_SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "model-card": "Model card",
    "data": "Data",
}

#: HTML ``id`` and heading of every report section, in order.
SECTIONS: dict[str, str] = {
    **OPENING_SECTIONS,
    "sample-size": "Sample size",
    "drift": "Data drift",
    "operating-point": "Operating point",
    "metrics": "Performance metrics",
    "calibration": "Calibration",
    "subgroups": "Subgroup performance",
    "fairness": "Fairness: gaps between groups",
    "comparison": "Model comparison on the same patients",
    "recalibration": "Recalibration",
    "explanations": "Interpretability",
    "figures": "Figures",
}

NOT_PROVIDED = "Not provided."
FLAG = ' class="flag"'

METRIC_LABELS = {
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "ppv": "PPV (precision)",
    "npv": "NPV",
    "lr_positive": "Positive likelihood ratio",
    "lr_negative": "Negative likelihood ratio",
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "brier": "Brier score",
    "calibration_intercept": "Calibration intercept",
    "calibration_slope": "Calibration slope",
    "net_benefit": "Net benefit",
}

SUBGROUP_METRICS = ("sensitivity", "specificity", "ppv", "npv", "roc_auc", "brier")


def clean(value: Any) -> Any:
    """JSON-safe copy: numpy -> Python, NaN/inf -> None, DataFrame -> records."""
    if isinstance(value, pd.DataFrame):
        return [clean(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    value = jsonable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}f}"


def fmt_ci(est: Any, lo: Any, hi: Any) -> str:
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return fmt(est)
    return f"{fmt(est)} ({fmt(lo)}–{fmt(hi)})"


#: Figures shown on the first screen, in order (the first four present).
KEY_FIGURES = ("roc", "calibration", "decision_curve", "comparison", "confusion_matrix")

FIGURE_CAPTIONS = {
    "roc": "ROC curve with bootstrap confidence band",
    "precision_recall": "Precision-recall curve",
    "calibration": "Calibration: binned rates, flexible curve with 95% band",
    "confusion_matrix": "Confusion matrix at the operating point",
    "decision_curve": "Decision curve (net benefit)",
    "training": "Training curves",
    "importance": "Permutation importance of the input columns",
    "comparison": "The network against logistic regression: paired differences, 95% CI",
}


def figure_png(draw, ncols: int = 1) -> str:
    """Run ``draw(ax)`` on a fresh (non-pyplot) figure and return the PNG as base64."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * ncols, 4.5), layout="constrained")
    ax = fig.subplots(1, ncols)
    draw(list(ax) if ncols > 1 else ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def metric_lookup(report: ClinicalReport) -> dict[tuple[str, str], tuple[float, float, float]]:
    return {
        (str(r["class"]), r["metric"]): (r["estimate"], r["ci_lower"], r["ci_upper"])
        for r in report.metrics.to_dict(orient="records")
    }


def headline_key(report: ClinicalReport) -> str:
    return (
        str(report.operating_point.get("pos_label"))
        if report.operating_point.get("threshold") is not None
        else "macro"
    )


def section(
    attribute: str, absent: str
) -> Callable[[Callable[[ClinicalReport, Any], str]], Callable[[ClinicalReport], str]]:
    """Decorate the renderer of a section that shows ``report.<attribute>``.

    The renderer is called as ``render(report, value)``; when the report has no such value
    (None or an empty dict) the section is the paragraph ``absent`` that says why.
    """

    def decorate(render: Callable[[ClinicalReport, Any], str]) -> Callable[[ClinicalReport], str]:
        @functools.wraps(render)
        def rendered(report: ClinicalReport) -> str:
            value = getattr(report, attribute)
            if value is None or (isinstance(value, dict) and not value):
                return absent
            return render(report, value)

        return rendered

    return decorate
