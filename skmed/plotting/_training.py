"""Training curves of a fitted network, and the forest plot of a model comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._docstrings import fill_doc
from skmed._fitted import best_epoch, training_history
from skmed.plotting._common import DOCS, AxesText, new_axes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TRAINING_TEXT = AxesText("Training curves", "Epoch", "Loss")


@fill_doc(DOCS)
def plot_training_history(model_or_history: Any, *, ax: Any = None) -> Figure:
    """Training and validation loss per epoch, from ``history_``.

    Parameters
    ----------
    model_or_history : dict or fitted estimator
        A ``history_``-style dict (``"loss"``, optionally ``"val_loss"``), or a fitted
        :class:`~skmed.MedicalMLPClassifier`, a Pipeline ending in one, or a
        ``TunedThresholdClassifierCV``/``FixedThresholdClassifier``/``CalibratedClassifierCV``
        around those (the first calibration fold's network is shown).
    ax : matplotlib Axes, default=None
        Axes to draw on.

    {{returns_figure}}

    Raises
    ------
    ValueError
        If no ``history_`` with a ``"loss"`` list is found.

    Examples
    --------
    >>> from skmed.plotting import plot_training_history
    >>> history = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.6]}
    >>> fig = plot_training_history(history)  # doctest: +SKIP
    """
    history = training_history(model_or_history)
    if not history.get("loss"):
        raise ValueError("The training history has no 'loss' values to plot.")
    ax = new_axes(ax)
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss", color="C0")
    if history.get("val_loss"):
        ax.plot(
            np.arange(1, len(history["val_loss"]) + 1),
            history["val_loss"],
            label="validation loss",
            color="C1",
        )
    best = best_epoch(model_or_history)
    if best:
        ax.axvline(best, color="grey", linestyle="--", label=f"best epoch ({best})")
    return TRAINING_TEXT.apply(ax)


def plot_model_comparison(comparison: Any, *, ax: Any = None) -> Any:
    """Forest plot of the paired differences of :func:`skmed.metrics.compare_models`.

    One row per compared model and metric: the difference from the reference with its
    interval, a line at 0, and which side is better (for the Brier score, lower is better).

    Parameters
    ----------
    comparison : ModelComparison or its ``to_dict()``
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)  # first: says how to install matplotlib when it is missing
    from matplotlib.ticker import MaxNLocator

    data = comparison.to_dict() if hasattr(comparison, "to_dict") else comparison
    rows = data["differences"]
    names = {"roc_auc": "ROC AUC", "brier": "Brier score", "net_benefit": "Net benefit"}
    several = len(data["models"]) > 2
    labels = [
        names.get(r["metric"], r["metric"]) + (f"\n{r['model']}" if several else "") for r in rows
    ]
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        color = "C2" if r["better"] is True else "C3" if r["better"] is False else "0.4"
        ax.errorbar(
            r["difference"],
            yi,
            xerr=[[r["difference"] - r["ci_lower"]], [r["ci_upper"] - r["difference"]]],
            fmt="o",
            color=color,
            capsize=4,
        )
        hint = " (lower is better)" if r["metric"] == "brier" else ""
        ax.annotate(
            f"{r['difference']:+.3f}{hint}",
            (r["difference"], yi),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize="small",
        )
    ax.axvline(0.0, color="0.3", linewidth=1, linestyle=":")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    compared = data["models"][1] if not several else "each model"
    ax.set_xlabel(f"{compared} minus {data['reference']}")
    ax.set_title("Paired differences (95% CI)")
    return ax
