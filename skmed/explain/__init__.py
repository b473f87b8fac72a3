"""Why did the model say this: column importance for the population, attributions for one patient.

Global (the population):

* :func:`column_importance` -- permutation importance of each **original input column** of a
  fitted model or pipeline (one row per column of the raw frame, however many one-hot or
  indicator features the preprocessing makes of it), with an interval over the repeats and the
  scoring you choose. Built on :func:`sklearn.inspection.permutation_importance`.
* :func:`partial_dependence_plot` -- partial dependence and ICE curves of chosen columns, a
  thin layer over :meth:`sklearn.inspection.PartialDependenceDisplay.from_estimator`.

Per patient:

* :func:`explain_patient` -- integrated-gradients attributions of one predicted probability to
  the raw input columns, computed from the trained network itself. The attributions sum to
  ``score - baseline_score`` (completeness), and :meth:`PatientExplanation.summary` words them
  ("raised by: crp = 85 (+0.21), ...").

Plots (matplotlib, imported lazily; ``pip install 'skmed[plot]'``): :func:`plot_importance`
(bars with intervals) and :func:`plot_waterfall` (baseline score to patient score). Both take
an ``ax`` so a report can draw them into its own figures.

How the per-patient attributions are computed
---------------------------------------------
The fitted preprocessing (every pipeline step before the final
:class:`~skmed.MedicalMLPClassifier`) turns the patient row ``r`` into the network's input
``x``, and the baseline into ``x0`` in the same space. Integrated gradients attributes
``f(x) - f(x0)``, with ``f`` the probability of the explained class, to input feature ``i`` as

    ``(x_i - x0_i) * integral_0^1 df/dx_i(x0 + t (x - x0)) dt``.

The gradients are exact: they are back-propagated through ``network_`` (the same dense steps,
activations and softmax that ``predict_proba`` runs), in float64 with numpy, whichever Keras
backend trained the model -- no sampling, no randomness, identical inputs give identical
attributions. The integral is evaluated by Gauss-Legendre quadrature on each piece of the path
between the points where a ReLU-type unit switches on or off (located by root finding), so the
integrand is smooth on every piece and completeness holds to rounding error; the achieved
``|sum(attributions) - (score - baseline_score)|`` is reported as ``completeness_error``.
Attributions of the model-input features are then summed per raw column: a one-hot block sums
to its source column, a missing-value indicator belongs to the column it flags. Each sum is the
column's share of the score difference.
"""

from skmed.explain._anatomy import feature_sources
from skmed.explain._patient import PatientExplanation, explain_patient
from skmed.explain._plots import plot_importance, plot_waterfall
from skmed.explain._population import column_importance, partial_dependence_plot

__all__ = [
    "PatientExplanation",
    "column_importance",
    "explain_patient",
    "feature_sources",
    "partial_dependence_plot",
    "plot_importance",
    "plot_waterfall",
]
