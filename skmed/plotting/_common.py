"""What every plot shares: matplotlib on demand, the axes, the curve of each plotted class, and
the parameter descriptions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skmed.metrics._checks import Checked

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: How to get the plotting extra.
INSTALL_HINT = "pip install 'skmed[plot]'"

#: Parameter descriptions shared by the plots (:func:`skmed._docstrings.fill_doc`).
DOCS = {
    "parameters": """
        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
            ``predict_proba`` output (or the positive-class probability of a binary problem).
        classes : array-like, default=None
            Label of each column of ``y_proba``; default the sorted labels of ``y_true``.
        pos_label : label, default=None
            Binary only: the positive class (default ``classes[1]``).""",
    "ax": """
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.""",
    "returns_figure": """
        Returns
        -------
        figure : matplotlib.figure.Figure""",
    "name": """
        name : str, default=None
            Legend name of the model (binary).""",
}


def require_matplotlib() -> Any:
    """Import matplotlib.pyplot, or raise an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skmed plots need matplotlib, which is not installed. Install it with "
            f"`{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


def new_axes(ax: Any, figsize: tuple[float, float] = (5.0, 4.5)) -> Any:
    """``ax``, or the axes of a new pyplot figure of ``figsize`` when ``ax`` is None."""
    plt = require_matplotlib()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def class_curves(checked: Checked) -> list[tuple[Any, Any, Any]]:
    """(label, y_is_class, probability) for the positive class or for each class (OvR)."""
    ks = [checked.pos] if checked.binary else list(range(checked.classes.size))
    return [(checked.classes[k], checked.y_idx == k, checked.proba[:, k]) for k in ks]


@dataclass(frozen=True)
class AxesText:
    """Title, axis labels and legend place of a plot."""

    title: str
    xlabel: str
    ylabel: str
    legend_loc: str = "best"

    def apply(self, ax: Any, *, one_vs_rest: bool = False) -> Figure:
        """Label ``ax`` (the title says "one-vs-rest" when asked); its figure."""
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.set_title(f"{self.title} (one-vs-rest)" if one_vs_rest else self.title)
        ax.legend(loc=self.legend_loc, fontsize="small")
        figure: Figure = ax.figure
        return figure


def draw_per_class(
    ax: Any,
    checked: Checked,
    draw: Callable[[int, str, Any, Any, bool], Any],
    text: AxesText,
    *,
    name: str | None,
    mark_one_vs_rest: bool = True,
) -> Any:
    """Draw one curve per plotted class with ``draw(i, legend, y_k, p_k, alone)``, then label
    the axes with ``text``; the Display, or the list of them for several classes.

    ``alone`` is True when one class is plotted (binary); ``mark_one_vs_rest`` adds
    "(one-vs-rest)" to the title of several curves.
    """
    curves = class_curves(checked)
    alone = len(curves) == 1
    displays = [
        draw(i, name if (name and alone) else f"{label}", y_k, p_k, alone)
        for i, (label, y_k, p_k) in enumerate(curves)
    ]
    text.apply(ax, one_vs_rest=mark_one_vs_rest and not alone)
    return displays[0] if alone else displays


def curve_style(display: Any, **style: Any) -> dict[str, Any]:
    """Line style for ``display.from_predictions``: ``curve_kwargs`` since scikit-learn 1.7,
    plain keyword arguments before."""
    import inspect

    if "curve_kwargs" in inspect.signature(display.from_predictions).parameters:
        return {"curve_kwargs": style}
    return style
