"""Recalibrate an exported model on a site's labelled rows, inside a new ONNX file.

Outcome rates and case mix differ between hospitals, so a model's risks are often off at a new
site even when it still ranks patients well. :func:`skmed.recalibrate` fits, on the site's rows, one
of the two standard updates of the model's own risks and writes a **new** file with the update
applied inside the graph, after the network's probabilities (the original file is never
modified):

* ``"intercept"`` (recalibration in the large): ``logit p' = a + logit p``; for several classes
  one intercept per class on the log-probabilities (multinomial, first class as reference).
  The ranking is unchanged, so the AUC is too; on the fitting rows the mean risk equals the
  observed rate of every class.
* ``"logistic"``: ``logit p' = a + b logit p`` (intercept and slope); for several classes the
  multinomial logistic recalibration of Van Hoorde et al. (2014), each class's log-odds against
  the first class regressed on all of them.

Both are maximum-likelihood fits (Newton's method). The label output keeps the model's decision
rule (its threshold is a risk, and now applies to the recalibrated risk; costs weigh the
recalibrated risks): :attr:`Recalibrated.decision` says so with the share of the site's rows
each class is given before and after, and a :class:`PredictionShareWarning` is raised when a
class the site has stops being predicted (under 1% of its rows). The new file's
``recalibration`` metadata records the parent file's SHA-256, the method, the coefficients, the
rows and events used and the date; the new probabilities are checked against the same update
computed in numpy on the parent's probabilities before anything is written.
"""

from __future__ import annotations

import datetime
import json
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skmed._recalibrated_rule import decision_record
from skmed._site import load_model, site_labels
from skmed.runtime import OnnxClassifier

__all__ = ["METHODS", "PredictionShareWarning", "Recalibrated", "Recalibration", "recalibrate"]

#: The recalibration methods.
METHODS = ("intercept", "logistic")

#: Probabilities are clipped from below before the logarithm (in numpy and in the graph).
_EPS = 1e-15
_PARITY_ATOL = 1e-5


class PredictionShareWarning(UserWarning):
    """After recalibration the kept decision rule (almost) never predicts a class the site's
    rows hold: the threshold or costs were chosen for the old risks."""


@dataclass(frozen=True)
class Recalibration:
    """A fitted update of the risks: ``softmax(log(p) @ weights + bias)``.

    Attributes
    ----------
    method : {"intercept", "logistic"}
    weights : ndarray of shape (n_classes, n_classes)
    bias : ndarray of shape (n_classes,)
    intercept, slope : float or None
        For two classes, ``a`` and ``b`` in ``logit p' = a + b logit p`` (slope 1 for
        ``"intercept"``).
    """

    method: str
    weights: np.ndarray
    bias: np.ndarray
    intercept: float | None = None
    slope: float | None = None

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """The recalibrated probabilities of ``proba`` (rows summing to one)."""
        z = np.log(np.maximum(np.asarray(proba, dtype=np.float64), _EPS))
        eta = z @ self.weights + self.bias
        eta -= eta.max(axis=1, keepdims=True)
        e = np.exp(eta)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class Recalibrated:
    """The result of :func:`skmed.recalibrate`.

    Attributes
    ----------
    model_bytes : bytes
        The new ONNX file.
    recalibration : Recalibration
    provenance : dict
        What the file's ``recalibration`` metadata holds.
    runtime : skmed.runtime.OnnxClassifier
        The new file, loaded.
    proba_before, proba_after : ndarray of shape (n_samples, n_classes)
        The parent's and the new file's probabilities on the fitting rows.
    decision : dict
        What the update does to the labels: ``rule`` (the kept rule's sentence), ``note`` (one
        sentence for a person), and ``share_before`` / ``share_after`` / ``share_observed``
        (each class's share of the fitting rows: labelled by the parent, by the new file, and
        in the site's outcomes). Also stored in the file's ``recalibration`` metadata.
    """

    model_bytes: bytes
    recalibration: Recalibration
    provenance: dict[str, Any]
    runtime: OnnxClassifier
    proba_before: np.ndarray = field(repr=False)
    proba_after: np.ndarray = field(repr=False)

    @property
    def decision(self) -> dict[str, Any]:
        """The kept decision rule and each class's predicted share before and after."""
        return self.provenance["decision"]

    def save(self, path: Any) -> None:
        """Write the new file (whole or not at all)."""
        from skmed._io import atomic_write

        with atomic_write(path, "wb") as handle:
            handle.write(self.model_bytes)

    def report(self, X: Any, y: Any, *, plots: bool = True, **kwargs: Any) -> Any:
        """The clinical report of the new file on ``X, y``, with calibration before and after.

        Parameters
        ----------
        X, y
            The rows the recalibration was fitted on (as given to :func:`skmed.recalibrate`).
        plots : bool, default=True
            Draw the figures, the before/after calibration plot among them.
        **kwargs
            Passed to :func:`skmed.evaluate` (``groups``, ``n_bootstraps``, ``random_state``,
            ``title``).

        Returns
        -------
        skmed.report.ClinicalReport
            Its ``recalibration`` holds the file's record and, per reported class, calibration
            intercept, slope and Brier score before and after on these rows (apparent: judge
            the update on other rows of the site).
        """
        from skmed._evaluation import evaluate
        from skmed.calibration import assess_calibration

        kwargs.setdefault("title", "Recalibration report")
        report = evaluate(self.model_bytes, X, y, plots=plots, **kwargs)
        classes = self.runtime.classes_
        labels, _ = site_labels(self.runtime, X, y)
        columns = [1] if len(classes) == 2 else range(len(classes))
        if len(classes) == 2 and self.runtime.decision.pos_label is not None:
            columns = [classes.tolist().index(self.runtime.decision.pos_label)]
        for key, proba in (("before", self.proba_before), ("after", self.proba_after)):
            report.recalibration[key] = {
                str(classes[k]): _calibration(assess_calibration(labels == classes[k], proba[:, k]))
                for k in columns
            }
        if plots and report.figures:
            from skmed.plotting import plot_calibration

            def draw(axes: Any) -> None:
                for ax, proba, title in zip(
                    axes, (self.proba_before, self.proba_after), ("Before", "After")
                ):
                    plot_calibration(labels, proba, classes=classes, ax=ax)
                    ax.set_title(f"{title} recalibration ({self.recalibration.method})")

            report.add_figure(
                "recalibration",
                draw,
                ncols=2,
                caption="Calibration before and after recalibration (the fitting rows)",
            )
        return report


