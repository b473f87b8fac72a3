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

:func:`build_survival_report` does the same for a fitted survival network
(:class:`~skmed.MedicalMLPSurvival`, alone or ending a Pipeline) on held-out patients: the
metrics of :func:`skmed.metrics.survival_metrics` with bootstrap intervals, the calibration of
:func:`skmed.metrics.survival_calibration` at each horizon, the time-dependent AUC and
calibration figures, the training curves and the model card, in a :class:`SurvivalReport`
with the same ``to_html``/``to_json``. The predicted survival curves of example patients are
added only with ``example_patients=True``::

    from skmed.report import build_survival_report
    report = build_survival_report(pipe, X_test, y_train, y_test, horizons=[1.0, 3.0])
    report.to_html("survival_report.html")
"""

from skmed.report._build import build_report
from skmed.report._card import ModelCard
from skmed.report._format import SECTIONS
from skmed.report._report import ClinicalReport
from skmed.report._survival import SurvivalReport, build_survival_report

__all__ = [
    "ClinicalReport",
    "ModelCard",
    "SurvivalReport",
    "build_report",
    "build_survival_report",
    "SECTIONS",
]
