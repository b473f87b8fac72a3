"""The report's first screen and its frame: the page, summary, model card, data, sample size,
figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from skmed._card import FIELD_TITLES, card_columns
from skmed.report import _details
from skmed.report._format import (
    FIGURE_CAPTIONS,
    KEY_FIGURES,
    METRIC_LABELS,
    NOT_PROVIDED,
    SECTIONS,
    fmt,
    fmt_ci,
    headline_key,
    metric_lookup,
    section,
)

if TYPE_CHECKING:
    from skmed.report._report import ClinicalReport


def summary(report: ClinicalReport) -> str:
    ds = report.data_summary
    look = metric_lookup(report)
    key = headline_key(report)
    use = report.model_card.intended_use or NOT_PROVIDED
    out = [f'<p class="lead"><strong>Intended use:</strong> {escape(use)}</p>']
    cards = []
    names = ("roc_auc", "sensitivity", "specificity", "ppv", "calibration_slope")
    for m in names if key != "macro" else ("roc_auc", "sensitivity", "calibration_slope"):
        if (key, m) in look:
            est, lo, hi = look[(key, m)]
            label = METRIC_LABELS[m] + (" (macro)" if key == "macro" else "")
            cards.append(
                f'<div class="card"><div class="label">{escape(label)}</div>'
                f'<div class="value">{fmt(est)}</div>'
                f'<div class="ci">{fmt(lo)}&ndash;{fmt(hi)}</div></div>'
            )
    ici = _ici(report)
    if ici is not None:
        cards.append(
            '<div class="card"><div class="label">ICI (calibration error)</div>'
            f'<div class="value">{fmt(ici)}</div><div class="ci">0 is ideal</div></div>'
        )
    out.append(f'<div class="cards">{"".join(cards)}</div>')
    conf = report.settings.get("confidence_level", 0.95)
    out.append(
        f'<p class="meta">{ds["n_samples"]} patients ('
        + ", ".join(f"{escape(str(k))} {v}" for k, v in ds["class_counts"].items())
        + f"); decision: {escape(_details.rule_sentence(report.operating_point))}; {conf:.0%} "
        "intervals from "
        f"{report.settings.get('n_bootstraps')} stratified bootstrap replicates.</p>"
    )
    if report.validation:
        out.append(f"<p>{escape(report.validation['sentence'])}</p>")
    if report.comparison and report.comparison.get("verdict"):
        out.append(f'<p class="verdict">{escape(report.comparison["verdict"])}</p>')
    if report.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        out.append(
            f'<details class="notes"><summary>Notes ({len(report.notes)})</summary>'
            f"<ul>{items}</ul></details>"
        )
    keys = [k for k in KEY_FIGURES if k in report.figures]
    if keys:
        out.append(
            '<div class="key-figures">'
            + "".join(figure_html(report, k) for k in keys[:4])
            + "</div>"
        )
    return "".join(out)


def _ici(report: ClinicalReport) -> float | None:
    values = [
        float((c.get("flexible") or {})["ici"])
        for c in report.calibration.values()
        if (c.get("flexible") or {}).get("ici") is not None
    ]
    return float(np.mean(values)) if values else None


def figure_html(report: ClinicalReport, name: str) -> str:
    caption = report.figure_captions.get(name) or FIGURE_CAPTIONS.get(name, name)
    if name.startswith("waterfall_"):
        caption = f"Patient {int(name.split('_')[1]) + 1}: contributions to the score"
    return figure_tag(name, caption, report.figures[name])


def figure_tag(name: str, caption: str, png: str) -> str:
    """One embedded figure (base64 PNG) with its caption."""
    return (
        f'<figure id="fig-{escape(name)}"><img alt="{escape(caption)}" '
        f'src="data:image/png;base64,{png}"><figcaption>{escape(caption)}</figcaption></figure>'
    )


def model_card(report: ClinicalReport) -> str:
    return card_table(report.model_card, performance_sentence(report), report.model_info)


def card_table(model_card: Any, performance: str, model_info: dict[str, Any] | None) -> str:
    """The model card as a table (TRIPOD+AI headings; missing fields marked), with the
    evaluation's performance sentence and the model's type."""
    card = asdict(model_card)
    extra, columns = card.pop("extra"), card.pop("columns", None) or {}
    rows = []
    for k, label in FIELD_TITLES.items():
        value = card.get(k) or ""
        cls = "" if value else ' class="missing"'
        rows.append(f"<tr><th>{label}</th><td{cls}>{escape(value or NOT_PROVIDED)}</td></tr>")
    for k, v in extra.items():
        rows.append(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>")
    rows.append(f"<tr><th>Performance (this evaluation)</th><td>{escape(performance)}</td></tr>")
    if model_info:
        rows.append(
            f"<tr><th>Model object</th><td><code>{escape(model_info.get('type', ''))}"
            "</code></td></tr>"
        )
    return (
        '<p class="meta">Structure after the TRIPOD+AI reporting guideline; fields not '
        "provided by the developer are marked.</p>"
        f"<table class='card'>{''.join(rows)}</table>" + predictor_table(columns)
    )


def predictor_table(columns: dict[str, dict[str, Any]]) -> str:
    """The card's notes on the predictors: label, unit and plausible range per column."""
    notes = card_columns({"columns": columns})
    if not notes:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(note.label)}</td>"
        f"<td>{escape(note.unit)}</td><td>{escape(note.range_text())}</td></tr>"
        for name, note in notes.items()
    )
    return (
        "<h3>Predictors: labels, units and plausible ranges</h3><table class='predictors'>"
        f"<tr><th>Column</th><th>Label</th><th>Unit</th><th>Plausible range</th></tr>{rows}"
        "</table>"
    )


