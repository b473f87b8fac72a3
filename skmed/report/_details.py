"""The report's detail sections, below the table of contents."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from skmed.metrics._comparison import interval_decimals
from skmed.report._format import (
    FLAG,
    METRIC_LABELS,
    SUBGROUP_METRICS,
    fmt,
    fmt_ci,
    metric_lookup,
    section,
)

if TYPE_CHECKING:
    import pandas as pd

    from skmed.report._report import ClinicalReport


@section("drift", "<p>Not requested.</p>")
def drift(report: ClinicalReport, drift: dict[str, Any]) -> str:
    if drift.get("note"):
        return f"<p>{escape(drift['note'])}</p>"
    rows = []
    for c in drift["columns"]:
        missing = (
            f"{c['missing_reference']:.0%} &rarr; {c['missing_new']:.0%}"
            if c["missing_reference"] is not None
            else ""
        )
        smd = f"{c['smd']:+.2f}" if c["smd"] is not None else ""
        flags = escape("; ".join(c["flags"])) if c["flags"] else "&mdash;"
        rows.append(
            f"<tr><td>{escape(c['column'])}</td><td>{missing}</td><td>{smd}</td><td>{flags}</td></tr>"
        )
    flagged = drift["flagged"]
    summary = (
        f"<p>{len(flagged)} of {len(rows)} columns flagged against the training summary "
        "stored in the model (thresholds: skmed.drift).</p>"
    )
    return (
        summary + f"<details><summary>Every column ({len(rows)})</summary>"
        "<table><tr><th>Column</th><th>Missing (training &rarr; here)</th>"
        f"<th>SMD</th><th>Flags</th></tr>{''.join(rows)}</table></details>" + _outcome(report)
    )


def _outcome(report: ClinicalReport) -> str:
    drift = report.drift or {}
    if drift.get("outcome_note"):
        return f"<p>{escape(drift['outcome_note'])}</p>"
    if not drift.get("outcome"):
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(o['class']))}</td><td>{o['share_reference']:.1%}</td>"
        f"<td>{o['share_new']:.1%}</td>"
        f"<td>{'flagged' if o['flagged'] else '&mdash;'}</td></tr>"
        for o in drift["outcome"]
    )
    return (
        "<h3>Outcome rate</h3><p>Each class's share here against the training prevalence "
        "stored in the model; a changed rate shifts every risk (recalibration in the large "
        "corrects it).</p><table><tr><th>Class</th><th>Training</th><th>Here</th>"
        f"<th>Flag</th></tr>{rows}</table>"
    )


def _difference(d: dict[str, Any]) -> str:
    """A paired difference and its interval, to as many decimals as the interval needs."""
    digits = interval_decimals(d["ci_lower"], d["ci_upper"])
    if d["ci_lower"] is None or d["ci_upper"] is None:
        return fmt(d["difference"], digits)
    return (
        f"{fmt(d['difference'], digits)} ({fmt(d['ci_lower'], digits)}–"
        f"{fmt(d['ci_upper'], digits)})"
    )


@section(
    "comparison",
    "<p>One model evaluated (compare several on the same patients with "
    "<code>skmed evaluate a.onnx b.onnx data.csv</code>).</p>",
)
def comparison(report: ClinicalReport, c: dict[str, Any]) -> str:
    metrics = list(dict.fromkeys(r["metric"] for r in c["metrics"]))
    look = {(r["model"], r["metric"]): r for r in c["metrics"]}
    head = "".join(f"<th>{METRIC_LABELS.get(m, m)}</th>" for m in metrics)
    keys = ("estimate", "ci_lower", "ci_upper")
    rows = "".join(
        f"<tr><th>{escape(name)}</th>"
        + "".join(f"<td>{fmt_ci(*(look[(name, m)][k] for k in keys))}</td>" for m in metrics)
        + "</tr>"
        for name in c["models"]
    )
    diffs = "".join(
        f"<tr><th>{escape(d['model'])}</th><td>{METRIC_LABELS.get(d['metric'], d['metric'])}</td>"
        f"<td>{_difference(d)}</td>"
        f"<td>{'' if d['better'] is None else ('better' if d['better'] else 'worse')}</td></tr>"
        for d in c["differences"]
    )
    settings = c["settings"]
    threshold = (
        f" Net benefit at the threshold probability {settings['threshold']:.3g} (the "
        "reference's operating threshold)."
        if settings.get("threshold") is not None
        else " Several classes: macro (one-vs-rest) averages."
    )
    sentences = "".join(f"<li>{escape(t)}</li>" for t in c["sentences"])
    verdict = f"<p><strong>{escape(c['verdict'])}</strong></p>" if c.get("verdict") else ""
    return (
        f"{verdict}<p>Reference: <strong>{escape(c['reference'])}</strong>. Every model is "
        f"scored on the same {settings['n_samples']} patients and the same "
        f"{settings['n_bootstraps']} bootstrap replicates, so a difference's interval is "
        f"paired.{threshold}</p>"
        f"<ul>{sentences}</ul>"
        f"<table><tr><th>Model</th>{head}</tr>{rows}</table>"
        "<h3>Differences from the reference</h3><table><tr><th>Model</th><th>Metric</th>"
        f"<th>Difference (95% CI)</th><th>Verdict</th></tr>{diffs}</table>"
    )


@section("recalibration", "<p>The model's risks were not recalibrated.</p>")
def recalibration(report: ClinicalReport, r: dict[str, Any]) -> str:
    record = r.get("record") or {}
    rows = [
        f"<tr><th>Method</th><td>{escape(str(record.get('method')))}</td></tr>",
        f"<tr><th>Fitted on</th><td>{record.get('n_rows')} rows, classes "
        f"{escape(json.dumps(record.get('class_counts')))}, "
        f"{escape(str(record.get('date')))}</td></tr>",
        f"<tr><th>Parent file (SHA-256)</th><td><code>{escape(str(record.get('parent_sha256')))}"
        "</code></td></tr>",
    ]
    if record.get("intercept") is not None:
        rows.append(
            f"<tr><th>Update</th><td>logit p' = {record['intercept']:+.3f} + "
            f"{record['slope']:.3f} &times; logit p</td></tr>"
        )
    out = f"<table>{''.join(rows)}</table>"
    if r.get("before") and r.get("after"):
        cells = "".join(
            f"<tr><th>{escape(label)}</th><td>{escape(str(cls))}</td>"
            f"<td>{fmt(values['intercept'])}</td><td>{fmt(values['slope'])}</td>"
            f"<td>{fmt(values['brier'])}</td></tr>"
            for k, label in (("before", "Before"), ("after", "After"))
            for cls, values in r[k].items()
        )
        out += (
            "<p>Calibration on the rows the update was fitted on (apparent: judge it on "
            "other rows of the site).</p><table><tr><th></th><th>Class</th><th>Intercept</th>"
            f"<th>Slope</th><th>Brier</th></tr>{cells}</table>"
        )
    return out


def rule_sentence(op: dict[str, Any]) -> str:
    """The decision rule as one sentence (reports written before the rule was recorded: its
    source)."""
    return str(op.get("description") or op.get("source", ""))


def operating_point(report: ClinicalReport) -> str:
    op = report.operating_point
    rows = [f"<tr><th>Rule</th><td>{escape(rule_sentence(op))}</td></tr>"]
    if op.get("source"):
        rows.append(f"<tr><th>Chosen by</th><td>{escape(op['source'])}</td></tr>")
    if op.get("threshold") is not None:
        rows.insert(0, f"<tr><th>Threshold</th><td>{op['threshold']:.4g}</td></tr>")
        rows.append(f"<tr><th>Positive class</th><td>{escape(str(op['pos_label']))}</td></tr>")
    for m, v in op.get("metrics", {}).items():
        rows.append(
            f"<tr><th>{METRIC_LABELS.get(m, m)}</th>"
            f"<td>{fmt_ci(v['estimate'], v['ci_lower'], v['ci_upper'])}</td></tr>"
        )
    if op.get("confusion"):
        c = op["confusion"]
        rows.append(
            "<tr><th>Counts</th><td>"
            f"TP {c['tp']}, FP {c['fp']}, FN {c['fn']}, TN {c['tn']}</td></tr>"
        )
    return f"<table>{''.join(rows)}</table>"


def metrics(report: ClinicalReport) -> str:
    classes = list(dict.fromkeys(str(c) for c in report.metrics["class"]))
    look = metric_lookup(report)
    head = "".join(f"<th>{escape(c)}</th>" for c in classes)
    rows = []
    for m in dict.fromkeys(report.metrics["metric"]):
        cells = "".join(f"<td>{fmt_ci(*look[(c, m)])}</td>" for c in classes)
        rows.append(f"<tr><th>{METRIC_LABELS.get(m, m)}</th>{cells}</tr>")
    note = (
        "Binary: metrics of the positive class at the operating threshold."
        if len(classes) == 1
        else "Multiclass: one-vs-rest per class, predictions by the model's rule ("
        + escape(report.operating_point.get("description", "the most probable class"))
        + "); macro is the per-replicate mean over classes."
    )
    return (
        f"<p>{note} Estimate (95% CI unless stated in the summary).</p>"
        f"<table><tr><th>Metric</th>{head}</tr>{''.join(rows)}</table>"
    )


def calibration(report: ClinicalReport) -> str:
    out = []
    for label, cal in report.calibration.items():
        verdict = "; ".join(cal["warnings"]) if cal["warnings"] else "No calibration problem found."
        flex = cal.get("flexible") or {}
        smooth = (
            f", ICI {fmt(flex['ici'])}, E50 {fmt(flex['e50'])}, E90 {fmt(flex['e90'])}"
            if flex.get("ici") is not None
            else ""
        )
        out.append(
            f"<h3>{escape(str(label))}</h3><p>Intercept {fmt(cal['intercept'])}, slope "
            f"{fmt(cal['slope'])}, Brier {fmt(cal['brier'])}{smooth}. {escape(verdict)}</p>"
        )
        curve = cal["curve"]
        rows = "".join(
            f"<tr><td>{fmt(r['bin_lower'])}–{fmt(r['bin_upper'])}</td>"
            f"<td>{fmt(r['mean_predicted'])}</td><td>{fmt(r['observed'])}</td>"
            f"<td>{int(r['count'])}</td></tr>"
            for r in curve
        )
        out.append(
            f"<details><summary>Binned rates ({len(curve)} bins)</summary>"
            "<table><tr><th>Bin</th><th>Mean predicted</th><th>Observed</th><th>n</th></tr>"
            f"{rows}</table></details>"
        )
    out.append(
        "<p class='meta'>Miscalibration can be corrected with scikit-learn's "
        "<code>CalibratedClassifierCV</code>; re-assess on held-out data afterwards.</p>"
    )
    return "".join(out)


@section("subgroups", "<p>No grouping variables were given.</p>")
def subgroups(report: ClinicalReport, sg: pd.DataFrame) -> str:
    metrics = [m for m in SUBGROUP_METRICS if m in set(sg["metric"])]
    multiclass = sg["class"].nunique() > 1
    head = "".join(f"<th>{METRIC_LABELS[m]}</th>" for m in metrics)
    rows = []
    keys = ["variable", "level", "class"] if multiclass else ["variable", "level"]
    for key, block in sg.groupby(keys, sort=False):
        first = block.iloc[0]
        look = {r["metric"]: r for r in block.to_dict(orient="records")}
        cells = "".join(
            f"<td>{fmt_ci(look[m]['estimate'], look[m]['ci_lower'], look[m]['ci_upper'])}</td>"
            for m in metrics
        )
        flag = (
            f'<td class="flag">too small: {escape(first["note"])}</td>'
            if first["too_small"]
            else "<td></td>"
        )
        label = " / ".join(escape(str(k)) for k in (key if isinstance(key, tuple) else (key,)))
        cls = ' class="small"' if first["too_small"] else ""
        rows.append(f"<tr{cls}><th>{label}</th><td>{int(first['n'])}</td>{cells}{flag}</tr>")
    return (
        "<p>Groups flagged as too small get point estimates only; do not draw conclusions "
        "from them.</p>"
        f"<details><summary>Every group ({len(rows)} rows)</summary>"
        f"<table><tr><th>Group</th><th>n</th>{head}<th>Flag</th></tr>{''.join(rows)}</table>"
        "</details>"
    )


@section(
    "fairness",
    "<p>Not computed (needs grouping variables and two classes; compare one class "
    "against the rest with <code>skmed.metrics.fairness_gaps</code>).</p>",
)
def fairness(report: ClinicalReport, f: dict[str, Any]) -> str:
    labels = {
        "sensitivity": "Sensitivity",
        "false_positive_rate": "False-positive rate",
        "ppv": "PPV",
        "calibration_intercept": "Calibration-in-the-large",
    }
    rows = "".join(
        f"<tr><th>{escape(str(d['variable']))}: {escape(str(d['level']))} vs "
        f"{escape(str(d['reference']))}</th><td>{labels[d['metric']]}</td>"
        f"<td{FLAG if d['ci_lower'] > 0 or d['ci_upper'] < 0 else ''}>"
        f"{fmt_ci(d['difference'], d['ci_lower'], d['ci_upper'])}</td></tr>"
        for d in f["differences"]
    )
    warn = "".join(f"<li>{escape(w)}</li>" for w in f["warnings"])
    return (
        "<p>Each group against the largest (reference) group at the operating threshold; "
        "a difference whose interval excludes 0 is highlighted. Small groups are left out "
        "of the comparison.</p>"
        + (f'<div class="notes"><ul>{warn}</ul></div>' if warn else "")
        + f"<details open><summary>Differences ({len(f['differences'])})</summary>"
        "<table><tr><th>Groups</th><th>Metric</th><th>Difference (95% CI)</th></tr>"
        f"{rows}</table></details>"
    )


def explanations(report: ClinicalReport) -> str:
    if report.importance is None and not report.explanations:
        return "<p>Not requested (pass <code>importance=</code> / <code>explanations=</code>).</p>"
    out = []
    if report.importance is not None:
        level = report.importance.attrs.get("confidence_level", 0.95)
        rows = "".join(
            f"<tr><th>{escape(str(r['column']))}</th><td>"
            f"{fmt_ci(r['importance_mean'], r['ci_lower'], r['ci_upper'])}</td></tr>"
            for r in report.importance.to_dict(orient="records")
        )
        out.append(
            f"<p>Permutation importance of each input column ({level:.0%} interval): the "
            "drop in the score when the column is shuffled (figure below).</p>"
            "<details><summary>Every column</summary>"
            f"<table><tr><th>Column</th><th>Importance</th></tr>{rows}</table></details>"
        )
    for ex in report.explanations:
        out.append(
            f"<p>{escape(ex.summary())} "
            f'<span class="meta">Baseline: {escape(ex.baseline)}.</span></p>'
        )
    return "".join(out)
