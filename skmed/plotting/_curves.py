"""ROC curve with its bootstrap band, and the precision-recall curve."""

from __future__ import annotations

from typing import Any

from skmed._compat import validate_params
from skmed._docstrings import fill_doc
from skmed.metrics import roc_curve_ci
from skmed.metrics._checks import Checked, check_inputs
from skmed.metrics._params import BOOTSTRAP_CONSTRAINTS
from skmed.plotting._common import (
    DOCS,
    AxesText,
    curve_style,
    draw_per_class,
    new_axes,
    require_matplotlib,
)

ROC_TEXT = AxesText(
    "ROC curve",
    "1 - specificity (false-positive rate)",
    "Sensitivity (true-positive rate)",
    "lower right",
)
PRECISION_RECALL_TEXT = AxesText(
    "Precision-recall curve",
    "Sensitivity (recall)",
    "Positive predictive value (precision)",
    "lower left",
)


@fill_doc(DOCS)
@validate_params(
    {
        **BOOTSTRAP_CONSTRAINTS,
        "name": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_roc(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    pos_label: Any = None,
    n_bootstraps: int = 500,
    confidence_level: float = 0.95,
    random_state: Any = 0,
    ax: Any = None,
    name: str | None = None,
) -> Any:
    """ROC curve with a pointwise bootstrap confidence band.

    {{parameters}}
    n_bootstraps : int, default=500
        Stratified bootstrap replicates for the band; 0 draws no band.
    confidence_level : float, default=0.95
        Coverage of the band.
    random_state : int, Generator or None, default=0
        Seed of the bootstrap.
    {{ax}}
    {{name}}

    Returns
    -------
    display : sklearn.metrics.RocCurveDisplay or list of them
        One per plotted class; ``display.figure_`` is the figure. Each has an extra attribute
        ``ci_band_`` (dict from :func:`skmed.metrics.roc_curve_ci`).

    Examples
    --------
    >>> import numpy as np
    >>> from skmed.plotting import plot_roc
    >>> y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    >>> p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.9, 0.6])
    >>> disp = plot_roc(y, p, n_bootstraps=50)  # doctest: +SKIP
    """
    require_matplotlib()
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    return draw_roc(
        new_axes(ax),
        checked,
        n_bootstraps=n_bootstraps,
        confidence_level=confidence_level,
        random_state=random_state,
        name=name,
    )


def draw_roc(
    ax: Any,
    checked: Checked,
    *,
    n_bootstraps: int = 500,
    confidence_level: float = 0.95,
    random_state: Any = 0,
    name: str | None = None,
) -> Any:
    """:func:`plot_roc` of checked predictions on ``ax``."""
    from sklearn.metrics import RocCurveDisplay

    n_curves = 1 if checked.binary else checked.classes.size

    def draw(i: int, legend: str, y_k: Any, p_k: Any, alone: bool) -> Any:
        color = f"C{i}"
        disp = RocCurveDisplay.from_predictions(
            y_k,
            p_k,
            pos_label=True,
            name=legend,
            ax=ax,
            **curve_style(RocCurveDisplay, color=color),
            plot_chance_level=(i == n_curves - 1),
        )
        disp.ci_band_ = None
        if n_bootstraps:
            disp.ci_band_ = band = roc_curve_ci(
                y_k,
                p_k,
                pos_label=True,
                n_bootstraps=n_bootstraps,
                confidence_level=confidence_level,
                random_state=random_state,
            )
            ax.fill_between(
                band["fpr"],
                band["tpr_lower"],
                band["tpr_upper"],
                color=color,
                alpha=0.2,
                linewidth=0,
                label=f"{confidence_level:.0%} CI" if alone else None,
            )
        return disp

    return draw_per_class(ax, checked, draw, ROC_TEXT, name=name)


@fill_doc(DOCS)
@validate_params({"name": [str, None]}, prefer_skip_nested_validation=True)
def plot_precision_recall(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    pos_label: Any = None,
    ax: Any = None,
    name: str | None = None,
) -> Any:
    """Precision-recall (PPV against sensitivity) curve, with the prevalence as chance level.

    {{parameters}}
    {{ax}}
    {{name}}

    Returns
    -------
    display : sklearn.metrics.PrecisionRecallDisplay or list of them
        One per plotted class.

    Examples
    --------
    >>> from skmed.plotting import plot_precision_recall
    >>> disp = plot_precision_recall([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4])  # doctest: +SKIP
    """
    require_matplotlib()
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    return draw_precision_recall(new_axes(ax), checked, name=name)


def draw_precision_recall(ax: Any, checked: Checked, *, name: str | None = None) -> Any:
    """:func:`plot_precision_recall` of checked predictions on ``ax``."""
    from sklearn.metrics import PrecisionRecallDisplay

    def draw(i: int, legend: str, y_k: Any, p_k: Any, alone: bool) -> Any:
        return PrecisionRecallDisplay.from_predictions(
            y_k,
            p_k,
            pos_label=True,
            name=legend,
            ax=ax,
            **curve_style(PrecisionRecallDisplay, color=f"C{i}"),
            plot_chance_level=True,
            chance_level_kw={"color": f"C{i}", "linestyle": ":"},
        )

    return draw_per_class(ax, checked, draw, PRECISION_RECALL_TEXT, name=name)
