"""Evaluation plots. matplotlib is optional: ``pip install 'skmed[plot]'``.

matplotlib is imported inside each function, never when this module is imported. Functions
return scikit-learn Display objects where scikit-learn has one (ROC, precision-recall,
calibration, confusion matrix) and a matplotlib ``Figure`` otherwise (training curves,
decision curve). With ``ax=None`` a new figure is made with ``pyplot.subplots``, like
scikit-learn; pass ``ax`` to draw into your own figure.

Binary problems plot the positive class. Multiclass problems plot one-vs-rest curves, one per
class, on the same axes, and return a list of Displays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._fitted import best_epoch, training_history
from skmed.metrics import net_benefit, roc_curve_ci
from skmed.metrics._checks import check_inputs, check_threshold

__all__ = [
    "plot_calibration",
    "plot_confusion_matrix",
    "plot_decision_curve",
    "plot_model_comparison",
    "plot_precision_recall",
    "plot_roc",
    "plot_training_history",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_INSTALL_HINT = "pip install 'skmed[plot]'"


def _require_matplotlib() -> Any:
    """Import matplotlib.pyplot, or raise an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"skmed plotting needs matplotlib, which is not installed. Install it with "
            f"`{_INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _axes(ax: Any, figsize: tuple[float, float] = (5.0, 4.5)) -> Any:
    plt = _require_matplotlib()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _curves(y_true: Any, y_proba: Any, classes: Any, pos_label: Any) -> list[tuple[Any, Any, Any]]:
    """(label, y_is_class, probability) for the positive class or for each class (OvR)."""
    checked = check_inputs(y_true, y_proba, classes, pos_label)
    ks = [checked.pos] if checked.binary else list(range(checked.classes.size))
    return [(checked.classes[k], checked.y_idx == k, checked.proba[:, k]) for k in ks]