def performance_sentence(report: ClinicalReport) -> str:
    """One sentence of the headline metrics with their intervals (model card, CLI)."""
    look = metric_lookup(report)
    key = headline_key(report)
    parts = []
    for m in ("roc_auc", "sensitivity", "specificity", "ppv", "npv", "calibration_slope"):
        if (key, m) in look:
            parts.append(f"{METRIC_LABELS[m]} {fmt_ci(*look[(key, m)])}")
    return f"On {report.data_summary['n_samples']} evaluated patients: " + "; ".join(parts) + "."


def data(report: ClinicalReport) -> str:
    ds = report.data_summary
    rows = [f"<tr><th>Patients</th><td>{ds['n_samples']}</td></tr>"]
    for k, v in ds["class_counts"].items():
        rows.append(
            f"<tr><th>Class {escape(str(k))}</th>"
            f"<td>{v} ({ds['class_prevalence'][k]:.1%})</td></tr>"
        )
    if "n_features" in ds:
        rows.append(f"<tr><th>Features</th><td>{ds['n_features']}</td></tr>")
    out = f"<table>{''.join(rows)}</table>"
    missing = ds.get("missing_fraction") or {}
    if missing:
        cells = "".join(
            f"<tr><td>{escape(str(k))}</td><td>{v:.1%}</td></tr>" for k, v in missing.items()
        )
        out += (
            f"<h3>Missing values</h3><table><tr><th>Column</th><th>Missing</th></tr>{cells}</table>"
        )
    elif "n_features" in ds:
        out += "<p>No missing values in the features.</p>"
    return out


@section("sample_size", "<p>Not assessed (skmed train assesses the development data).</p>")
def sample_size(report: ClinicalReport, check: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{s['prevalence']:.1%}</td><td>{s['r2_cs']:.3f} "
        f"<span class='meta'>({escape(s['r2_source'])})</span></td>"
        + "".join(
            f"<td>{s['criteria'][k]['n']}</td>" for k in ("shrinkage", "optimism", "overall_risk")
        )
        + f"<td><strong>{s['n']}</strong></td></tr>"
        for label, s in check["per_class"].items()
    )
    cls = "" if check["enough"] else ' class="notes"'
    return (
        f"<p{cls}>{escape(check['sentence'])}</p>"
        "<table><tr><th>Class (one-vs-rest)</th><th>Prevalence</th>"
        "<th>Anticipated Cox-Snell R&sup2;</th><th>Shrinkage &ge; 0.9</th>"
        "<th>Optimism in R&sup2; &le; 0.05</th><th>Overall risk &plusmn; 0.05</th>"
        f"<th>Minimum</th></tr>{rows}</table>"
        "<p class='meta'>Riley et al., BMJ 2020;368:m441 (as the R package pmsampsize). "
        "Candidate parameters are the pipeline's encoded features; the network has more "
        "weights than that, so these are lower bounds.</p>"
    )


