"""A self-contained clinical evaluation report (HTML and JSON) with a model card.

:func:`build_report` takes held-out labels and predicted probabilities (and optionally the
fitted model, the held-out features and grouping columns) and assembles:

* a data summary (rows, class counts, prevalence, missing values);
* the metrics of :func:`skmed.metrics.clinical_metrics` with bootstrap confidence intervals;
* the operating point (threshold and how it was chosen);
* a calibration assessment (:func:`skmed.calibration.assess_calibration`);
* subgroup metrics (:func:`skmed.metrics.subgroup_metrics`), small groups flagged;
* plots (ROC with confidence band, precision-recall, calibration, confusion matrix at the
  operating point, decision curve, training curves) as base64 PNG -- if matplotlib is
  installed (``pip install 'skmed[plot]'``); otherwise the report says they were skipped;
* a model card in the spirit of TRIPOD+AI (intended use, data, performance, limitations).

``report.to_html(path)`` writes one HTML file with inline CSS and embedded images -- no
scripts, no external links -- that opens offline; ``report.to_json(path)`` writes the same
content as JSON.

Example (what ``skmed train``/``skmed demo`` do with a held-out split)::

    from skmed.report import build_report
    report = build_report(
        y_test, pipe.predict_proba(X_test), classes=pipe.classes_, model=pipe, X=X_test,
        groups=["sex"], model_card={"intended_use": "Triage of ..."},
    )
    report.to_html("report.html")
    report.to_json("report.json")
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skmed._json import jsonable
from skmed.calibration import assess_calibration
from skmed.metrics import (
    _binary_counts,
    _check_inputs,
    clinical_metrics,
    fairness_gaps,
    subgroup_metrics,
)
from skmed.thresholds import describe_operating_point

__all__ = ["ClinicalReport", "ModelCard", "build_report", "SECTIONS"]

#: HTML ``id`` and heading of every report section, in order.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "model-card": "Model card",
    "data": "Data",
    "sample-size": "Sample size",
    "drift": "Data drift",
    "operating-point": "Operating point",
    "metrics": "Performance metrics",
    "calibration": "Calibration",
    "subgroups": "Subgroup performance",
    "fairness": "Fairness: gaps between groups",
    "comparison": "Model comparison on the same patients",
    "recalibration": "Recalibration",
    "explanations": "Interpretability",
    "figures": "Figures",
}

_NOT_PROVIDED = "Not provided."
_FLAG = ' class="flag"'

_METRIC_LABELS = {
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "ppv": "PPV (precision)",
    "npv": "NPV",
    "lr_positive": "Positive likelihood ratio",
    "lr_negative": "Negative likelihood ratio",
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "brier": "Brier score",
    "calibration_intercept": "Calibration intercept",
    "calibration_slope": "Calibration slope",
    "net_benefit": "Net benefit",
}

_SUBGROUP_METRICS = ("sensitivity", "specificity", "ppv", "npv", "roc_auc", "brier")


@dataclass
class ModelCard:
    """Model card fields, after TRIPOD+AI. Every field is free text; empty means not provided.

    Parameters
    ----------
    model_name : str
        Name and version of the model.
    intended_use : str
        Clinical question, decision supported, and setting (e.g. "rule out sepsis in adult ED
        patients at triage"); what it must not be used for.
    intended_users : str
        Who acts on the output (e.g. ED nurses) and how.
    population : str
        Eligibility criteria of patients the model applies to.
    outcome : str
        Predicted outcome, its definition and time horizon.
    predictors : str
        Predictors, when they are measured, and how missing values are handled.
    data : str
        Source, dates, sites and size of development and evaluation data.
    development : str
        Model type, tuning, handling of class imbalance, threshold and calibration choices.
    limitations : str
        Known weaknesses: small subgroups, dataset shift, missing populations.
    ethical_considerations : str
        Fairness analyses, risks of harm, human oversight.
    contact : str
        Who maintains the model.
    extra : dict
        Any further fields (shown as given).
    """

    model_name: str = ""
    intended_use: str = ""
    intended_users: str = ""
    population: str = ""
    outcome: str = ""
    predictors: str = ""
    data: str = ""
    development: str = ""
    limitations: str = ""
    ethical_considerations: str = ""
    contact: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_any(cls, card: ModelCard | dict[str, Any] | None) -> ModelCard:
        """A ModelCard from a ModelCard, a dict (unknown keys go to ``extra``) or None."""
        if card is None:
            return cls()
        if isinstance(card, ModelCard):
            return card
        if not isinstance(card, dict):
            raise ValueError(f"model_card must be a dict or ModelCard; got {type(card).__name__}.")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        extra = {str(k): str(v) for k, v in card.items() if k not in known and k != "extra"}
        extra.update({str(k): str(v) for k, v in dict(card.get("extra") or {}).items()})
        return cls(**{k: str(v) for k, v in card.items() if k in known}, extra=extra)


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy -> Python, NaN/inf -> None, DataFrame -> records."""
    if isinstance(value, pd.DataFrame):
        return [_clean(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    value = jsonable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}f}"


def _fmt_ci(est: Any, lo: Any, hi: Any) -> str:
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return _fmt(est)
    return f"{_fmt(est)} ({_fmt(lo)}–{_fmt(hi)})"


@dataclass
class ClinicalReport:
    """Everything :func:`build_report` computed; render with :meth:`ClinicalReport.to_html` /
    :meth:`ClinicalReport.to_json`.

    Attributes
    ----------
    title : str
    created : str
        ISO timestamp (UTC).
    data_summary : dict
    metrics : pandas.DataFrame
        :func:`~skmed.metrics.clinical_metrics` output.
    operating_point : dict
        ``threshold`` (None for multiclass), ``source``, and the metrics at it.
    calibration : dict
        Per reported class, :meth:`skmed.calibration.CalibrationAssessment.to_dict` output.
    subgroups : pandas.DataFrame or None
        :func:`~skmed.metrics.subgroup_metrics` output.
    figures : dict of str to str
        Figure name -> base64-encoded PNG.
    model_card : ModelCard
    model_info : dict
        Model type and parameters, when ``model`` was given.
    notes : list of str
        Warnings raised while building (e.g. plots skipped, small subgroups).
    """

    title: str
    created: str
    data_summary: dict[str, Any]
    metrics: pd.DataFrame
    operating_point: dict[str, Any]
    calibration: dict[str, Any]
    subgroups: pd.DataFrame | None
    figures: dict[str, str]
    model_card: ModelCard
    model_info: dict[str, Any]
    notes: list[str]
    settings: dict[str, Any]
    #: ``column_importance`` table and per-patient explanations (``skmed.explain``), if given.
    importance: pd.DataFrame | None = None
    explanations: list[Any] = field(default_factory=list)
    #: :meth:`skmed.drift.DriftReport.to_dict` of these rows against the model's training
    #: summary (``skmed.evaluate``), if computed.
    drift: dict[str, Any] | None = None
    #: :meth:`skmed.metrics.ModelComparison.to_dict` of several models on these rows
    #: (``skmed.evaluate`` with several files), if computed.
    comparison: dict[str, Any] | None = None
    #: The file's recalibration record and, from ``skmed recalibrate``, the calibration before
    #: and after on the fitting rows.
    recalibration: dict[str, Any] | None = None
    #: :meth:`skmed.sample_size.SampleSizeCheck.to_dict` of the development data, if computed.
    sample_size: dict[str, Any] | None = None
    #: :meth:`skmed.validation.InternalValidation.to_dict`, when the whole pipeline was
    #: validated by bootstrap or cross-validation (``skmed train --validation``).
    validation: dict[str, Any] | None = None
    #: :meth:`skmed.metrics.FairnessGaps.to_dict` (two classes, with groups), if computed.
    fairness: dict[str, Any] | None = None
    #: Captions of figures added with :meth:`add_figure`.
    figure_captions: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (NaN and infinities become ``null``)."""
        return _clean(
            {
                "title": self.title,
                "created": self.created,
                "settings": self.settings,
                "data_summary": self.data_summary,
                "metrics": self.metrics,
                "operating_point": self.operating_point,
                "calibration": self.calibration,
                "subgroups": self.subgroups if self.subgroups is not None else None,
                "figures": {k: {"format": "png", "base64": v} for k, v in self.figures.items()},
                "model_card": asdict(self.model_card),
                "model_info": self.model_info,
                "notes": self.notes,
                "importance": self.importance,
                "drift": self.drift,
                "comparison": self.comparison,
                "recalibration": self.recalibration,
                "sample_size": self.sample_size,
                "validation": self.validation,
                "fairness": self.fairness,
                "explanations": [
                    {
                        "class": jsonable(e.class_),
                        "score": e.score,
                        "baseline_score": e.baseline_score,
                        "baseline": e.baseline,
                        "summary": e.summary(),
                        "attributions": e.attributions.to_dict(),
                    }
                    for e in self.explanations
                ],
            }
        )

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """The report as JSON; also written to ``path`` when given.

        Parameters
        ----------
        path : str or Path, default=None
            File to write (UTF-8).
        indent : int, default=2
            JSON indentation.

        Returns
        -------
        str
            The JSON text.
        """
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # ------------------------------------------------------------------ HTML

    def to_html(self, path: str | Path | None = None) -> str:
        """The report as one self-contained HTML page; also written to ``path`` when given.

        Images are inline base64 PNG, styles are inline, and there are no scripts or external
        links, so the file opens offline and can be attached to an e-mail or a review.

        Parameters
        ----------
        path : str or Path, default=None
            File to write (UTF-8).

        Returns
        -------
        str
            The HTML text.
        """
        e = html.escape
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{e(self.title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
            f'<p class="meta">Generated {e(self.created)} by skmed '
            f"{e(str(self.settings.get('skmed_version', '')))}.</p>",
        ]
        body = {
            "summary": self._html_summary(),
            "model-card": self._html_model_card(),
            "data": self._html_data(),
            "sample-size": self._html_sample_size(),
            "drift": self._html_drift(),
            "operating-point": self._html_operating_point(),
            "metrics": self._html_metrics(),
            "calibration": self._html_calibration(),
            "subgroups": self._html_subgroups(),
            "fairness": self._html_fairness(),
            "comparison": self._html_comparison(),
            "recalibration": self._html_recalibration(),
            "explanations": self._html_explanations(),
            "figures": self._html_figures(),
        }
        toc = "".join(
            f'<li><a href="#{sid}">{e(heading)}</a></li>'
            for sid, heading in SECTIONS.items()
            if sid != "summary"
        )
        for sid, heading in SECTIONS.items():
            parts.append(f'<section id="{sid}"><h2>{e(heading)}</h2>{body[sid]}</section>')
            if sid == "summary":
                parts.append(f'<nav id="contents"><h2>Details</h2><ol>{toc}</ol></nav>')
        parts.append("</body></html>")
        text = "\n".join(parts)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def add_figure(
        self, name: str, draw: Any, *, ncols: int = 1, caption: str | None = None
    ) -> None:
        """Draw ``draw(axes)`` on a new figure of ``ncols`` panels and add it to the report.

        ``axes`` is one matplotlib Axes, or a list of them when ``ncols > 1``.
        """
        self.figures[name] = _figure_png(draw, ncols=ncols)
        if caption is not None:
            self.figure_captions[name] = caption

    def _metric_lookup(self) -> dict[tuple[str, str], tuple[float, float, float]]:
        return {
            (str(r["class"]), r["metric"]): (r["estimate"], r["ci_lower"], r["ci_upper"])
            for r in self.metrics.to_dict(orient="records")
        }

    def _headline_key(self) -> str:
        return (
            str(self.operating_point.get("pos_label"))
            if self.operating_point.get("threshold") is not None
            else "macro"
        )

    def _html_summary(self) -> str:
        e = html.escape
        ds = self.data_summary
        look = self._metric_lookup()
        key = self._headline_key()
        use = self.model_card.intended_use or _NOT_PROVIDED
        out = [f'<p class="lead"><strong>Intended use:</strong> {e(use)}</p>']
        cards = []
        names = ("roc_auc", "sensitivity", "specificity", "ppv", "calibration_slope")
        for m in names if key != "macro" else ("roc_auc", "sensitivity", "calibration_slope"):
            if (key, m) in look:
                est, lo, hi = look[(key, m)]
                label = _METRIC_LABELS[m] + (" (macro)" if key == "macro" else "")
                cards.append(
                    f'<div class="card"><div class="label">{e(label)}</div>'
                    f'<div class="value">{_fmt(est)}</div>'
                    f'<div class="ci">{_fmt(lo)}&ndash;{_fmt(hi)}</div></div>'
                )
        ici = self._ici()
        if ici is not None:
            cards.append(
                '<div class="card"><div class="label">ICI (calibration error)</div>'
                f'<div class="value">{_fmt(ici)}</div><div class="ci">0 is ideal</div></div>'
            )
        out.append(f'<div class="cards">{"".join(cards)}</div>')
        conf = self.settings.get("confidence_level", 0.95)
        out.append(
            f'<p class="meta">{ds["n_samples"]} patients ('
            + ", ".join(f"{e(str(k))} {v}" for k, v in ds["class_counts"].items())
            + f"); {e(self.operating_point['source'])}; {conf:.0%} intervals from "
            f"{self.settings.get('n_bootstraps')} stratified bootstrap replicates.</p>"
        )
        if self.validation:
            out.append(f"<p>{e(self.validation['sentence'])}</p>")
        if self.comparison and self.comparison.get("verdict"):
            out.append(f'<p class="verdict">{e(self.comparison["verdict"])}</p>')
        if self.notes:
            items = "".join(f"<li>{e(n)}</li>" for n in self.notes)
            out.append(
                f'<details class="notes"><summary>Notes ({len(self.notes)})</summary>'
                f"<ul>{items}</ul></details>"
            )
        keys = [k for k in _KEY_FIGURES if k in self.figures]
        if keys:
            out.append(
                '<div class="key-figures">'
                + "".join(self._figure_html(k) for k in keys[:4])
                + "</div>"
            )
        return "".join(out)

    def _ici(self) -> float | None:
        values = [
            float((c.get("flexible") or {})["ici"])
            for c in self.calibration.values()
            if (c.get("flexible") or {}).get("ici") is not None
        ]
        return float(np.mean(values)) if values else None

    def _figure_html(self, name: str) -> str:
        e = html.escape
        caption = self.figure_captions.get(name) or _FIGURE_CAPTIONS.get(name, name)
        if name.startswith("waterfall_"):
            caption = f"Patient {int(name.split('_')[1]) + 1}: contributions to the score"
        return (
            f'<figure id="fig-{e(name)}"><img alt="{e(caption)}" '
            f'src="data:image/png;base64,{self.figures[name]}"><figcaption>{e(caption)}'
            "</figcaption></figure>"
        )

    def _html_model_card(self) -> str:
        e = html.escape
        card = asdict(self.model_card)
        extra = card.pop("extra")
        labels = {
            "model_name": "Model",
            "intended_use": "Intended use",
            "intended_users": "Intended users",
            "population": "Target population",
            "outcome": "Outcome",
            "predictors": "Predictors",
            "data": "Data",
            "development": "Development",
            "limitations": "Limitations",
            "ethical_considerations": "Ethical considerations and fairness",
            "contact": "Contact",
        }
        rows = []
        for k, label in labels.items():
            value = card.get(k) or ""
            cls = "" if value else ' class="missing"'
            rows.append(f"<tr><th>{label}</th><td{cls}>{e(value or _NOT_PROVIDED)}</td></tr>")
        for k, v in extra.items():
            rows.append(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>")
        perf = self.performance_sentence()
        rows.append(f"<tr><th>Performance (this evaluation)</th><td>{e(perf)}</td></tr>")
        if self.model_info:
            rows.append(
                f"<tr><th>Model object</th><td><code>{e(self.model_info.get('type', ''))}"
                "</code></td></tr>"
            )
        return (
            '<p class="meta">Structure after the TRIPOD+AI reporting guideline; fields not '
            "provided by the developer are marked.</p>"
            f"<table class='card'>{''.join(rows)}</table>"
        )

    def performance_sentence(self) -> str:
        """One sentence of the headline metrics with their intervals (model card, CLI)."""
        look = self._metric_lookup()
        key = (
            str(self.operating_point.get("pos_label"))
            if self.operating_point.get("threshold") is not None
            else "macro"
        )
        parts = []
        for m in ("roc_auc", "sensitivity", "specificity", "ppv", "npv", "calibration_slope"):
            if (key, m) in look:
                parts.append(f"{_METRIC_LABELS[m]} {_fmt_ci(*look[(key, m)])}")
        return f"On {self.data_summary['n_samples']} held-out patients: " + "; ".join(parts) + "."

    def _html_data(self) -> str:
        e = html.escape
        ds = self.data_summary
        rows = [f"<tr><th>Patients</th><td>{ds['n_samples']}</td></tr>"]
        for k, v in ds["class_counts"].items():
            rows.append(
                f"<tr><th>Class {e(str(k))}</th><td>{v} ({ds['class_prevalence'][k]:.1%})</td></tr>"
            )
        if "n_features" in ds:
            rows.append(f"<tr><th>Features</th><td>{ds['n_features']}</td></tr>")
        out = f"<table>{''.join(rows)}</table>"
        missing = ds.get("missing_fraction") or {}
        if missing:
            cells = "".join(
                f"<tr><td>{e(str(k))}</td><td>{v:.1%}</td></tr>" for k, v in missing.items()
            )
            out += (
                "<h3>Missing values</h3><table><tr><th>Column</th><th>Missing</th></tr>"
                f"{cells}</table>"
            )
        elif "n_features" in ds:
            out += "<p>No missing values in the features.</p>"
        return out

    def _html_sample_size(self) -> str:
        e = html.escape
        check = self.sample_size
        if check is None:
            return "<p>Not assessed (skmed train assesses the development data).</p>"
        rows = "".join(
            f"<tr><th>{e(label)}</th><td>{s['prevalence']:.1%}</td><td>{s['r2_cs']:.3f} "
            f"<span class='meta'>({e(s['r2_source'])})</span></td>"
            + "".join(
                f"<td>{s['criteria'][k]['n']}</td>"
                for k in ("shrinkage", "optimism", "overall_risk")
            )
            + f"<td><strong>{s['n']}</strong></td></tr>"
            for label, s in check["per_class"].items()
        )
        cls = "" if check["enough"] else ' class="notes"'
        return (
            f"<p{cls}>{e(check['sentence'])}</p>"
            "<table><tr><th>Class (one-vs-rest)</th><th>Prevalence</th>"
            "<th>Anticipated Cox-Snell R&sup2;</th><th>Shrinkage &ge; 0.9</th>"
            "<th>Optimism in R&sup2; &le; 0.05</th><th>Overall risk &plusmn; 0.05</th>"
            f"<th>Minimum</th></tr>{rows}</table>"
            "<p class='meta'>Riley et al., BMJ 2020;368:m441 (as the R package pmsampsize). "
            "Candidate parameters are the pipeline's encoded features; the network has more "
            "weights than that, so these are lower bounds.</p>"
        )

    def _html_drift(self) -> str:
        e = html.escape
        if self.drift is None:
            return "<p>Not requested.</p>"
        if self.drift.get("note"):
            return f"<p>{e(self.drift['note'])}</p>"
        rows = []
        for c in self.drift["columns"]:
            missing = (
                f"{c['missing_reference']:.0%} &rarr; {c['missing_new']:.0%}"
                if c["missing_reference"] is not None
                else ""
            )
            smd = f"{c['smd']:+.2f}" if c["smd"] is not None else ""
            flags = e("; ".join(c["flags"])) if c["flags"] else "&mdash;"
            rows.append(
                f"<tr><td>{e(c['column'])}</td><td>{missing}</td><td>{smd}</td><td>{flags}</td></tr>"
            )
        flagged = self.drift["flagged"]
        summary = (
            f"<p>{len(flagged)} of {len(rows)} columns flagged against the training summary "
            "stored in the model (thresholds: skmed.drift).</p>"
        )
        return (
            summary + f"<details><summary>Every column ({len(rows)})</summary>"
            "<table><tr><th>Column</th><th>Missing (training &rarr; here)</th>"
            f"<th>SMD</th><th>Flags</th></tr>{''.join(rows)}</table></details>"
            + self._html_outcome()
        )

    def _html_outcome(self) -> str:
        e = html.escape
        drift = self.drift or {}
        if drift.get("outcome_note"):
            return f"<p>{e(drift['outcome_note'])}</p>"
        if not drift.get("outcome"):
            return ""
        rows = "".join(
            f"<tr><td>{e(str(o['class']))}</td><td>{o['share_reference']:.1%}</td>"
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

    def _html_comparison(self) -> str:
        e = html.escape
        c = self.comparison
        if c is None:
            return (
                "<p>One model evaluated (compare several on the same patients with "
                "<code>skmed evaluate a.onnx b.onnx data.csv</code>).</p>"
            )
        metrics = list(dict.fromkeys(r["metric"] for r in c["metrics"]))
        look = {(r["model"], r["metric"]): r for r in c["metrics"]}
        head = "".join(f"<th>{_METRIC_LABELS.get(m, m)}</th>" for m in metrics)
        keys = ("estimate", "ci_lower", "ci_upper")
        rows = "".join(
            f"<tr><th>{e(name)}</th>"
            + "".join(f"<td>{_fmt_ci(*(look[(name, m)][k] for k in keys))}</td>" for m in metrics)
            + "</tr>"
            for name in c["models"]
        )
        diffs = "".join(
            f"<tr><th>{e(d['model'])}</th><td>{_METRIC_LABELS.get(d['metric'], d['metric'])}</td>"
            f"<td>{_fmt_ci(d['difference'], d['ci_lower'], d['ci_upper'])}</td>"
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
        sentences = "".join(f"<li>{e(t)}</li>" for t in c["sentences"])
        verdict = f"<p><strong>{e(c['verdict'])}</strong></p>" if c.get("verdict") else ""
        return (
            f"{verdict}<p>Reference: <strong>{e(c['reference'])}</strong>. Every model is "
            f"scored on the same {settings['n_samples']} patients and the same "
            f"{settings['n_bootstraps']} bootstrap replicates, so a difference's interval is "
            f"paired.{threshold}</p>"
            f"<ul>{sentences}</ul>"
            f"<table><tr><th>Model</th>{head}</tr>{rows}</table>"
            "<h3>Differences from the reference</h3><table><tr><th>Model</th><th>Metric</th>"
            f"<th>Difference (95% CI)</th><th>Verdict</th></tr>{diffs}</table>"
        )

    def _html_recalibration(self) -> str:
        e = html.escape
        r = self.recalibration
        if not r:
            return "<p>The model's risks were not recalibrated.</p>"
        record = r.get("record") or {}
        rows = [
            f"<tr><th>Method</th><td>{e(str(record.get('method')))}</td></tr>",
            f"<tr><th>Fitted on</th><td>{record.get('n_rows')} rows, classes "
            f"{e(json.dumps(record.get('class_counts')))}, {e(str(record.get('date')))}</td></tr>",
            f"<tr><th>Parent file (SHA-256)</th><td><code>{e(str(record.get('parent_sha256')))}"
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
                f"<tr><th>{e(label)}</th><td>{e(str(cls))}</td>"
                f"<td>{_fmt(values['intercept'])}</td><td>{_fmt(values['slope'])}</td>"
                f"<td>{_fmt(values['brier'])}</td></tr>"
                for k, label in (("before", "Before"), ("after", "After"))
                for cls, values in r[k].items()
            )
            out += (
                "<p>Calibration on the rows the update was fitted on (apparent: judge it on "
                "other rows of the site).</p><table><tr><th></th><th>Class</th><th>Intercept</th>"
                f"<th>Slope</th><th>Brier</th></tr>{cells}</table>"
            )
        return out

    def _html_operating_point(self) -> str:
        e = html.escape
        op = self.operating_point
        rows = [f"<tr><th>Rule</th><td>{e(op['source'])}</td></tr>"]
        if op.get("threshold") is not None:
            rows.insert(0, f"<tr><th>Threshold</th><td>{op['threshold']:.4g}</td></tr>")
            rows.append(f"<tr><th>Positive class</th><td>{e(str(op['pos_label']))}</td></tr>")
        for m, v in op.get("metrics", {}).items():
            rows.append(
                f"<tr><th>{_METRIC_LABELS.get(m, m)}</th>"
                f"<td>{_fmt_ci(v['estimate'], v['ci_lower'], v['ci_upper'])}</td></tr>"
            )
        if op.get("confusion"):
            c = op["confusion"]
            rows.append(
                "<tr><th>Counts</th><td>"
                f"TP {c['tp']}, FP {c['fp']}, FN {c['fn']}, TN {c['tn']}</td></tr>"
            )
        return f"<table>{''.join(rows)}</table>"

    def _html_metrics(self) -> str:
        e = html.escape
        classes = list(dict.fromkeys(str(c) for c in self.metrics["class"]))
        look = self._metric_lookup()
        head = "".join(f"<th>{e(c)}</th>" for c in classes)
        rows = []
        for m in dict.fromkeys(self.metrics["metric"]):
            cells = "".join(f"<td>{_fmt_ci(*look[(c, m)])}</td>" for c in classes)
            rows.append(f"<tr><th>{_METRIC_LABELS.get(m, m)}</th>{cells}</tr>")
        note = (
            "Binary: metrics of the positive class at the operating threshold."
            if len(classes) == 1
            else "Multiclass: one-vs-rest per class, predictions of the most probable class; "
            "macro is the per-replicate mean over classes."
        )
        return (
            f"<p>{note} Estimate (95% CI unless stated in the summary).</p>"
            f"<table><tr><th>Metric</th>{head}</tr>{''.join(rows)}</table>"
        )

    def _html_calibration(self) -> str:
        e = html.escape
        out = []
        for label, cal in self.calibration.items():
            verdict = (
                "; ".join(cal["warnings"]) if cal["warnings"] else "No calibration problem found."
            )
            flex = cal.get("flexible") or {}
            smooth = (
                f", ICI {_fmt(flex['ici'])}, E50 {_fmt(flex['e50'])}, E90 {_fmt(flex['e90'])}"
                if flex.get("ici") is not None
                else ""
            )
            out.append(
                f"<h3>{e(str(label))}</h3><p>Intercept {_fmt(cal['intercept'])}, slope "
                f"{_fmt(cal['slope'])}, Brier {_fmt(cal['brier'])}{smooth}. {e(verdict)}</p>"
            )
            curve = cal["curve"]
            rows = "".join(
                f"<tr><td>{_fmt(r['bin_lower'])}–{_fmt(r['bin_upper'])}</td>"
                f"<td>{_fmt(r['mean_predicted'])}</td><td>{_fmt(r['observed'])}</td>"
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

    def _html_subgroups(self) -> str:
        e = html.escape
        if self.subgroups is None:
            return "<p>No grouping variables were given.</p>"
        sg = self.subgroups
        metrics = [m for m in _SUBGROUP_METRICS if m in set(sg["metric"])]
        multiclass = sg["class"].nunique() > 1
        head = "".join(f"<th>{_METRIC_LABELS[m]}</th>" for m in metrics)
        rows = []
        keys = ["variable", "level", "class"] if multiclass else ["variable", "level"]
        for key, block in sg.groupby(keys, sort=False):
            first = block.iloc[0]
            look = {r["metric"]: r for r in block.to_dict(orient="records")}
            cells = "".join(
                f"<td>{_fmt_ci(look[m]['estimate'], look[m]['ci_lower'], look[m]['ci_upper'])}</td>"
                for m in metrics
            )
            flag = (
                f'<td class="flag">too small: {e(first["note"])}</td>'
                if first["too_small"]
                else "<td></td>"
            )
            label = " / ".join(e(str(k)) for k in (key if isinstance(key, tuple) else (key,)))
            cls = ' class="small"' if first["too_small"] else ""
            rows.append(f"<tr{cls}><th>{label}</th><td>{int(first['n'])}</td>{cells}{flag}</tr>")
        return (
            "<p>Groups flagged as too small get point estimates only; do not draw conclusions "
            "from them.</p>"
            f"<details><summary>Every group ({len(rows)} rows)</summary>"
            f"<table><tr><th>Group</th><th>n</th>{head}<th>Flag</th></tr>{''.join(rows)}</table>"
            "</details>"
        )

    def _html_fairness(self) -> str:
        e = html.escape
        f = self.fairness
        if f is None:
            return (
                "<p>Not computed (needs grouping variables and two classes; compare one class "
                "against the rest with <code>skmed.metrics.fairness_gaps</code>).</p>"
            )
        labels = {
            "sensitivity": "Sensitivity",
            "false_positive_rate": "False-positive rate",
            "ppv": "PPV",
            "calibration_intercept": "Calibration-in-the-large",
        }
        rows = "".join(
            f"<tr><th>{e(str(d['variable']))}: {e(str(d['level']))} vs "
            f"{e(str(d['reference']))}</th><td>{labels[d['metric']]}</td>"
            f"<td{_FLAG if d['ci_lower'] > 0 or d['ci_upper'] < 0 else ''}>"
            f"{_fmt_ci(d['difference'], d['ci_lower'], d['ci_upper'])}</td></tr>"
            for d in f["differences"]
        )
        warn = "".join(f"<li>{e(w)}</li>" for w in f["warnings"])
        return (
            "<p>Each group against the largest (reference) group at the operating threshold; "
            "a difference whose interval excludes 0 is highlighted. Small groups are left out "
            "of the comparison.</p>"
            + (f'<div class="notes"><ul>{warn}</ul></div>' if warn else "")
            + f"<details open><summary>Differences ({len(f['differences'])})</summary>"
            "<table><tr><th>Groups</th><th>Metric</th><th>Difference (95% CI)</th></tr>"
            f"{rows}</table></details>"
        )

    def _html_explanations(self) -> str:
        e = html.escape
        if self.importance is None and not self.explanations:
            return (
                "<p>Not requested (pass <code>importance=</code> / <code>explanations=</code>).</p>"
            )
        out = []
        if self.importance is not None:
            level = self.importance.attrs.get("confidence_level", 0.95)
            rows = "".join(
                f"<tr><th>{e(str(r['column']))}</th><td>"
                f"{_fmt_ci(r['importance_mean'], r['ci_lower'], r['ci_upper'])}</td></tr>"
                for r in self.importance.to_dict(orient="records")
            )
            out.append(
                f"<p>Permutation importance of each input column ({level:.0%} interval): the "
                "drop in the score when the column is shuffled (figure below).</p>"
                "<details><summary>Every column</summary>"
                f"<table><tr><th>Column</th><th>Importance</th></tr>{rows}</table></details>"
            )
        for ex in self.explanations:
            out.append(
                f'<p>{e(ex.summary())} <span class="meta">Baseline: {e(ex.baseline)}.</span></p>'
            )
        return "".join(out)

    def _html_figures(self) -> str:
        if not self.figures:
            return "<p>No figures (matplotlib is not installed: pip install 'skmed[plot]').</p>"
        shown = set([k for k in _KEY_FIGURES if k in self.figures][:4])
        rest = [name for name in self.figures if name not in shown]
        if not rest:
            return "<p>All figures are in the summary.</p>"
        return '<div class="figures">' + "".join(self._figure_html(n) for n in rest) + "</div>"


#: Figures shown on the first screen, in order (the first four present).
_KEY_FIGURES = ("roc", "calibration", "decision_curve", "comparison", "confusion_matrix")

_FIGURE_CAPTIONS = {
    "roc": "ROC curve with bootstrap confidence band",
    "precision_recall": "Precision-recall curve",
    "calibration": "Calibration: binned rates, flexible curve with 95% band",
    "confusion_matrix": "Confusion matrix at the operating point",
    "decision_curve": "Decision curve (net benefit)",
    "training": "Training curves",
    "importance": "Permutation importance of the input columns",
    "comparison": "The network against logistic regression: paired differences, 95% CI",
}

_CSS = """
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


def _figure_png(draw, ncols: int = 1) -> str:
    """Run ``draw(ax)`` on a fresh (non-pyplot) figure and return the PNG as base64."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * ncols, 4.5), layout="constrained")
    ax = fig.subplots(1, ncols)
    draw(list(ax) if ncols > 1 else ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _model_info(model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    info: dict[str, Any] = {"type": type(model).__name__, "repr": repr(model)[:4000]}
    try:
        params = model.get_params(deep=False)
        info["params"] = {k: repr(v)[:200] for k, v in params.items()}
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        pass
    return info


def _data_summary(checked, X: Any) -> dict[str, Any]:
    counts = np.bincount(checked.y_idx, minlength=checked.classes.size)
    n = int(checked.y_idx.size)
    summary: dict[str, Any] = {
        "n_samples": n,
        "class_counts": {str(c): int(k) for c, k in zip(checked.classes, counts)},
        "class_prevalence": {str(c): float(k / n) for c, k in zip(checked.classes, counts)},
    }
    if X is not None:
        if hasattr(X, "isna") and hasattr(X, "columns"):
            summary["n_features"] = int(X.shape[1])
            summary["feature_names"] = [str(c) for c in X.columns]
            miss = X.isna().mean()
            summary["missing_fraction"] = {
                str(k): float(v) for k, v in miss[miss > 0].sort_values(ascending=False).items()
            }
        else:
            arr = np.asarray(X)
            if arr.ndim == 2:
                summary["n_features"] = int(arr.shape[1])
                if arr.dtype.kind == "f":
                    miss = np.isnan(arr).mean(axis=0)
                    summary["missing_fraction"] = {
                        f"x{i}": float(v) for i, v in enumerate(miss) if v > 0
                    }
        if "n_features" in summary and int(np.shape(X)[0]) != n:
            raise ValueError(f"X has {np.shape(X)[0]} rows but y_true has {n}; they must match.")
    return summary


def build_report(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    model: Any = None,
    X: Any = None,
    groups: Any = None,
    threshold: float | None = None,
    pos_label: Any = None,
    title: str = "Clinical evaluation report",
    model_card: ModelCard | dict[str, Any] | None = None,
    n_bootstraps: int = 1000,
    confidence_level: float = 0.95,
    min_group_size: int = 50,
    plots: bool = True,
    random_state: Any = 0,
    importance: pd.DataFrame | None = None,
    explanations: Any = None,
) -> ClinicalReport:
    """Evaluate held-out predictions and assemble a :class:`ClinicalReport`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels of held-out patients.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        ``model.predict_proba(X)`` on those patients.
    classes : array-like, default=None
        Label of each column of ``y_proba``; default ``model.classes_`` if ``model`` is given,
        else the sorted labels of ``y_true``.
    model : fitted estimator, default=None
        Used for the model description, the training curves (``history_`` of a
        :class:`~skmed.MedicalMLPClassifier`, also inside a Pipeline or threshold wrapper) and
        the operating threshold of a ``TunedThresholdClassifierCV``/``FixedThresholdClassifier``.
    X : DataFrame or array-like, default=None
        Held-out features: summarised (size, missing values) and source of named ``groups``.
    groups : str, list of str, array-like, Series, DataFrame or dict, default=None
        Grouping variable(s) for the subgroup table, see
        :func:`skmed.metrics.subgroup_metrics` (names refer to columns of ``X``).
    threshold : float, default=None
        Binary operating threshold. ``None`` takes it from a threshold-wrapper ``model``,
        else 0.5. Must be ``None`` for multiclass problems.
    pos_label : label, default=None
        Binary positive class; default ``classes[1]`` (or the wrapper's ``pos_label``).
    title : str, default="Clinical evaluation report"
        Report title.
    model_card : dict or ModelCard, default=None
        Model card text (keys of :class:`ModelCard`; other keys are shown as extra fields).
    n_bootstraps : int, default=1000
        Bootstrap replicates for the confidence intervals.
    confidence_level : float, default=0.95
        Coverage of the intervals.
    min_group_size : int, default=50
        Subgroups smaller than this (or with fewer than 10 of any class) are flagged.
    plots : bool, default=True
        Draw figures (needs matplotlib; skipped with a note when it is missing).
    random_state : int, default=0
        Seed of every bootstrap.
    importance : DataFrame, default=None
        :func:`skmed.explain.column_importance` output: shown as a table and a bar chart.
    explanations : PatientExplanation or list of them, default=None
        :func:`skmed.explain.explain_patient` outputs: summary sentences and waterfall charts.

    Returns
    -------
    ClinicalReport
        Call ``.to_html(path)`` and ``.to_json(path)``.

    Raises
    ------
    ValueError
        For invalid inputs: probabilities outside [0, 1], a class without samples, a
        grouping column missing from ``X``, a threshold with a multiclass problem.

    Examples
    --------
    >>> import numpy as np
    >>> from skmed.report import build_report
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> p = np.clip(0.35 * y + rng.uniform(0, 0.65, 300), 0, 1)
    >>> report = build_report(y, p, n_bootstraps=100, plots=False)
    >>> "<section id=\\"metrics\\">" in report.to_html()
    True
    """
    from skmed import __version__

    notes: list[str] = []
    if classes is None and model is not None and hasattr(model, "classes_"):
        classes = model.classes_
    op_info = describe_operating_point(model) if model is not None else None
    if pos_label is None and model is not None and op_info is not None:
        pos = getattr(getattr(model, "_curve_scorer", None), "_get_pos_label", lambda: None)()
        pos_label = pos if pos is not None else getattr(model, "pos_label", None)
    checked = _check_inputs(y_true, y_proba, classes, pos_label)
    if checked.binary:
        if threshold is not None:
            source = "given by the caller"
            if op_info is not None and not math.isclose(threshold, op_info["threshold"]):
                notes.append(
                    f"threshold={threshold} overrides the model's own threshold "
                    f"{op_info['threshold']:.4g}."
                )
        elif op_info is not None:
            threshold = op_info["threshold"]
            source = op_info["source"]
        else:
            threshold = 0.5
            source = "default probability threshold 0.5 (not tuned)"
    else:
        if threshold is not None:
            raise ValueError(
                "threshold applies to binary problems only; multiclass predictions use the "
                "most probable class."
            )
        source = "most probable class (multiclass)"
    classes_arr = checked.classes
    proba = checked.proba
    y_arr = classes_arr[checked.y_idx]
    common = dict(
        classes=classes_arr,
        threshold=threshold,
        pos_label=classes_arr[checked.pos] if checked.binary else None,
        n_bootstraps=n_bootstraps,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    metrics = clinical_metrics(y_arr, proba, **common)
    subgroups = None
    if groups is not None:
        subgroups = subgroup_metrics(y_arr, proba, groups, X=X, min_size=min_group_size, **common)
        small = subgroups.loc[subgroups["too_small"], ["variable", "level"]].drop_duplicates()
        if len(small):
            names = ", ".join(f"{v}={lvl}" for v, lvl in small.itertuples(index=False))
            notes.append(f"Subgroups too small to estimate reliably: {names}.")
    fairness = None
    if groups is not None and checked.binary:
        fairness = fairness_gaps(y_arr, proba, groups, X=X, min_size=min_group_size, **common)
    summary = _data_summary(checked, X)

    operating_point: dict[str, Any] = {"threshold": threshold, "source": source}
    if checked.binary:
        pos_label = classes_arr[checked.pos]
        operating_point["pos_label"] = jsonable(pos_label)
        rows = metrics.set_index("metric")
        operating_point["metrics"] = {
            m: {k: float(rows.loc[m, k]) for k in ("estimate", "ci_lower", "ci_upper")}
            for m in ("sensitivity", "specificity", "ppv", "npv", "lr_positive", "lr_negative")
        }
        p = proba[:, checked.pos]
        y_pos = checked.y_idx == checked.pos
        tp, fp, fn, tn = _binary_counts(y_pos, p >= threshold, True)
        operating_point["confusion"] = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
        if op_info is not None:
            operating_point["tuning"] = op_info
        cal_targets = [(pos_label, y_pos, p)]
    else:
        cal_targets = [(c, checked.y_idx == k, proba[:, k]) for k, c in enumerate(classes_arr)]
    calibration = {}
    for label, y_k, p_k in cal_targets:
        a = assess_calibration(y_k, p_k, pos_label=True)
        calibration[str(label)] = a.to_dict()
        notes.extend(f"Calibration ({label}): {w}." for w in a.warnings[:-1])

    figures: dict[str, str] = {}
    if plots:
        figures = _draw_figures(
            checked,
            classes_arr,
            threshold,
            model,
            n_bootstraps,
            confidence_level,
            random_state,
            notes,
        )
    if explanations is not None and not isinstance(explanations, (list, tuple)):
        explanations = [explanations]
    explanations = list(explanations or [])
    if figures and (importance is not None or explanations):
        from skmed import explain

        if importance is not None:
            figures["importance"] = _figure_png(
                lambda ax: explain.plot_importance(importance, ax=ax)
            )
        for i, ex in enumerate(explanations):
            figures[f"waterfall_{i}"] = _figure_png(lambda ax, ex=ex: ex.plot(ax=ax))

    return ClinicalReport(
        title=title,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        data_summary=summary,
        metrics=metrics,
        operating_point=operating_point,
        calibration=calibration,
        subgroups=subgroups,
        figures=figures,
        model_card=ModelCard.from_any(model_card),
        model_info=_model_info(model),
        notes=notes,
        importance=importance,
        explanations=explanations,
        fairness=fairness.to_dict() if fairness is not None else None,
        settings={
            "n_bootstraps": int(n_bootstraps),
            "confidence_level": float(confidence_level),
            "random_state": (
                random_state if isinstance(random_state, (int, type(None))) else "custom"
            ),
            "min_group_size": int(min_group_size),
            "skmed_version": __version__,
        },
    )


def _draw_figures(
    checked, classes, threshold, model, n_bootstraps, confidence_level, random_state, notes
) -> dict[str, str]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        notes.append("Figures skipped: matplotlib is not installed (pip install 'skmed[plot]').")
        return {}
    from skmed import plotting

    y = classes[checked.y_idx]
    proba = checked.proba
    pos = classes[checked.pos] if checked.binary else None
    kw = dict(classes=classes, pos_label=pos)
    figs = {
        "roc": lambda ax: plotting.plot_roc(
            y,
            proba,
            **kw,
            n_bootstraps=min(n_bootstraps, 500),
            confidence_level=confidence_level,
            random_state=random_state,
            ax=ax,
        ),
        "precision_recall": lambda ax: plotting.plot_precision_recall(y, proba, **kw, ax=ax),
        "calibration": lambda ax: plotting.plot_calibration(y, proba, **kw, ax=ax),
        "confusion_matrix": lambda ax: plotting.plot_confusion_matrix(
            y, proba, **kw, threshold=threshold if checked.binary else None, ax=ax
        ),
    }
    if checked.binary:
        figs["decision_curve"] = lambda ax: plotting.plot_decision_curve(y, proba, **kw, ax=ax)
    if model is not None:
        try:
            history = plotting._find_history(model)
        except ValueError:
            history = None
        if history and history.get("loss"):
            figs["training"] = lambda ax: plotting.plot_training_history(model, ax=ax)
    return {name: _figure_png(draw) for name, draw in figs.items()}