def _one_or_list(displays: list) -> Any:
    return displays[0] if len(displays) == 1 else displays


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

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        ``predict_proba`` output (or the positive-class probability of a binary problem).
    classes : array-like, default=None
        Label of each column of ``y_proba``; default the sorted labels of ``y_true``.
    pos_label : label, default=None
        Binary only: the positive class (default ``classes[1]``).
    n_bootstraps : int, default=500
        Stratified bootstrap replicates for the band; 0 draws no band.
    confidence_level : float, default=0.95
        Coverage of the band.
    random_state : int, Generator or None, default=0
        Seed of the bootstrap.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when ``None``.
    name : str, default=None
        Legend name of the model (binary).

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
    _require_matplotlib()
    from sklearn.metrics import RocCurveDisplay

    ax = _axes(ax)
    curves = _curves(y_true, y_proba, classes, pos_label)
    displays = []
    for i, (label, y_k, p_k) in enumerate(curves):
        color = f"C{i}"
        legend = name if (name and len(curves) == 1) else f"{label}"
        disp = RocCurveDisplay.from_predictions(
            y_k,
            p_k,
            pos_label=True,
            name=legend,
            ax=ax,
            **_curve_style(RocCurveDisplay, color=color),
            plot_chance_level=(i == len(curves) - 1),
        )
        band = None
        if n_bootstraps:
            band = roc_curve_ci(
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
                label=f"{confidence_level:.0%} CI" if len(curves) == 1 else None,
            )
        disp.ci_band_ = band
        displays.append(disp)
    ax.set_xlabel("1 - specificity (false-positive rate)")
    ax.set_ylabel("Sensitivity (true-positive rate)")
    ax.set_title("ROC curve" + (" (one-vs-rest)" if len(curves) > 1 else ""))
    ax.legend(loc="lower right", fontsize="small")
    return _one_or_list(displays)


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

    Parameters
    ----------
    y_true, y_proba, classes, pos_label, ax, name
        As in :func:`plot_roc`.

    Returns
    -------
    display : sklearn.metrics.PrecisionRecallDisplay or list of them
        One per plotted class.

    Examples
    --------
    >>> from skmed.plotting import plot_precision_recall
    >>> disp = plot_precision_recall([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4])  # doctest: +SKIP
    """
    _require_matplotlib()
    from sklearn.metrics import PrecisionRecallDisplay

    ax = _axes(ax)
    curves = _curves(y_true, y_proba, classes, pos_label)
    displays = []
    for i, (label, y_k, p_k) in enumerate(curves):
        legend = name if (name and len(curves) == 1) else f"{label}"
        displays.append(
            PrecisionRecallDisplay.from_predictions(
                y_k,
                p_k,
                pos_label=True,
                name=legend,
                ax=ax,
                **_curve_style(PrecisionRecallDisplay, color=f"C{i}"),
                plot_chance_level=True,
                chance_level_kw={"color": f"C{i}", "linestyle": ":"},
            )
        )
    ax.set_xlabel("Sensitivity (recall)")
    ax.set_ylabel("Positive predictive value (precision)")
    ax.set_title("Precision-recall curve" + (" (one-vs-rest)" if len(curves) > 1 else ""))
    ax.legend(loc="lower left", fontsize="small")
    return _one_or_list(displays)


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

    Parameters
    ----------
    y_true, y_proba, classes, pos_label, ax, name
        As in :func:`plot_roc`.
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        Equal-count or equal-width bins.

    Returns
    -------
    display : sklearn.calibration.CalibrationDisplay or list of them
        One per plotted class.

    Examples
    --------
    >>> from skmed.plotting import plot_calibration
    >>> disp = plot_calibration([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4], n_bins=2)  # doctest: +SKIP
    """
    _require_matplotlib()
    from sklearn.calibration import CalibrationDisplay

    from skmed.calibration import assess_calibration

    ax = _axes(ax)
    curves = _curves(y_true, y_proba, classes, pos_label)
    displays = []
    lines = []
    for i, (label, y_k, p_k) in enumerate(curves):
        legend = name if (name and len(curves) == 1) else f"{label}"
        displays.append(
            CalibrationDisplay.from_predictions(
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
        )
        a = assess_calibration(y_k, p_k, pos_label=True, n_bins=n_bins, strategy=strategy)
        displays[-1].line_.set_linestyle("none")  # binned points; the smooth curve is the line
        flex = a.flexible
        if flex is not None and np.isfinite(flex.ici):
            ax.plot(flex.grid, flex.observed, color=f"C{i}", linewidth=1.6)
            if len(curves) <= 2:
                ax.fill_between(flex.grid, flex.lower, flex.upper, color=f"C{i}", alpha=0.18)
        prefix = f"{label}: " if len(curves) > 1 else ""
        ici = f", ICI {flex.ici:.3f}" if flex is not None and np.isfinite(flex.ici) else ""
        lines.append(
            f"{prefix}intercept {a.intercept:.2f}, slope {a.slope:.2f}, Brier {a.brier:.3f}{ici}"
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
    ax.set_xlabel("Mean predicted probability")
    ax.set_ylabel("Observed proportion")
    ax.set_title("Calibration")
    ax.legend(loc="lower right", fontsize="small")
    return _one_or_list(displays)


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

    Parameters
    ----------
    y_true, y_proba, classes, pos_label, ax
        As in :func:`plot_roc`.
    threshold : float, default=None
        Binary only: predict positive when the probability is ``>= threshold`` (default 0.5).
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay

    Examples
    --------
    >>> from skmed.plotting import plot_confusion_matrix
    >>> y, p = [0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4]
    >>> disp = plot_confusion_matrix(y, p, threshold=0.5)  # doctest: +SKIP
    """
    _require_matplotlib()
    from sklearn.metrics import ConfusionMatrixDisplay

    checked = check_inputs(y_true, y_proba, classes, pos_label)
    thr = check_threshold(threshold, checked)
    if checked.binary:
        pos = checked.pos
        assert pos is not None  # _check_inputs sets it for every binary problem
        pred_idx = np.where(checked.proba[:, pos] >= thr, pos, 1 - pos)
    else:
        pred_idx = np.argmax(checked.proba, axis=1)
    ax = _axes(ax)
    labels = [str(c) for c in checked.classes]
    disp = ConfusionMatrixDisplay.from_predictions(
        checked.y_idx,
        pred_idx,
        labels=list(range(checked.classes.size)),
        display_labels=labels,
        normalize=normalize,
        ax=ax,
        colorbar=False,
        cmap="Blues",
        xticks_rotation=35 if max(map(len, labels)) > 6 else "horizontal",
    )
    if max(map(len, labels)) > 6:  # long class names: slanted, anchored at their cell
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    title = "Confusion matrix"
    if checked.binary:
        title += f" at threshold {thr:.3g}"
    ax.set_title(title)
    return disp


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

    Returns
    -------
    figure : matplotlib.figure.Figure

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
    ax = _axes(ax)
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
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax.set_title("Training curves")
    ax.legend(fontsize="small")
    return ax.figure


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
    _require_matplotlib()
    data = comparison.to_dict() if hasattr(comparison, "to_dict") else comparison
    ax = _axes(ax)
    rows = data["differences"]
    names = {"roc_auc": "ROC AUC", "brier": "Brier score", "net_benefit": "Net benefit"}
    several = len(data["models"]) > 2
    labels = [
        names.get(r["metric"], r["metric"]) + (f"\n{r['model']}" if several else "") for r in rows
    ]
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        lower_better = r["metric"] == "brier"
        good = r["better"] is True
        color = "C2" if good else "C3" if r["better"] is False else "0.4"
        ax.errorbar(
            r["difference"],
            yi,
            xerr=[[r["difference"] - r["ci_lower"]], [r["ci_upper"] - r["difference"]]],
            fmt="o",
            color=color,
            capsize=4,
        )
        hint = " (lower is better)" if lower_better else ""
        ax.annotate(
            f"{r['difference']:+.3f}{hint}",
            (r["difference"], yi),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize="small",
        )
    ax.axvline(0.0, color="0.3", linewidth=1, linestyle=":")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    compared = data["models"][1] if not several else "each model"
    ax.set_xlabel(f"{compared} minus {data['reference']}")
    ax.set_title("Paired differences (95% CI)")
    return ax


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

    Parameters
    ----------
    y_true, y_proba, classes, pos_label, ax
        As in :func:`plot_roc` (binary problems only).
    thresholds : array-like, default=None
        Threshold probabilities; default 0.01 to 0.99 (see :func:`skmed.metrics.net_benefit`).
    name : str, default="model"
        Legend name of the model.

    Returns
    -------
    figure : matplotlib.figure.Figure

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
    y = checked.y_idx == checked.pos
    curve = net_benefit(y, checked.proba[:, checked.pos], thresholds, pos_label=True)
    ax = _axes(ax)
    ax.plot(curve["threshold"], curve["model"], label=name, color="C0")
    ax.plot(curve["threshold"], curve["treat_all"], label="treat all", color="C1", linestyle="--")
    ax.plot(curve["threshold"], curve["treat_none"], label="treat none", color="k", linestyle=":")
    top = max(float(curve["model"].max()), float(curve["treat_all"].max()), 0.01)
    ax.set_ylim(-0.1 * top, 1.1 * top)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.set_title("Decision curve")
    ax.legend(fontsize="small")
    return ax.figure


def _curve_style(display: Any, **style: Any) -> dict[str, Any]:
    """Line style for ``display.from_predictions``: ``curve_kwargs`` since scikit-learn 1.7,
    plain keyword arguments before."""
    import inspect

    if "curve_kwargs" in inspect.signature(display.from_predictions).parameters:
        return {"curve_kwargs": style}
    return style
