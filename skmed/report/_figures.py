"""The report's figures, drawn from the predictions :func:`build_report` has already checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._decision import DecisionRule
from skmed._fitted import trained_classifier
from skmed.metrics._checks import Checked
from skmed.plotting._common import INSTALL_HINT
from skmed.report._format import figure_png


def draw_figures(
    checked: Checked,
    rule: DecisionRule,
    calibration: list[Any],
    model: Any,
    settings: dict[str, Any],
    notes: list[str],
) -> dict[str, str]:
    """Every evaluation figure as base64 PNG, by name; ``{}`` with a note without matplotlib.

    ``calibration`` holds the assessment of each plotted class (drawn, not recomputed);
    ``settings`` the bootstrap settings of the report; the confusion matrix is at ``rule``.
    """
    try:
        import matplotlib  # noqa: F401 - figure_png needs no pyplot
    except ImportError:
        notes.append(f"Figures skipped: matplotlib is not installed ({INSTALL_HINT}).")
        return {}
    from skmed.plotting import plot_training_history
    from skmed.plotting._calibration import draw_calibration
    from skmed.plotting._curves import draw_precision_recall, draw_roc
    from skmed.plotting._decision import draw_confusion_matrix, draw_decision_curve

    weights = None if checked.binary or rule.weights is None else np.asarray(rule.weights)
    figs = {
        "roc": lambda ax: draw_roc(
            ax,
            checked,
            n_bootstraps=min(settings["n_bootstraps"], 500),
            confidence_level=settings["confidence_level"],
            random_state=settings["random_state"],
        ),
        "precision_recall": lambda ax: draw_precision_recall(ax, checked),
        "calibration": lambda ax: draw_calibration(ax, checked, assessments=calibration),
        "confusion_matrix": lambda ax: draw_confusion_matrix(
            ax, checked, rule.threshold, weights=weights
        ),
    }
    if checked.binary:
        figs["decision_curve"] = lambda ax: draw_decision_curve(ax, checked)
    trained = trained_classifier(model)
    if trained is not None and trained.history_.get("loss"):
        figs["training"] = lambda ax: plot_training_history(trained, ax=ax)
    return {name: figure_png(draw) for name, draw in figs.items()}


def explanation_figures(importance: Any, explanations: list[Any]) -> dict[str, str]:
    """The importance bar chart and each patient's waterfall, as base64 PNG."""
    from skmed.explain import plot_importance

    figures = {}
    if importance is not None:
        figures["importance"] = figure_png(lambda ax: plot_importance(importance, ax=ax))
    for i, ex in enumerate(explanations):
        figures[f"waterfall_{i}"] = figure_png(lambda ax, ex=ex: ex.plot(ax=ax))
    return figures
