"""Evaluation plots. matplotlib is optional: ``pip install 'skmed[plot]'``.

matplotlib is imported inside each function, never when this module is imported. Functions
return scikit-learn Display objects where scikit-learn has one (ROC, precision-recall,
calibration, confusion matrix) and a matplotlib ``Figure`` otherwise (training curves,
decision curve, and the survival plots: predicted survival curves, calibration at a horizon,
time-dependent AUC). With ``ax=None`` a new figure is made with ``pyplot.subplots``, like
scikit-learn; pass ``ax`` to draw into your own figure.

Binary problems plot the positive class. Multiclass problems plot one-vs-rest curves, one per
class, on the same axes, and return a list of Displays.

Each public function checks its inputs once, then calls a ``draw_*`` function of its module
that takes the checked predictions (``skmed.metrics._checks.Checked``); the report calls
those directly with the predictions it has already checked.
"""

from skmed.plotting._calibration import plot_calibration
from skmed.plotting._curves import plot_precision_recall, plot_roc
from skmed.plotting._decision import plot_confusion_matrix, plot_decision_curve
from skmed.plotting._survival import (
    plot_survival_calibration,
    plot_survival_curves,
    plot_time_dependent_auc,
)
from skmed.plotting._training import plot_model_comparison, plot_training_history

__all__ = [
    "plot_calibration",
    "plot_confusion_matrix",
    "plot_decision_curve",
    "plot_model_comparison",
    "plot_precision_recall",
    "plot_roc",
    "plot_survival_calibration",
    "plot_survival_curves",
    "plot_time_dependent_auc",
    "plot_training_history",
]
