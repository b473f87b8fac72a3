"""The survival report's figures and HTML page: the classifier report's style, figure helper
and model card headings, with the sections of a survival evaluation."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._fitted import trained_classifier
from skmed._step_function import values_at
from skmed.plotting._common import INSTALL_HINT
from skmed.report import _details
from skmed.report._format import (
    FIGURE_CAPTIONS,
    NOT_PROVIDED,
    OPENING_SECTIONS,
    figure_png,
    fmt,
    fmt_ci,
)
from skmed.report._html import card_table, figure_tag, page_html

if TYPE_CHECKING:
    from skmed.report._survival import SurvivalReport

#: HTML ``id`` and heading of every section of the survival report, in order.
SURVIVAL_SECTIONS: dict[str, str] = {
    **OPENING_SECTIONS,
    "drift": "Data drift",
    "metrics": "Performance metrics",
    "calibration": "Calibration at each horizon",
    "figures": "Figures",
}

#: Example patients whose predicted curves ``example_patients=True`` shows.
N_EXAMPLE_PATIENTS = 3

#: Figures shown on the first screen, by name prefix, in order (the first three present).
KEY_FIGURES = ("time_dependent_auc", "calibration@", "survival_curves")


# ---------------------------------------------------------------------- figures


def example_curves(
    grid: np.ndarray, survival: np.ndarray, risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Times, curves and labels of the patients of lowest, median and highest risk."""
    order = np.argsort(risk, kind="stable")
    if order.size <= N_EXAMPLE_PATIENTS:
        rows, labels = order, [f"patient {i + 1}" for i in range(order.size)]
    else:
        rows = order[[0, order.size // 2, -1]]
        labels = ["lowest predicted risk", "median predicted risk", "highest predicted risk"]
    t = np.unique(np.r_[0.0, grid])
    return t, values_at(grid, survival[rows], t, 1.0), labels


def draw_figures(
    report: SurvivalReport, model: Any, curves: tuple[np.ndarray, np.ndarray, list[str]] | None
) -> None:
    """Add every figure to ``report`` as base64 PNG, or a note when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401 - figure_png needs no pyplot
    except ImportError:
        report.notes.append(f"Figures skipped: matplotlib is not installed ({INSTALL_HINT}).")
        return
    from skmed.plotting import plot_training_history
    from skmed.plotting._survival import (
        draw_survival_calibration,
        draw_survival_curves,
        draw_time_dependent_auc,
    )

    auc = report.time_dependent_auc
    figs: dict[str, tuple[Any, str]] = {
        "time_dependent_auc": (
            lambda ax: draw_time_dependent_auc(
                ax, np.asarray(auc["times"]), np.asarray(auc["auc"], dtype=float), auc["mean_auc"]
            ),
            "Cumulative/dynamic AUC over time (dashed: its mean)",
        )
    }
    for label, table in report.calibration.items():
        figs[f"calibration@{label}"] = (
            lambda ax, table=table: draw_survival_calibration(ax, table),
            f"Calibration at time {label}: predicted vs Kaplan-Meier survival by risk group",
        )
    if curves is not None:
        figs["survival_curves"] = (
            lambda ax: draw_survival_curves(ax, *curves),
            "Predicted survival curves of example patients (lowest, median, highest risk)",
        )
    trained = trained_classifier(model)
    if trained is not None and trained.history_.get("loss"):
        figs["training"] = (
            lambda ax: plot_training_history(trained, ax=ax),
            FIGURE_CAPTIONS["training"],
        )
    for name, (draw, caption) in figs.items():
        report.figures[name] = figure_png(draw)
        report.figure_captions[name] = caption


# ---------------------------------------------------------------------- HTML


def metric_label(name: str) -> str:
    """Readable name of a row of :func:`~skmed.metrics.survival_metrics`."""
    fixed = {
        "harrell_c": "Harrell's C",
        "uno_c": "Uno's C",
        "integrated_brier": "Integrated Brier score",
    }
    if name.startswith("td_auc@"):
        return f"Time-dependent AUC at {name.partition('@')[2]}"
    return fixed.get(name, name)


def _rows(report: SurvivalReport) -> list[tuple[str, float, float, float]]:
    return [
        (str(name), r["estimate"], r["ci_lower"], r["ci_upper"])
        for name, r in report.metrics.iterrows()
    ]


def performance_sentence(report: SurvivalReport) -> str:
    """One sentence of the metrics with their intervals (model card)."""
    parts = [f"{metric_label(m)} {fmt_ci(est, lo, hi)}" for m, est, lo, hi in _rows(report)]
    n = report.data_summary["test"]["n_samples"]
    return f"On {n} evaluated patients: " + "; ".join(parts) + "."


def figure_html(report: SurvivalReport, name: str) -> str:
    return figure_tag(name, report.figure_captions.get(name, name), report.figures[name])


def _key_figures(report: SurvivalReport) -> list[str]:
    keys = [n for prefix in KEY_FIGURES for n in report.figures if n.startswith(prefix)]
    return keys[:3]


def summary(report: SurvivalReport) -> str:
    use = report.model_card.intended_use or NOT_PROVIDED
    out = [f'<p class="lead"><strong>Intended use:</strong> {escape(use)}</p>']
    cards = "".join(
        f'<div class="card"><div class="label">{escape(metric_label(m))}</div>'
        f'<div class="value">{fmt(est)}</div><div class="ci">{fmt(lo)}&ndash;{fmt(hi)}</div>'
        "</div>"
        for m, est, lo, hi in _rows(report)
    )
    out.append(f'<div class="cards">{cards}</div>')
    test, settings = report.data_summary["test"], report.settings
    horizons = ", ".join(f"{h:g}" for h in settings["horizons"])
    out.append(
        f'<p class="meta">{test["n_samples"]} evaluated patients ({test["n_events"]} events, '
        f"{test['n_censored']} censored); horizons {escape(horizons)}; "
        f"{settings['confidence_level']:.0%} intervals from {settings['n_bootstraps']} bootstrap "
        "replicates resampled within events and within censored patients.</p>"
    )
    if report.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        out.append(
            f'<details class="notes"><summary>Notes ({len(report.notes)})</summary>'
            f"<ul>{items}</ul></details>"
        )
    keys = _key_figures(report)
    if keys:
        figures = "".join(figure_html(report, k) for k in keys)
        out.append(f'<div class="key-figures">{figures}</div>')
    return "".join(out)


def model_card(report: SurvivalReport) -> str:
    return card_table(report.model_card, performance_sentence(report), report.model_info)


def data(report: SurvivalReport) -> str:
    ds = report.data_summary
    # without training outcomes (an exported file at a new site) only the evaluated rows
    columns = [ds["test"]] + ([ds["train"]] if ds["train"] is not None else [])

    def row(label: str, value: Any) -> str:
        return f"<tr><th>{label}</th>{''.join(f'<td>{value(c)}</td>' for c in columns)}</tr>"

    rows = [
        row("Patients", lambda s: s["n_samples"]),
        row("Events", lambda s: f"{s['n_events']} ({s['event_fraction']:.1%})"),
        row("Censored", lambda s: s["n_censored"]),
        row("Median follow-up (observed time)", lambda s: fmt(s["follow_up_median"])),
        row(
            "Follow-up range",
            lambda s: f"{fmt(s['follow_up_min'])}&ndash;{fmt(s['follow_up_max'])}",
        ),
    ]
    external = len(columns) == 1
    heads = "<th>Evaluated</th>" if external else "<th>Evaluation (held out)</th><th>Training</th>"
    out = f"<table><tr><th></th>{heads}</tr>{''.join(rows)}</table>"
    out += f"<p>Features: {ds['n_features']}.</p>"
    weights = "These rows' own outcome" if external else "The training outcome"
    return out + (
        f'<p class="meta">Aggregates only: no patient row is shown. {weights} gives the '
        "censoring weights (IPCW) of Uno's C, the Brier score and the AUC.</p>"
    )


def metrics(report: SurvivalReport) -> str:
    settings = report.settings
    times = settings["times"]
    rows = "".join(
        f"<tr><th>{escape(metric_label(m))}</th><td>{fmt_ci(est, lo, hi)}</td></tr>"
        for m, est, lo, hi in _rows(report)
    )
    return (
        f"<p>Estimate ({settings['confidence_level']:.0%} CI). Harrell's and Uno's C: "
        "concordance of the risk score with the order of events (0.5 is chance); integrated "
        f"Brier score over {len(times)} times from {fmt(times[0])} to {fmt(times[-1])} (0 is "
        "perfect); time-dependent AUC: cumulative cases by the horizon against patients "
        "followed past it.</p>"
        f"<table><tr><th>Metric</th><th>Estimate (CI)</th></tr>{rows}</table>"
    )


def calibration(report: SurvivalReport) -> str:
    out = [
        "<p>Patients in equal-size groups of predicted risk at each horizon (group 1: lowest "
        "risk). Observed: Kaplan-Meier survival of the group at the horizon, with its 95% "
        "interval; a negative difference means the model is too optimistic.</p>"
    ]
    for label, table in report.calibration.items():
        rows = "".join(
            f"<tr><th>{escape(str(r['group']))}</th><td>{int(r['n'])}</td>"
            f"<td>{int(r['n_events'])}</td><td>{fmt(r['predicted'])}</td>"
            f"<td>{fmt_ci(r['observed'], r['ci_lower'], r['ci_upper'])}</td>"
            f"<td>{fmt(r['difference'])}</td></tr>"
            for r in table.to_dict(orient="records")
        )
        out.append(
            f"<h3>At time {escape(label)}</h3><table><tr><th>Risk group</th><th>n</th>"
            "<th>Events by the horizon</th><th>Mean predicted survival</th>"
            f"<th>Observed survival (95% CI)</th><th>Difference</th></tr>{rows}</table>"
        )
    return "".join(out)


def figures(report: SurvivalReport) -> str:
    patients = (
        "<p class='meta'>Survival curves of example patients are patient-level predictions "
        "and are not included (pass <code>example_patients=True</code>).</p>"
        if not report.settings.get("example_patients")
        else ""
    )
    if not report.figures:
        skipped = [n for n in report.notes if n.startswith("Figures skipped")]
        return f"<p>{escape(skipped[0] if skipped else 'No figures (plots=False).')}</p>"
    shown = set(_key_figures(report))
    rest = [name for name in report.figures if name not in shown]
    if not rest:
        return "<p>All figures are in the summary.</p>" + patients
    return (
        '<div class="figures">'
        + "".join(figure_html(report, n) for n in rest)
        + "</div>"
        + patients
    )


def render_survival_html(report: SurvivalReport) -> str:
    """The whole page: the first screen, a table of contents, then the detail sections."""
    # the drift section is the classifier report's: it reads only ``report.drift``
    renderers: list[Callable[[Any], str]] = [summary, model_card, data, _details.drift]
    renderers += [metrics, calibration, figures]
    return page_html(report, SURVIVAL_SECTIONS, renderers)
