"""The report object: what :func:`~skmed.report.build_report` computed, and its JSON and HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from skmed._docstrings import fill_doc
from skmed._json import jsonable
from skmed.report._base import DOCS, BaseReport
from skmed.report._card import ModelCard
from skmed.report._format import figure_png
from skmed.report._html import performance_sentence, render_html

#: The report's results that its JSON holds as they are, under their own names.
_RESULTS = (
    "metrics",
    "operating_point",
    "calibration",
    "subgroups",
    "importance",
    "drift",
    "comparison",
    "recalibration",
    "sample_size",
    "validation",
    "fairness",
)


@fill_doc(DOCS)
@dataclass
class ClinicalReport(BaseReport):
    """Everything :func:`build_report` computed; render with :meth:`ClinicalReport.to_html` /
    :meth:`ClinicalReport.to_json`.

    Attributes
    ----------
    {{opening_attributes}}
    data_summary : dict
    metrics : pandas.DataFrame
        :func:`~skmed.metrics.clinical_metrics` output.
    operating_point : dict
        ``threshold`` (None for multiclass), ``source``, and the metrics at it.
    calibration : dict
        Per reported class, :meth:`skmed.calibration.CalibrationAssessment.to_dict` output.
    subgroups : pandas.DataFrame or None
        :func:`~skmed.metrics.subgroup_metrics` output.
    {{closing_attributes}}
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

    def results(self) -> dict[str, Any]:
        """The diagnostic results, by JSON key (:meth:`to_dict` adds the common content)."""
        return {
            **{name: getattr(self, name) for name in _RESULTS},
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

    def render_html(self) -> str:
        """The HTML page (what :meth:`to_html` writes)."""
        return render_html(self)

    def add_figure(
        self, name: str, draw: Any, *, ncols: int = 1, caption: str | None = None
    ) -> None:
        """Draw ``draw(axes)`` on a new figure of ``ncols`` panels and add it to the report.

        ``axes`` is one matplotlib Axes, or a list of them when ``ncols > 1``.
        """
        self.figures[name] = figure_png(draw, ncols=ncols)
        if caption is not None:
            self.figure_captions[name] = caption

    def performance_sentence(self) -> str:
        """One sentence of the headline metrics with their intervals (model card, CLI)."""
        return performance_sentence(self)