@section("figures", "<p>No figures (matplotlib is not installed: pip install 'skmed[plot]').</p>")
def figures(report: ClinicalReport, figures: dict[str, str]) -> str:
    shown = set([k for k in KEY_FIGURES if k in figures][:4])
    rest = [name for name in figures if name not in shown]
    if not rest:
        return "<p>All figures are in the summary.</p>"
    return '<div class="figures">' + "".join(figure_html(report, n) for n in rest) + "</div>"


def render_html(report: ClinicalReport) -> str:
    """The whole page: the first screen, a table of contents, then the detail sections."""
    renderers = [
        summary,
        model_card,
        data,
        sample_size,
        _details.drift,
        _details.operating_point,
        _details.metrics,
        _details.calibration,
        _details.subgroups,
        _details.fairness,
        _details.comparison,
        _details.recalibration,
        _details.explanations,
        figures,
    ]
    return page_html(report, SECTIONS, renderers)


def page_html(
    report: Any, sections: dict[str, str], renderers: Sequence[Callable[[Any], str]]
) -> str:
    """A report's page: title, the ``summary`` section, a table of contents of the others,
    then each section of ``sections`` (id -> heading) holding what its renderer (in the same
    order) makes of ``report``."""
    body = {sid: render(report) for sid, render in zip(sections, renderers, strict=True)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="meta">Generated {escape(report.created)} by skmed '
        f"{escape(str(report.settings.get('skmed_version', '')))}.</p>",
    ]
    toc = "".join(
        f'<li><a href="#{sid}">{escape(heading)}</a></li>'
        for sid, heading in sections.items()
        if sid != "summary"
    )
    for sid, heading in sections.items():
        parts.append(f'<section id="{sid}"><h2>{escape(heading)}</h2>{body[sid]}</section>')
        if sid == "summary":
            parts.append(f'<nav id="contents"><h2>Details</h2><ol>{toc}</ol></nav>')
    parts.append("</body></html>")
    return "\n".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;
margin:1.2em auto;padding:0 1em;color:#222;line-height:1.4;overflow-wrap:anywhere}
h1{border-bottom:2px solid #345;padding-bottom:.2em;margin:.2em 0}h2{color:#345;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;max-width:100%;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.missing{color:#a33;font-style:italic}tr.small td{color:#777}
td.flag{color:#a33;font-weight:600}.meta{color:#666;font-size:.9em}
.notes{background:#fff7e0;border:1px solid #e5c100;padding:.4em .8em;margin:.5em 0}
.lead{font-size:1.05em;margin:.4em 0}.verdict{font-weight:600;color:#234}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}
.card{border:1px solid #cdd5de;border-radius:6px;padding:.35em .8em;min-width:9em;
background:#f8fafc}
.card .label{font-size:.8em;color:#456}.card .value{font-size:1.5em;font-weight:600}
.card .ci{font-size:.8em;color:#666}
.key-figures{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:.5em}
.key-figures figure,.figures figure{margin:0}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.8em}
figure img{width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}
nav#contents ol{columns:3;margin:.3em 0}details{margin:.5em 0}
details>summary{cursor:pointer;color:#345;font-weight:600}
@media (max-width:900px){.key-figures{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media print{body{max-width:none;margin:0;font-size:10pt}nav#contents{display:none}
details::details-content{content-visibility:visible;display:block;height:auto}
section{break-inside:auto}figure,table,.card{break-inside:avoid}h2{break-after:avoid}
.key-figures{grid-template-columns:repeat(2,minmax(0,1fr))}}
"""
