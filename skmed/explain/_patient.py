"""One patient's prediction attributed to the raw input columns."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skmed._missing import is_missing

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from skmed.explain._anatomy import Anatomy, anatomy, as_frame, feature_sources, to_model_input
from skmed.explain._gradients import forward_trace, integrated_gradients


@dataclass
class PatientExplanation:
    """Why the model gave one patient its score: attributions per raw input column.

    Attributes
    ----------
    attributions : pandas.Series
        Contribution of each raw input column to ``score - baseline_score`` (probability
        units), in the model's column order. They sum to that difference (completeness).
    values : pandas.Series
        The patient's raw values of those columns.
    score : float
        Predicted probability of ``class_`` for the patient.
    baseline_score : float
        Predicted probability of ``class_`` at the baseline.
    class_ : label
        The explained class.
    baseline : str
        What the baseline is.
    feature_attributions : pandas.Series
        The same attributions per network input feature (before summing per raw column).
    completeness_error : float
        ``|attributions.sum() - (score - baseline_score)|`` as computed (rounding level).
    method : str
        How the attributions were computed.
    top : int
        Default number of columns named by :meth:`summary`.
    """

    attributions: pd.Series
    values: pd.Series
    score: float
    baseline_score: float
    class_: Any
    baseline: str
    feature_attributions: pd.Series
    completeness_error: float
    method: str = "integrated gradients (exact network gradients, piecewise Gauss-Legendre)"
    top: int = 5

    def to_frame(self) -> pd.DataFrame:
        """One row per raw column: ``value`` and ``attribution``, largest effect first."""
        frame = pd.DataFrame({"value": self.values, "attribution": self.attributions})
        order = self.attributions.abs().sort_values(ascending=False, kind="stable").index
        return frame.loc[order]

    def summary(
        self, top: int | None = None, *, units: dict[str, str] | None = None, digits: int = 2
    ) -> str:
        """A sentence for the clinician, e.g.

        ``"P(pneumonia) = 0.71 vs baseline 0.18. Raised by: crp = 85 mg/L (+0.21), age = 71
        (+0.08). Lowered by: temperature = 36.9 (-0.03)."``

        Parameters
        ----------
        top : int, default=None
            Name at most this many columns, the largest effects (default: ``self.top``).
        units : dict of str to str, default=None
            Unit printed after a column's value, e.g. ``{"crp": "mg/L"}``.
        digits : int, default=2
            Decimals of probabilities and attributions.
        """
        top = self.top if top is None else int(top)
        units = units or {}
        tiny = 0.5 * 10.0 ** (-digits)
        frame = self.to_frame()
        frame = frame[frame["attribution"].abs() >= tiny].head(top)

        def item(col: Any, value: Any, attr: float) -> str:
            unit = f" {units[str(col)]}" if str(col) in units else ""
            return f"{col} = {format_value(value)}{unit} ({attr:+.{digits}f})"

        up = [item(c, r.value, r.attribution) for c, r in frame.iterrows() if r.attribution > 0]
        down = [item(c, r.value, r.attribution) for c, r in frame.iterrows() if r.attribution < 0]
        text = (
            f"P({self.class_}) = {self.score:.{digits}f} vs baseline "
            f"{self.baseline_score:.{digits}f}."
        )
        text += " Raised by: " + (", ".join(up) if up else "nothing notable") + "."
        text += " Lowered by: " + (", ".join(down) if down else "nothing notable") + "."
        return text

    def __str__(self) -> str:
        return self.summary()

    def plot(self, *, ax: Any = None, top: int = 10) -> Figure:
        """:func:`plot_waterfall` of this explanation."""
        from skmed.explain._plots import plot_waterfall

        return plot_waterfall(self, ax=ax, top=top)


def format_value(value: Any) -> str:
    if is_missing(value):
        return "missing"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"
    return str(value)


def _baseline_vector(baseline: Any, a: Anatomy, n_in: int) -> tuple[np.ndarray, str]:
    if baseline is None:
        return np.zeros(n_in), (
            "the all-zero network input (with standardized numbers and one-hot categories: "
            "every number at its training mean, no category set)"
        )
    if isinstance(baseline, np.ndarray) or (isinstance(baseline, (list, tuple)) and not a.named):
        vec = np.asarray(baseline, dtype=np.float64).ravel()
        if vec.size != n_in:
            raise ValueError(
                f"A numeric baseline is a point of the network's input space and needs "
                f"{n_in} values; got {vec.size}. Pass reference patients as a DataFrame."
            )
        return vec, "the given point of the network's input space"
    frame = as_frame(baseline, a, "baseline")
    Xt = to_model_input(frame, a)
    if len(Xt) == 0:
        raise ValueError("baseline has no rows.")
    if len(Xt) == 1:
        return Xt[0], "the given reference patient"
    return Xt.mean(axis=0), f"the average network input of {len(Xt)} reference patients"


def explain_patient(
    model: Any,
    row: Any,
    *,
    class_: Any = None,
    baseline: Any = None,
    top: int = 5,
) -> PatientExplanation:
    """Attribute one patient's predicted probability to the raw input columns.

    Integrated gradients through the trained network (see the module docstring): exact,
    deterministic, backend-independent, with attributions that sum to
    ``score - baseline_score``.

    Parameters
    ----------
    model : fitted Pipeline ending in MedicalMLPClassifier, or MedicalMLPClassifier
        Threshold wrappers (``FixedThresholdClassifier``, ``TunedThresholdClassifierCV``)
        around such a pipeline are accepted; their probabilities are explained.
    row : one-row DataFrame, Series or dict
        The patient, in raw units, with (at least) every column the model was fitted on.
    class_ : label, default=None
        Class whose probability is explained; default the predicted (most probable) class.
    baseline : None, DataFrame, Series, dict or ndarray, default=None
        What the patient is compared with:

        * ``None``: the all-zero network input. With the standard preprocessing
          (standardized numbers, one-hot categories) that is every numeric column at its
          training mean and no category set -- an abstract reference;
        * a DataFrame of reference patients (e.g. the training data; recommended): the mean
          of their network inputs, the "average patient";
        * one reference patient (one-row DataFrame, Series or dict), e.g. a healthy patient;
        * an ndarray: a point of the network's input space, used as is.
    top : int, default=5
        Number of columns :meth:`PatientExplanation.summary` names by default.

    Returns
    -------
    PatientExplanation

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ValueError
        If ``row`` is not one patient, lacks columns the model needs (they are listed), or
        ``class_`` is not a class of the model.
    TypeError
        If the model does not end in a MedicalMLPClassifier.
    """
    a = anatomy(model)
    if isinstance(row, pd.DataFrame) and len(row) != 1:
        raise ValueError(
            f"row must hold one patient; got {len(row)} rows. Explain them one by "
            "one (e.g. X.iloc[[i]])."
        )
    frame = as_frame(row, a, "the patient row")
    if len(frame) != 1:
        raise ValueError(f"row must hold one patient; got {len(frame)}.")
    x = to_model_input(frame, a)[0]
    network = a.classifier.network_
    classes = a.classifier.classes_
    x0, description = _baseline_vector(baseline, a, x.size)
    proba = forward_trace(network, x[None, :])[-1][1][0]
    if class_ is None:
        k = int(np.argmax(proba))
    else:
        hits = np.flatnonzero(classes == class_)
        if hits.size != 1:
            raise ValueError(
                f"class_={class_!r} is not a class of the model; classes are {classes.tolist()}."
            )
        k = int(hits[0])
    attr, fx, f0, err = integrated_gradients(network, x, x0, k)
    sources = feature_sources(model)
    feature_attr = pd.Series(attr, index=sources.index, name="attribution")
    per_column = feature_attr.groupby(sources.to_numpy(), sort=False).sum()
    per_column = per_column.reindex(a.columns, fill_value=0.0)
    per_column.index.name = "column"
    per_column.name = "attribution"
    values = (
        frame.iloc[0] if isinstance(frame, pd.DataFrame) else pd.Series(frame[0], index=a.columns)
    )
    values = pd.Series(list(values), index=per_column.index, name="value", dtype=object)
    return PatientExplanation(
        attributions=per_column,
        values=values,
        score=fx,
        baseline_score=f0,
        class_=classes[k].item() if hasattr(classes[k], "item") else classes[k],
        baseline=description,
        feature_attributions=feature_attr,
        completeness_error=err,
        top=int(top),
    )
