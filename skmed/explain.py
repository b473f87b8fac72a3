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

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skmed._missing import is_missing
from skmed._sklearn_utils import column_positions

__all__ = [
    "PatientExplanation",
    "column_importance",
    "explain_patient",
    "feature_sources",
    "partial_dependence_plot",
    "plot_importance",
    "plot_waterfall",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_INSTALL_HINT = "pip install 'skmed[plot]'"

#: Activations whose derivative (or second derivative) jumps at 0: path pieces split there.
_KINKED = ("relu", "elu", "selu")
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ---------------------------------------------------------------------------- model anatomy


@dataclass
class _Anatomy:
    model: Any  # what predict_proba is called on
    preprocess: Any  # fitted transformer before the classifier, or None
    classifier: Any  # the MedicalMLPClassifier
    columns: list[Any]  # raw input columns, in the order the model expects
    named: bool  # True when the model was fitted on a frame with column names


def _anatomy(model: Any) -> _Anatomy:
    """Split a fitted model into preprocessing and MedicalMLPClassifier; NotFittedError if not."""
    from sklearn.pipeline import Pipeline

    check_is_fitted(model)
    outer = model
    # threshold wrappers predict probabilities with their inner, fitted pipeline
    if type(model).__name__ in ("FixedThresholdClassifier", "TunedThresholdClassifierCV"):
        model = model.estimator_
    if isinstance(model, Pipeline):
        clf = model.steps[-1][1]
        preprocess = model[:-1] if len(model.steps) > 1 else None
    else:
        clf, preprocess = model, None
    if not hasattr(clf, "network_"):
        raise TypeError(
            "Per-patient attributions are computed from the network of a fitted "
            "skmed.MedicalMLPClassifier, alone or as the last step of a Pipeline; got "
            f"{type(clf).__name__}."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is None and preprocess is not None:
        names = getattr(preprocess, "feature_names_in_", None)
    if names is not None:
        columns, named = list(names), True
    else:
        first = preprocess if preprocess is not None else clf
        n_in = getattr(first, "n_features_in_", clf.n_features_in_)
        columns, named = [f"x{i}" for i in range(int(n_in))], False
    return _Anatomy(outer, preprocess, clf, columns, named)


def feature_sources(model: Any) -> pd.Series:
    """The raw input column each network input feature comes from.

    Walks the fitted preprocessing (Pipelines, ColumnTransformers -- with ``output_indices_`` --
    and transformers with ``get_feature_names_out``): a scaled or imputed column maps to
    itself, every one-hot feature to its categorical column, a missing-value indicator to the
    column it flags.

    Parameters
    ----------
    model : fitted Pipeline ending in MedicalMLPClassifier, or MedicalMLPClassifier

    Returns
    -------
    pandas.Series
        Indexed by the network's input feature names, values the raw column names.

    Raises
    ------
    ValueError
        If a step mixes columns (e.g. PCA, PolynomialFeatures), so that a feature has no
        single source column.
    """
    a = _anatomy(model)
    names, parents = _step_map(a.preprocess, a.columns)
    sources = [a.columns[p] for p in parents]
    if len(sources) != a.classifier.n_features_in_:
        raise ValueError(
            f"The preprocessing makes {len(sources)} features but the classifier expects "
            f"{a.classifier.n_features_in_}; cannot map its inputs back to the raw columns."
        )
    return pd.Series(
        sources, index=pd.Index([str(n) for n in names], name="feature"), name="column"
    )


def _step_map(step: Any, names: list[Any]) -> tuple[list[Any], list[int]]:
    """Output feature names of a fitted ``step`` and, per output, the index of its input."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return list(names), list(range(len(names)))
    if isinstance(step, Pipeline):
        parents = list(range(len(names)))
        for _, sub in step.steps:
            names, idx = _step_map(sub, names)
            parents = [parents[i] for i in idx]
        return names, parents
    if isinstance(step, ColumnTransformer):
        n_out = max((s.stop for s in step.output_indices_.values()), default=0)
        out_names: list[Any] = [None] * n_out
        out_parents: list[int] = [-1] * n_out
        for name, trans, cols in step.transformers_:
            if isinstance(trans, str) and trans == "drop":
                continue
            block = step.output_indices_.get(name, slice(0, 0))
            if block.stop == block.start:
                continue
            idx = column_positions(cols, names)
            sub_names, sub_parents = _step_map(trans, [names[i] for i in idx])
            if len(sub_names) != block.stop - block.start:
                raise ValueError(
                    f"Transformer {name!r} reports {len(sub_names)} output features but "
                    f"produced {block.stop - block.start}; cannot map them to raw columns."
                )
            out_names[block] = [f"{name}__{n}" for n in sub_names]
            out_parents[block] = [idx[p] for p in sub_parents]
        return out_names, out_parents
    if not hasattr(step, "get_feature_names_out"):
        n_out = getattr(step, "n_features_out_", None)
        if n_out is None or n_out == len(names):  # elementwise step without names
            return list(names), list(range(len(names)))
        raise ValueError(
            f"{type(step).__name__} has no get_feature_names_out, so its outputs cannot be "
            "traced back to the raw columns."
        )
    out = [str(o) for o in step.get_feature_names_out([str(n) for n in names])]
    return out, _match_names(out, [str(n) for n in names], type(step).__name__)


def _match_names(out: list[str], names: list[str], step_name: str) -> list[int]:
    """For each output feature name, the index of the input column it derives from."""
    if len(names) == 1:
        return [0] * len(out)
    lookup = {n: i for i, n in enumerate(names)}
    parents: list[int | None] = []
    for o in out:
        if o in lookup:
            parents.append(lookup[o])
        elif o.startswith("missingindicator_") and o[len("missingindicator_") :] in lookup:
            parents.append(lookup[o[len("missingindicator_") :]])
        else:  # one-hot style "<column>_<category>": the longest column name that prefixes it
            prefixes = [n for n in names if o.startswith(n + "_")]
            parents.append(lookup[max(prefixes, key=len)] if prefixes else None)
    if any(p is None for p in parents):
        if len(out) == len(names):  # renamed one-to-one (e.g. a FunctionTransformer)
            return list(range(len(out)))
        bad = [o for o, p in zip(out, parents) if p is None]
        raise ValueError(
            f"Cannot tell which input column the feature(s) {bad[:5]} made by {step_name} come "
            "from. Explanations map network inputs back to raw columns; steps that mix "
            "columns (e.g. PCA, PolynomialFeatures) are not supported."
        )
    return [int(p) for p in parents]  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- input checks


def _check_columns(X: Any, columns: list[Any], what: str) -> None:
    if not hasattr(X, "columns"):
        return
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"{what} lacks {len(missing)} column(s) the model needs: {[str(c) for c in missing]}."
        )


def _as_frame(data: Any, a: _Anatomy, what: str) -> Any:
    """A frame (or 2-D array) with the model's input columns, in order."""
    if isinstance(data, dict):
        data = pd.DataFrame([data])
    elif isinstance(data, pd.Series):
        data = pd.DataFrame([data.to_dict()])  # re-infers a dtype per column
    if isinstance(data, pd.DataFrame):
        if a.named:
            _check_columns(data, a.columns, what)
            return data[a.columns]
        if data.shape[1] != len(a.columns):
            raise ValueError(
                f"{what} has {data.shape[1]} columns; the model needs {len(a.columns)}."
            )
        return data.to_numpy()
    arr = np.asarray(data, dtype=object if a.named else None)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != len(a.columns):
        raise ValueError(
            f"{what} must be a DataFrame, Series or dict with the columns "
            f"{[str(c) for c in a.columns]}; got an array of shape {np.shape(data)}."
        )
    if a.named:
        return pd.DataFrame(arr, columns=a.columns).infer_objects()
    return arr


def _to_model_input(frame: Any, a: _Anatomy) -> np.ndarray:
    from scipy import sparse

    Xt = a.preprocess.transform(frame) if a.preprocess is not None else frame
    if sparse.issparse(Xt):
        Xt = Xt.toarray()
    return np.asarray(Xt, dtype=np.float64)


# ---------------------------------------------------------------------------- gradients


def _act_grad(name: str, z: np.ndarray, a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product of an activation: g -> g * d act / dz (softmax: full Jacobian)."""
    if name == "linear":
        return g
    if name == "relu":
        return g * (z > 0)
    if name == "sigmoid":
        return g * a * (1.0 - a)
    if name == "tanh":
        return g * (1.0 - a * a)
    if name == "elu":
        return g * np.where(z > 0, 1.0, a + 1.0)
    if name == "selu":
        return g * _SELU_SCALE * np.where(z > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    if name == "silu":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return g * (s + z * s * (1.0 - s))
    if name == "softmax":
        return a * (g - np.sum(g * a, axis=1, keepdims=True))
    raise ValueError(f"Unknown activation {name!r}.")


def _forward_trace(network: list[dict], X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    from skmed._network import _apply

    trace = []
    x = out = np.asarray(X, dtype=np.float64)
    for step in network:
        z = out @ np.asarray(step["kernel"], dtype=np.float64) + np.asarray(
            step["bias"], dtype=np.float64
        )
        if "skip" in step:  # the linear path, from the input straight to the logits
            z = z + x @ np.asarray(step["skip"], dtype=np.float64)
        out = _apply(step["activation"], z.copy())
        trace.append((z, out))
    return trace


def _gradient(network: list[dict], X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Output ``k`` of the network at each row of X and its exact gradient w.r.t. the row."""
    trace = _forward_trace(network, X)
    g = np.zeros_like(trace[-1][1])
    g[:, k] = 1.0
    through_skip = 0.0
    for step, (z, a) in zip(reversed(network), reversed(trace)):
        g = _act_grad(step["activation"], z, a, g)
        if "skip" in step:
            through_skip = g @ np.asarray(step["skip"], dtype=np.float64).T
        g = g @ np.asarray(step["kernel"], dtype=np.float64).T
    return trace[-1][1][:, k], g + through_skip


def _kinks(network: list[dict], x0: np.ndarray, d: np.ndarray, n_grid: int) -> np.ndarray:
    """Points t in (0, 1) where a ReLU-type unit switches on the path x0 + t d."""
    from scipy.optimize import brentq

    grid = np.linspace(0.0, 1.0, n_grid + 1)
    trace = _forward_trace(network, x0 + grid[:, None] * d)
    points: list[float] = []
    for layer, (step, (z, _)) in enumerate(zip(network, trace)):
        if step["activation"] not in _KINKED:
            continue
        on = z > 0
        rows, units = np.nonzero(on[1:] != on[:-1])
        for i, j in zip(rows.tolist(), units.tolist()):

            def pre(t: float, layer: int = layer, j: int = j) -> float:
                return float(
                    _forward_trace(network[: layer + 1], (x0 + t * d)[None, :])[-1][0][0, j]
                )

            lo, hi = grid[i], grid[i + 1]
            points.append(brentq(pre, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return np.unique(np.asarray(points, dtype=np.float64))


def _integrated_gradients(
    network: list[dict], x: np.ndarray, x0: np.ndarray, k: int
) -> tuple[np.ndarray, float, float, float]:
    """IG attributions in model-input space, f(x), f(x0) and the completeness error."""
    d = x - x0
    fx = float(_gradient(network, x[None, :], k)[0][0])
    f0 = float(_gradient(network, x0[None, :], k)[0][0])
    if not np.any(d):
        return np.zeros_like(x), fx, f0, 0.0
    best: tuple[np.ndarray, float] | None = None
    for n_grid, n_nodes in ((128, 24), (512, 48), (2048, 96)):
        edges = np.concatenate([[0.0], _kinks(network, x0, d, n_grid), [1.0]])
        edges = edges[np.concatenate([[True], np.diff(edges) > 0])]
        nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
        lo, hi = edges[:-1, None], edges[1:, None]
        t = (lo + (hi - lo) * (nodes + 1.0) / 2.0).ravel()
        w = ((hi - lo) / 2.0 * weights).ravel()
        _, grads = _gradient(network, x0 + t[:, None] * d, k)
        attr = d * (w @ grads)
        err = abs(float(attr.sum()) - (fx - f0))
        if best is None or err < best[1]:
            best = (attr, err)
        if err <= 1e-9:
            break
    assert best is not None
    return best[0], fx, f0, best[1]


# ---------------------------------------------------------------------------- per patient


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
            return f"{col} = {_fmt_value(value)}{unit} ({attr:+.{digits}f})"

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
        return plot_waterfall(self, ax=ax, top=top)


def _fmt_value(value: Any) -> str:
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


def _baseline_vector(baseline: Any, a: _Anatomy, n_in: int) -> tuple[np.ndarray, str]:
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
    frame = _as_frame(baseline, a, "baseline")
    Xt = _to_model_input(frame, a)
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
    a = _anatomy(model)
    if isinstance(row, pd.DataFrame) and len(row) != 1:
        raise ValueError(
            f"row must hold one patient; got {len(row)} rows. Explain them one by "
            "one (e.g. X.iloc[[i]])."
        )
    frame = _as_frame(row, a, "The patient row")
    if len(frame) != 1:
        raise ValueError(f"row must hold one patient; got {len(frame)}.")
    x = _to_model_input(frame, a)[0]
    network = a.classifier.network_
    classes = a.classifier.classes_
    x0, description = _baseline_vector(baseline, a, x.size)
    proba = _forward_trace(network, x[None, :])[-1][1][0]
    if class_ is None:
        k = int(np.argmax(proba))
    else:
        hits = np.flatnonzero(classes == class_)
        if hits.size != 1:
            raise ValueError(
                f"class_={class_!r} is not a class of the model; classes are {classes.tolist()}."
            )
        k = int(hits[0])
    attr, fx, f0, err = _integrated_gradients(network, x, x0, k)
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


# ---------------------------------------------------------------------------- population


def column_importance(
    model: Any,
    X: Any,
    y: Any,
    *,
    scoring: Any = None,
    n_repeats: int = 10,
    confidence_level: float = 0.95,
    interval: str = "bootstrap",
    random_state: Any = 0,
    n_jobs: int | None = None,
    sample_weight: Any = None,
    max_samples: float = 1.0,
) -> pd.DataFrame:
    """Permutation importance of each original input column, with an interval over repeats.

    :func:`sklearn.inspection.permutation_importance` on the raw frame: each input column is
    shuffled as a whole (so a categorical column's one-hot features move together, and a lab
    moves with its missing-value indicator) and the drop in ``scoring`` is recorded,
    ``n_repeats`` times. Use held-out data: on the training data a model's memorised noise
    looks important.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Any fitted scikit-learn classifier; typically a Pipeline ending in MedicalMLPClassifier.
    X : DataFrame or array-like of shape (n_samples, n_columns)
        Raw held-out features. Only the model's input columns are used (missing ones raise).
    y : array-like of shape (n_samples,)
        True labels.
    scoring : str, callable, list, tuple, dict or None, default=None
        As in scikit-learn; ``None`` uses the model's ``score`` (accuracy). Clinically more
        informative: ``"roc_auc"`` (binary), ``"roc_auc_ovr"``, ``"neg_log_loss"``,
        ``"balanced_accuracy"``. Several metrics give a ``scoring`` column.
    n_repeats : int, default=10
        Permutations per column.
    confidence_level : float in (0, 1), default=0.95
        Coverage of the interval.
    interval : {"t", "percentile"}, default="t"
        ``"t"``: Student-t confidence interval of the mean importance over the repeats
        (uncertainty from the random permutations); ``"percentile"``: the central
        ``confidence_level`` range of the repeats' importances.
    random_state : int, RandomState or None, default=0
        Seeds the permutations.
    n_jobs, sample_weight, max_samples
        Passed to :func:`~sklearn.inspection.permutation_importance`.

    Returns
    -------
    pandas.DataFrame
        One row per input column (per metric), most important first: ``column``,
        ``importance_mean``, ``importance_std``, ``ci_lower``, ``ci_upper``, ``n_repeats``
        (and ``scoring`` with several metrics). Importance is in units of the score.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ValueError
        If X lacks a column the model needs, or an argument is out of range.
    """
    from scipy import stats
    from sklearn.inspection import permutation_importance

    check_is_fitted(model)
    if not (isinstance(n_repeats, Integral) and n_repeats >= 2):
        raise ValueError(f"n_repeats must be an integer >= 2 for an interval; got {n_repeats!r}.")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1); got {confidence_level!r}.")
    if interval not in ("bootstrap", "t", "percentile"):
        raise ValueError(f"interval must be 'bootstrap', 't' or 'percentile'; got {interval!r}.")
    names = getattr(model, "feature_names_in_", None)
    if hasattr(X, "columns"):
        if names is not None:
            _check_columns(X, list(names), "X")
            X = X[list(names)]
        columns = [c for c in X.columns]
    else:
        columns = list(names) if names is not None else [f"x{i}" for i in range(np.shape(X)[1])]
    common = dict(scoring=scoring, n_jobs=n_jobs, max_samples=max_samples)
    if interval == "bootstrap":
        rng = check_random_state(random_state)
        y_arr = np.asarray(y)
        w_arr = None if sample_weight is None else np.asarray(sample_weight)
        runs = []
        for _ in range(n_repeats):
            rows = _stratified_resample(y_arr, rng)
            runs.append(
                _as_dict(
                    permutation_importance(
                        model,
                        _take(X, rows),
                        y_arr[rows],
                        n_repeats=1,
                        random_state=rng.randint(np.iinfo(np.int32).max),
                        sample_weight=None if w_arr is None else w_arr[rows],
                        **common,
                    )
                )
            )
        results = {m: np.hstack([r[m] for r in runs]) for m in runs[0]}
    else:
        results = _as_dict(
            permutation_importance(
                model,
                X,
                y,
                n_repeats=n_repeats,
                random_state=random_state,
                sample_weight=sample_weight,
                **common,
            )
        )
    alpha = 1.0 - confidence_level
    t_quantile = stats.t.ppf(1 - alpha / 2, n_repeats - 1)
    frames = []
    for metric, imp in results.items():
        mean = imp.mean(axis=1)
        sd = imp.std(axis=1, ddof=1)
        if interval == "bootstrap":  # spread of the estimate over resampled patient sets
            lo, hi = mean - t_quantile * sd, mean + t_quantile * sd
        elif interval == "t":  # uncertainty of the mean over shuffles of these patients
            lo, hi = (
                mean - t_quantile * sd / math.sqrt(n_repeats),
                mean + t_quantile * sd / math.sqrt(n_repeats),
            )
        else:
            lo, hi = np.quantile(imp, [alpha / 2, 1 - alpha / 2], axis=1)
        frame = pd.DataFrame(
            {
                "column": columns,
                "importance_mean": mean,
                "importance_std": sd,
                "ci_lower": lo,
                "ci_upper": hi,
                "n_repeats": n_repeats,
            }
        )
        if metric is not None:
            frame.insert(0, "scoring", metric)
        frames.append(frame.sort_values("importance_mean", ascending=False, kind="stable"))
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(
        confidence_level=confidence_level,
        interval=interval,
        scoring=scoring if isinstance(scoring, (str, type(None))) else "custom",
    )
    return out


def _as_dict(result: Any) -> dict[Any, np.ndarray]:
    """permutation_importance output as {metric (None if one): importances array}."""
    if "importances" in result:
        return {None: np.asarray(result["importances"], dtype=np.float64)}
    return {m: np.asarray(r["importances"], dtype=np.float64) for m, r in result.items()}


def _stratified_resample(y: np.ndarray, rng: Any) -> np.ndarray:
    """Row indices drawn with replacement within each class (class counts kept)."""
    _, codes = np.unique(y.astype(str) if y.dtype == object else y, return_inverse=True)
    parts = [
        rng.choice(np.flatnonzero(codes == c), size=int(np.sum(codes == c)))
        for c in range(codes.max() + 1)
    ]
    return np.sort(np.concatenate(parts))


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


def partial_dependence_plot(
    model: Any,
    X: Any,
    columns: Any,
    *,
    target: Any = None,
    kind: str = "both",
    centered: bool = False,
    grid_resolution: int = 50,
    subsample: int | float = 200,
    random_state: Any = 0,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Partial dependence (average) and ICE (per patient) curves of chosen raw columns.

    :meth:`sklearn.inspection.PartialDependenceDisplay.from_estimator` on the raw frame, with
    text columns declared categorical (they get the average bar chart only: ICE lines are not
    drawn for categories).

    Parameters
    ----------
    model : fitted classifier or Pipeline
    X : DataFrame
        Raw features (e.g. the held-out set).
    columns : str or list of str
        Columns to plot, one panel each.
    target : label, default=None
        Class whose probability is shown; required for multiclass models. Binary models show
        the probability of ``classes_[1]``.
    kind : {"average", "individual", "both"}, default="both"
        PD curve, ICE curves, or both.
    centered, grid_resolution, subsample, random_state, ax, **kwargs
        Passed to ``from_estimator``.

    Returns
    -------
    sklearn.inspection.PartialDependenceDisplay

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ValueError
        If a column does not exist in X, or a multiclass target is missing or unknown.
    ImportError
        If matplotlib is not installed.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    from sklearn.inspection import PartialDependenceDisplay

    check_is_fitted(model)
    _require_matplotlib()
    if not isinstance(X, pd.DataFrame):
        raise ValueError("partial_dependence_plot needs X as a DataFrame (raw columns by name).")
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in X.columns]
    if missing:
        raise ValueError(
            f"Column(s) {missing} are not in X; its columns are {[str(c) for c in X.columns]}."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        _check_columns(X, list(names), "X")
        X = X[list(names)]
        unused = [c for c in cols if c not in list(names)]
        if unused:
            raise ValueError(f"Column(s) {unused} are not inputs of the model.")
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) > 2 and (target is None or target not in list(classes)):
        raise ValueError(
            f"For a multiclass model pass target= one of {list(classes)}; got {target!r}."
        )
    categorical = [c for c in X.columns if not (is_numeric_dtype(X[c]) or is_bool_dtype(X[c]))]
    kinds = [("average" if c in categorical else kind) for c in cols]
    return PartialDependenceDisplay.from_estimator(
        model,
        X,
        cols,
        categorical_features=categorical or None,
        target=target,
        kind=kinds if len(set(kinds)) > 1 else kinds[0],
        centered=centered,
        grid_resolution=grid_resolution,
        subsample=subsample,
        random_state=random_state,
        ax=ax,
        **kwargs,
    )


# ---------------------------------------------------------------------------- plots


def _require_matplotlib() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skmed.explain plots need matplotlib, which is not installed. Install it with "
            f"`{_INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


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
    plt = _require_matplotlib()
    frame = importance
    missing = {"column", "importance_mean", "ci_lower", "ci_upper"} - set(frame.columns)
    if missing:
        raise ValueError(f"importance must be column_importance() output; lacks {sorted(missing)}.")
    if "scoring" in frame.columns:
        chosen = frame["scoring"].iloc[0] if scoring is None else scoring
        frame = frame[frame["scoring"] == chosen]
    frame = frame.sort_values("importance_mean", ascending=False, kind="stable")
    if top is not None:
        frame = frame.head(int(top))
    frame = frame.iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.35 * len(frame) + 1.2))
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
    plt = _require_matplotlib()
    frame = explanation.to_frame()
    head, rest = frame.iloc[: int(top)], frame.iloc[int(top) :]
    labels = [f"{c} = {_fmt_value(v)}" for c, v in head["value"].items()]
    steps = list(head["attribution"].to_numpy(dtype=float))
    if len(rest):
        labels.append(f"{len(rest)} other column(s)")
        steps.append(float(rest["attribution"].sum()))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.4 * len(steps) + 1.6))
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
