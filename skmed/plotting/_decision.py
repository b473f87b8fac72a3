"""Plots of decisions: the confusion matrix at the operating point, and the decision curve."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._compat import Interval, StrOptions, validate_params
from skmed._docstrings import fill_doc
from skmed.metrics import net_benefit
from skmed.metrics._checks import Checked, check_inputs, check_threshold, predicted_index
from skmed.plotting._common import DOCS, AxesText, new_axes, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DECISION_CURVE_TEXT = AxesText("Decision curve", "Threshold probability", "Net benefit")


@fill_doc(DOCS)
@validate_params(
    {
        "threshold": [Interval(Real, 0, 1, closed="both"), None],
        "normalize": [StrOptions({"true", "pred", "all"}), None],
    },
    prefer_skip_nested_validation=True,
)
def plot_confusion_matrix(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    normalize: str | None = None,
    ax: Any = None,
) -> Any:
    """Confusion matrix at the operating threshold (binary) or of the most probable class.

    {{parameters}}
    threshold : float, default=None
        Binary only: predict positive when the probability is ``>= threshold`` (default 0.5).
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.
    {{ax}}

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay

    Examples
    --------
    >>> from skmed.plotting import plot_confusion_matrix
    >>> y, p = [0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4]
    >>> disp = plot_confusion_matrix(y, p, threshold=0.5)  # doctest: +SKIP
    """
    require_matplotlib()
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    thr = check_threshold(threshold, checked)
    return draw_confusion_matrix(new_axes(ax), checked, thr, normalize=normalize)


def draw_confusion_matrix(
    ax: Any,
    checked: Checked,
    threshold: float | None,
    *,
    normalize: str | None = None,
    weights: np.ndarray | None = None,
) -> Any:
    """:func:`plot_confusion_matrix` of checked predictions and a checked threshold.

    ``weights`` (multiclass): the decision's class weights, as
    :func:`~skmed.metrics._checks.predicted_index` takes them.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    pred_idx = predicted_index(checked, threshold, weights)
    labels = [str(c) for c in checked.classes]
    slanted = max(map(len, labels)) > 6
    disp = ConfusionMatrixDisplay.from_predictions(
        checked.y_idx,
        pred_idx,
        labels=list(range(checked.classes.size)),
        display_labels=labels,
        normalize=normalize,
        ax=ax,
        colorbar=False,
        cmap="Blues",
        xticks_rotation=35 if slanted else "horizontal",
    )
    if slanted:  # long class names: slanted, anchored at their cell
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    title = "Confusion matrix"
    if checked.binary:
        title += f" at threshold {threshold:.3g}"
    elif weights is not None:
        title += " (least expected cost)"
    ax.set_title(title)
    return disp


@fill_doc(DOCS)
@validate_params(
    {"thresholds": ["array-like", None], "name": [str]}, prefer_skip_nested_validation=True
)
def plot_decision_curve(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    pos_label: Any = None,
    thresholds: Any = None,
    ax: Any = None,
    name: str = "model",
) -> Figure:
    """Decision curve: net benefit of the model, of treating all and of treating none.

    {{parameters}}
    thresholds : array-like, default=None
        Threshold probabilities; default 0.01 to 0.99 (see :func:`skmed.metrics.net_benefit`).
    {{ax}}
    name : str, default="model"
        Legend name of the model.

    {{returns_figure}}

    Raises
    ------
    ValueError
        For a multiclass problem (decision curves are defined for one outcome).

    Examples
    --------
    >>> from skmed.plotting import plot_decision_curve
    >>> fig = plot_decision_curve([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4])  # doctest: +SKIP
    """
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    if not checked.binary:
        raise ValueError("Decision curves need a binary outcome; this problem is multiclass.")
    return draw_decision_curve(ax, checked, thresholds=thresholds, name=name)


def draw_decision_curve(
    ax: Any, checked: Checked, *, thresholds: Any = None, name: str = "model"
) -> Figure:
    """:func:`plot_decision_curve` of checked binary predictions on ``ax`` (a new figure when
    None, made after the thresholds are checked)."""
    y = checked.y_idx == checked.pos
    curve = net_benefit(y, checked.proba[:, checked.pos], thresholds, pos_label=True)
    ax = new_axes(ax)
    ax.plot(curve["threshold"], curve["model"], label=name, color="C0")
    ax.plot(curve["threshold"], curve["treat_all"], label="treat all", color="C1", linestyle="--")
    ax.plot(curve["threshold"], curve["treat_none"], label="treat none", color="k", linestyle=":")
    top = max(float(curve["model"].max()), float(curve["treat_all"].max()), 0.01)
    ax.set_ylim(-0.1 * top, 1.1 * top)
    return DECISION_CURVE_TEXT.apply(ax)