def _calibration(assessment: Any) -> dict[str, float]:
    return {k: float(getattr(assessment, k)) for k in ("intercept", "slope", "brier")}


def _fit_multinomial(
    design: np.ndarray, offset: np.ndarray, y: np.ndarray, n_classes: int
) -> np.ndarray:
    """Maximum likelihood ``beta`` of ``eta_k = offset_k + design @ beta_k`` (k >= 1, eta_0 = 0).

    Newton's method with step halving; raises when the fit does not converge (separation).
    """
    n, d = design.shape
    m = n_classes - 1
    Y = np.zeros((n, n_classes))
    Y[np.arange(n), y] = 1.0
    beta = np.zeros((d, m))

    def loglik(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.concatenate([np.zeros((n, 1)), offset + design @ b], axis=1)
        eta -= eta.max(axis=1, keepdims=True)
        log_p = eta - np.log(np.exp(eta).sum(axis=1, keepdims=True))
        return float((Y * log_p).sum()), np.exp(log_p)

    current, P = loglik(beta)
    for _ in range(100):
        grad = design.T @ (Y[:, 1:] - P[:, 1:])  # (d, m)
        hess = np.empty((m * d, m * d))
        for k in range(m):
            for j in range(m):
                w = P[:, 1 + k] * ((k == j) - P[:, 1 + j])
                hess[k * d : (k + 1) * d, j * d : (j + 1) * d] = (design * w[:, None]).T @ design
        hess += 1e-10 * np.eye(m * d)
        step = np.linalg.solve(hess, grad.T.reshape(-1)).reshape(m, d).T
        for _ in range(30):
            candidate, P_new = loglik(beta + step)
            if candidate >= current - 1e-12:
                break
            step /= 2
        beta, gain = beta + step, candidate - current
        current, P = candidate, P_new
        if abs(gain) < 1e-10 and np.abs(step).max() < 1e-8:
            return beta
    if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 50:
        raise ValueError(
            "The recalibration did not converge: the site's classes are (almost) perfectly "
            "separated by the model's risks. Use more rows, or --method intercept."
        )
    return beta


def fit_recalibration(proba: np.ndarray, y: np.ndarray, method: str) -> Recalibration:
    """Fit ``method`` to probabilities ``proba`` and class indices ``y``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    n, k = proba.shape
    z = np.log(np.maximum(proba.astype(np.float64), _EPS))
    log_odds = z[:, 1:] - z[:, :1]  # each class against the first
    ones = np.ones((n, 1))
    weights, bias = np.zeros((k, k)), np.zeros(k)
    if method == "intercept":
        beta = _fit_multinomial(ones, log_odds, y, k)
        weights[:] = np.eye(k)
        bias[1:] = beta[0]
    else:
        beta = _fit_multinomial(np.hstack([ones, log_odds]), np.zeros((n, k - 1)), y, k)
        slopes = beta[1:]  # (k-1 inputs, k-1 classes)
        bias[1:] = beta[0]
        weights[1:, 1:] = slopes
        weights[0, 1:] = -slopes.sum(axis=0)
    intercept = float(bias[1]) if k == 2 else None
    slope = (1.0 if method == "intercept" else float(weights[1, 1])) if k == 2 else None
    return Recalibration(method, weights, bias, intercept, slope)


def _write_graph(parent: bytes, fitted: Recalibration, provenance: dict[str, Any]) -> bytes:
    """The parent graph with the update inserted after its (float64) probabilities."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(parent)
    meta = {p.key: p.value for p in model.metadata_props}
    outputs = json.loads(meta["outputs"])
    graph = model.graph
    producer = [i for i, n in enumerate(graph.node) if outputs["probabilities"] in n.output]
    cast = graph.node[producer[0]] if producer else None
    if cast is None or cast.op_type != "Cast":
        raise ValueError(
            "The file's probabilities are not computed the way skmed.to_onnx writes them; "
            "re-export the model with this skmed."
        )
    source = cast.input[0]  # the float64 probabilities, also read by the decision rule
    names = {n for node in graph.node for n in [*node.input, *node.output]}
    prefix = "recalibration"
    while any(n.startswith(prefix) for n in names):
        prefix += "_"
    new = f"{prefix}_probabilities"
    for node in graph.node:
        node.input[:] = [new if name == source else name for name in node.input]
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(_EPS), f"{prefix}_eps"),
            numpy_helper.from_array(fitted.weights.astype(np.float64), f"{prefix}_weights"),
            numpy_helper.from_array(fitted.bias.astype(np.float64), f"{prefix}_bias"),
        ]
    )
    nodes = [
        helper.make_node("Max", [source, f"{prefix}_eps"], [f"{prefix}_clipped"]),
        helper.make_node("Log", [f"{prefix}_clipped"], [f"{prefix}_log"]),
        helper.make_node("MatMul", [f"{prefix}_log", f"{prefix}_weights"], [f"{prefix}_mixed"]),
        helper.make_node("Add", [f"{prefix}_mixed", f"{prefix}_bias"], [f"{prefix}_logits"]),
        helper.make_node("Softmax", [f"{prefix}_logits"], [new], axis=1),
    ]
    position = next(i for i, n in enumerate(graph.node) if source in n.output) + 1
    for offset, node in enumerate(nodes):
        node.name = f"{prefix}_{node.op_type}"
        graph.node.insert(position + offset, node)
    meta["recalibration"] = json.dumps(provenance)
    # the rule is kept; where it came from says so (skmed inspect, evaluate and the server)
    chosen = meta.get("decision_source", "")
    kept = f"kept after {provenance['method']} recalibration ({provenance['date'][:10]})"
    meta["decision_source"] = f"{chosen}; {kept}" if chosen else kept
    onnx.helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def recalibrate(model: Any, X: Any, y: Any, *, method: str = "logistic") -> Recalibrated:
    """Fit a recalibration on a site's labelled rows and build the updated ONNX file.

    Parameters
    ----------
    model : str, path-like or bytes
        A file written by :func:`skmed.to_onnx` (or by an earlier :func:`skmed.recalibrate`).
    X : pandas.DataFrame
        The site's rows, with the model's columns.
    y : array-like of shape (n_samples,)
        Their true labels; every class of the model must occur.
    method : {"intercept", "logistic"}, default="logistic"

    Returns
    -------
    Recalibrated
        The new file's bytes (``save`` writes them), the fit, its provenance, and the
        probabilities before and after on these rows.

    Raises
    ------
    ValueError
        For an unknown method, labels the model does not know, a class absent from ``y``, rows
        the model cannot take, a fit that does not converge, or a new graph whose
        probabilities differ from the update computed in numpy.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    runtime, parent, sha256 = load_model(model)
    if not isinstance(runtime, OnnxClassifier):
        raise ValueError(
            "recalibrate updates a classifier's risks; the model holds a survival model "
            f"({type(runtime).__name__})."
        )
    labels, rows = site_labels(runtime, X, y)
    proba = runtime.predict_proba(rows).astype(np.float64)
    index = {c: i for i, c in enumerate(runtime.classes_.tolist())}
    y_index = np.array([index[v] for v in labels.tolist()])
    fitted = fit_recalibration(proba, y_index, method)
    import skmed

    counts = np.bincount(y_index, minlength=len(index))
    previous = runtime.metadata.get("recalibration")
    provenance = {
        "method": method,
        "parent_sha256": sha256,
        "weights": fitted.weights.tolist(),
        "bias": fitted.bias.tolist(),
        "intercept": fitted.intercept,
        "slope": fitted.slope,
        "n_rows": int(len(y_index)),
        "class_counts": {str(c): int(n) for c, n in zip(runtime.classes_.tolist(), counts)},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "skmed_version": skmed.__version__,
        "previous": json.loads(previous) if previous else None,
    }
    rule = runtime.decision
    classes = runtime.classes_
    # the rule on the new risks, computed as the graph will (checked against it below)
    kept = rule.predict_index(fitted.transform(proba), classes)
    provenance["decision"] = decision_record(
        rule, classes, rule.predict_index(proba, classes), kept, y_index, method
    )
    new_bytes = _write_graph(parent, fitted, provenance)
    new_runtime = OnnxClassifier(new_bytes)
    after = new_runtime.predict_proba(rows).astype(np.float64)
    gap = float(np.abs(after - fitted.transform(proba)).max())
    if not gap <= _PARITY_ATOL:
        raise ValueError(
            f"The recalibrated graph's probabilities differ from numpy's by {gap:.2e} "
            f"(> {_PARITY_ATOL}); nothing was written."
        )
    for warning in provenance["decision"]["warnings"]:
        warnings.warn(warning, PredictionShareWarning, stacklevel=2)
    return Recalibrated(new_bytes, fitted, provenance, new_runtime, proba, after)
