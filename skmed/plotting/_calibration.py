"""Reliability diagram: binned rates, the flexible calibration curve, and its figures."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from skmed._compat import Interval, StrOptions, validate_params
from skmed._docstrings import fill_doc
from skmed.metrics._checks import Checked, check_inputs
from skmed.plotting._common import DOCS, AxesText, draw_per_class, new_axes, require_matplotlib

CALIBRATION_TEXT = AxesText(
    "Calibration", "Mean predicted probability", "Observed proportion", "lower right"
)


@fill_doc(DOCS)
@validate_params(
    {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"quantile", "uniform"})],
        "name": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def plot_calibration(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    pos_label: Any = None,
    n_bins: int = 10,
    strategy: str = "quantile",
    ax: Any = None,
    name: str | None = None,
) -> Any:
    """Reliability diagram with the flexible calibration curve, annotated with the figures.

    Binned observed rates are drawn as points, the restricted-cubic-spline calibration curve
    (:func:`skmed.calibration.flexible_calibration`) as a line, with its 95% band for up to
    two curves; the box gives calibration intercept, slope, Brier score and ICI.

    {{parameters}}
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        Equal-count or equal-width bins.
    {{ax}}
    {{name}}

    Returns
    -------
    display : sklearn.calibration.CalibrationDisplay or list of them
        One per plotted class.

    Examples
    --------
    >>> from skmed.plotting import plot_calibration
    >>> disp = plot_calibration([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4], n_bins=2)  # doctest: +SKIP
    """
    require_matplotlib()
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    return draw_calibration(new_axes(ax), checked, n_bins=n_bins, strategy=strategy, name=name)


def draw_calibration(
    ax: Any,
    checked: Checked,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    name: str | None = None,
    assessments: list[Any] | None = None,
) -> Any:
    """:func:`plot_calibration` of checked predictions on ``ax``.

    ``assessments``: the :func:`~skmed.calibration.assess_calibration` of each plotted class
    with these ``n_bins`` and ``strategy``, when the caller has them already.
    """
    from sklearn.calibration import CalibrationDisplay

    from skmed.calibration import assess_calibration

    n_curves = 1 if checked.binary else checked.classes.size
    lines: list[str] = []

    def draw(i: int, legend: str, y_k: Any, p_k: Any, alone: bool) -> Any:
        disp = CalibrationDisplay.from_predictions(
            y_k,
            p_k,
            pos_label=True,
            n_bins=n_bins,
            strategy=strategy,
            name=legend,
            ax=ax,
            ref_line=(i == 0),
            color=f"C{i}",
        )
        disp.line_.set_linestyle("none")  # binned points; the smooth curve is the line
        a = (
            assessments[i]
            if assessments is not None
            else assess_calibration(y_k, p_k, pos_label=True, n_bins=n_bins, strategy=strategy)
        )
        flex = a.flexible
        smooth = flex is not None and np.isfinite(flex.ici)
        if smooth:
            ax.plot(flex.grid, flex.observed, color=f"C{i}", linewidth=1.6)
            if n_curves <= 2:
                ax.fill_between(flex.grid, flex.lower, flex.upper, color=f"C{i}", alpha=0.18)
        prefix = "" if alone else f"{legend}: "
        ici = f", ICI {flex.ici:.3f}" if smooth else ""
        lines.append(
            f"{prefix}intercept {a.intercept:.2f}, slope {a.slope:.2f}, Brier {a.brier:.3f}{ici}"
        )
        return disp

    displays = draw_per_class(
        ax, checked, draw, CALIBRATION_TEXT, name=name, mark_one_vs_rest=False
    )
    ax.text(
        0.02,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize="small",
        bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
    )
    return displays
