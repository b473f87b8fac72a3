"""Figures of the explanations: importance bars and one patient's waterfall."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skmed._columns import require_columns
from skmed.explain._patient import PatientExplanation, format_value
from skmed.plotting._common import new_axes, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_importance(
    importance: pd.DataFrame, *, ax: Any = None, top: int | None = 20, scoring: str | None = None
) -> Figure:
    """Horizontal bars of :func:`column_importance` with their intervals, largest on top.

    Parameters
    ----------
    importance : DataFrame
        Output of :func:`column_importance`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    top : int or None, default=20
        Show the ``top`` most important columns (None: all).
    scoring : str, default=None
        With several metrics, which one to show (default: the first).

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_matplotlib()
    frame = importance
    require_columns(
        ["column", "importance_mean", "ci_lower", "ci_upper"],
        frame.columns,
        what="column_importance() output column(s)",
        where="importance",
    )
    if "scoring" in frame.columns:
        chosen = frame["scoring"].iloc[0] if scoring is None else scoring
        frame = frame[frame["scoring"] == chosen]
    frame = frame.sort_values("importance_mean", ascending=False, kind="stable")
    if top is not None:
        frame = frame.head(int(top))
    frame = frame.iloc[::-1]
    ax = new_axes(ax, figsize=(6.0, 0.35 * len(frame) + 1.2))
    mean = frame["importance_mean"].to_numpy()
    err = np.vstack([mean - frame["ci_lower"].to_numpy(), frame["ci_upper"].to_numpy() - mean])
    pos = np.arange(len(frame))
    ax.barh(pos, mean, xerr=np.clip(err, 0, None), color="#4878a8", ecolor="#222", capsize=3)
    ax.set_yticks(pos, [str(c) for c in frame["column"]])
    ax.axvline(0.0, color="grey", linewidth=0.8)
    level = importance.attrs.get("confidence_level", 0.95)
    metric = importance.attrs.get("scoring") or "score"
    ax.set_xlabel(f"drop in {metric} when the column is shuffled ({level:.0%} interval)")
    ax.set_title("Permutation importance of input columns")
    return ax.figure


def plot_waterfall(explanation: PatientExplanation, *, ax: Any = None, top: int = 10) -> Figure:
    """Waterfall from the baseline score to the patient's score, one step per column.

    The ``top`` columns with the largest attributions get their own step (labelled with the
    patient's value); the rest are one "other columns" step. Red steps raise the probability,
    blue steps lower it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_matplotlib()
    frame = explanation.to_frame()
    head, rest = frame.iloc[: int(top)], frame.iloc[int(top) :]
    labels = [f"{c} = {format_value(v)}" for c, v in head["value"].items()]
    steps = list(head["attribution"].to_numpy(dtype=float))
    if len(rest):
        labels.append(f"{len(rest)} other column(s)")
        steps.append(float(rest["attribution"].sum()))
    ax = new_axes(ax, figsize=(6.5, 0.4 * len(steps) + 1.6))
    start = explanation.baseline_score
    pos = np.arange(len(steps))[::-1]
    for p, s in zip(pos, steps):
        ax.barh(p, s, left=start, color="#c0392b" if s > 0 else "#2e6da4")
        ax.text(
            start + s, p, f" {s:+.3f}", va="center", ha="left" if s >= 0 else "right", fontsize=8
        )
        start += s
    ax.set_yticks(pos, labels)
    ax.axvline(
        explanation.baseline_score,
        color="grey",
        linestyle=":",
        linewidth=1,
        label=f"baseline {explanation.baseline_score:.2f}",
    )
    ax.axvline(
        explanation.score, color="black", linewidth=1, label=f"patient {explanation.score:.2f}"
    )
    ax.set_xlabel(f"P({explanation.class_})")
    ax.set_title("Why this score: contributions of the input columns")
    ax.legend(loc="best", fontsize=8)
    return ax.figure
