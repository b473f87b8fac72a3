"""Export of a pipeline ending in :class:`~skmed.MedicalMLPSurvival`: parser, shape calculator
and converter of its :class:`SurvivalHead`, and the parity check.

The graph's outputs are ``risk`` ([N], the log partial hazard ``predict`` returns) and
``survival`` ([N, T], ``S(t | x) = exp(-H0(t) exp(risk))`` on the file's time grid
(:mod:`skmed.onnx._time_grid`), stored in its ``time_grid`` metadata). Both are computed in
float64, like the Python model, and output as float32.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import FloatTensorType
from sklearn.base import BaseEstimator

from skmed._compat import ModelComponentContainer, Operator, Scope, Variable
from skmed._fitted import inner_estimator, wrapper_kind
from skmed._profile import MIN_COUNT
from skmed._step_function import values_at
from skmed.neural_network._network import Network
from skmed.onnx._builder import GraphBuilder
from skmed.onnx._registry import Registration, declare_operator
from skmed.onnx._time_grid import export_grid

#: Largest difference between ONNX and Python risks and survival probabilities accepted.
SURVIVAL_TOLERANCE = 1e-5

_ALIAS = "SkmedSurvivalHead"


class SurvivalHead(BaseEstimator):
    """The survival network of an exported pipeline, as the converter writes it (an estimator,
    so that skl2onnx's pipeline parser takes it as a last step)."""

    def __init__(
        self,
        network: Network,
        times: np.ndarray,
        baseline: np.ndarray,
        description: str,
        min_events: int = 1,
    ):
        self.network = network
        self.times = np.asarray(times, dtype=np.float64)
        self.baseline = np.asarray(baseline, dtype=np.float64)
        self.description = description
        self.min_events = min_events

    @property
    def n_features_in_(self) -> int:
        return int(self.network[0]["kernel"].shape[0])

    def metadata_entries(self, onx: Any) -> dict[str, str]:
        """The file's ``task``, ``time_grid`` (with the fewest training events behind each of
        its steps, ``time_grid_min_events``) and ``outputs`` entries."""
        outputs = {"risk": onx.graph.output[0].name, "survival": onx.graph.output[1].name}
        return {
            "task": "survival",
            "time_grid": json.dumps(self.times.tolist()),
            "time_grid_min_events": str(self.min_events),
            "outputs": json.dumps(outputs),
        }


def is_survival(model: Any) -> bool:
    """Whether the last estimator of ``model`` (through pipelines) is a MedicalMLPSurvival."""
    while wrapper_kind(model) in ("pipeline", "frozen"):
        model = inner_estimator(model)
    return type(model).__name__ == "MedicalMLPSurvival"


def split_survival(
    model: Any, name: str = "model", keep_all_times: bool = False
) -> tuple[list[tuple[str, Any]], SurvivalHead]:
    """The preprocessing steps of ``model`` and its :class:`SurvivalHead`, whose curves are on
    the export grid (:func:`~skmed.onnx._time_grid.export_grid`)."""
    kind = wrapper_kind(model)
    if kind == "pipeline":
        kept = [(n, s) for n, s in model.steps if s is not None and s != "passthrough"]
        steps, head = split_survival(kept[-1][1], kept[-1][0], keep_all_times)
        return kept[:-1] + steps, head
    if kind == "frozen":
        return split_survival(inner_estimator(model, kind), name, keep_all_times)
    if not hasattr(model, "unique_times_"):
        raise ValueError(f"MedicalMLPSurvival {name!r} is not fitted; fit it before export.")
    # a model fitted before skmed counted events: every distinct time holds at least one
    counts = getattr(model, "event_counts_", np.ones(model.unique_times_.size, dtype=np.intp))
    grid, min_events = export_grid(model.unique_times_, counts, keep_all_times)
    if not keep_all_times and min_events < MIN_COUNT:
        warnings.warn(
            f"The survival model was trained on {int(np.sum(counts))} events, fewer than "
            f"{MIN_COUNT}: its exported curve is one step.",
            UserWarning,
            stacklevel=4,
        )
    hazard = model.baseline_cumulative_hazard_[None, :]
    baseline = values_at(model.unique_times_, hazard, grid, 0.0)[0]
    return [], SurvivalHead(model.network_, grid, baseline, type(model).__name__, min_events)


# ---------------------------------------------------------------------- skl2onnx hooks


def parse_survival(
    scope: Scope, model: Any, inputs: list[Variable], custom_parsers: Any = None
) -> list[Variable]:
    """One operator with outputs ``risk`` and ``survival``."""
    outputs = {"risk": FloatTensorType(), "survival": FloatTensorType()}
    return declare_operator(scope, _ALIAS, model, inputs, outputs)


def calculate_survival_output_shapes(operator: Operator) -> None:
    """``risk`` is ``[N]``, ``survival`` is ``[N, n_times]``."""
    head: SurvivalHead = operator.raw_operator
    shape = operator.inputs[0].type.shape if len(operator.inputs) == 1 else None
    if shape is None:
        raise ValueError(
            f"{head.description} takes one numeric matrix, but {len(operator.inputs)} inputs "
            "reach it; concatenate them first (e.g. with a ColumnTransformer)."
        )
    width = shape[1] if len(shape) == 2 else None
    if isinstance(width, int) and width != head.n_features_in_:
        raise ValueError(
            f"{head.description} was trained on {head.n_features_in_} features, but the "
            f"preprocessing before it produces {width}."
        )
    operator.outputs[0].type = FloatTensorType([shape[0]])
    operator.outputs[1].type = FloatTensorType([shape[0], head.times.size])


def convert_survival(scope: Scope, operator: Operator, container: ModelComponentContainer) -> None:
    """The network's log hazard, then ``exp(-H0 * exp(risk))`` on the grid, in float64."""
    from skmed.onnx._converter import write_network

    head: SurvivalHead = operator.raw_operator
    g = GraphBuilder(scope, container)
    x = g.op("Cast", [operator.inputs[0].full_name], to=TensorProto.DOUBLE)
    risk = write_network(g, head.network, x)  # [N, 1]
    hazard = g.op("Mul", [g.op("Exp", [risk]), g.const("baseline", head.baseline[None, :])])
    survival = g.op("Exp", [g.op("Neg", [hazard])])
    flat = g.op("Reshape", [risk, g.const("shape", np.array([-1]))])
    g.ops("Cast", [flat], [operator.outputs[0].full_name], to=TensorProto.FLOAT)
    g.ops("Cast", [survival], [operator.outputs[1].full_name], to=TensorProto.FLOAT)


REGISTRATIONS = [
    Registration(
        SurvivalHead,
        _ALIAS,
        calculate_survival_output_shapes,
        convert_survival,
        parser=parse_survival,
    )
]


# ---------------------------------------------------------------------- parity


def check_survival_parity(
    onnx_model: Any,
    model: Any,
    X: Any,
    tolerance: float = SURVIVAL_TOLERANCE,
    times: Any = None,
) -> dict[str, Any]:
    """Run the exported graph with :class:`skmed.runtime.OnnxSurvival` and compare risks and
    survival probabilities with ``model`` at the file's stored times; raise ``ValueError``
    beyond ``tolerance``. With ``times``, also report how far the file's step function is from
    the model's there (``max_abs_diff_at_times``: between stored times it may step later)."""
    from skmed.runtime import OnnxSurvival

    if not isinstance(onnx_model, bytes):
        onnx_model = onnx_model.SerializeToString()
    runtime = OnnxSurvival(onnx_model)
    risk = float(np.max(np.abs(runtime.predict(X) - model.predict(X))))
    got = runtime.predict_survival_function(X, return_array=True)
    functions = model.predict_survival_function(X)
    # the model's step functions at the file's grid (its own grid or a coarser one)
    want = np.stack([f(runtime.unique_times_) for f in functions])
    survival = float(np.max(np.abs(got - want)))
    if not (risk <= tolerance and survival <= tolerance):
        raise ValueError(
            f"The exported graph does not reproduce the survival model on the {len(got)} rows "
            f"checked: risks differ by up to {risk:.3g}, survival probabilities by up to "
            f"{survival:.3g} (tolerance {tolerance})."
        )
    result: dict[str, Any] = {
        "max_abs_diff_risk": risk,
        "max_abs_diff_survival": survival,
        "n_rows": len(got),
        "n_stored_times": int(runtime.unique_times_.size),
    }
    if times is not None:
        between = runtime.predict_survival_at(X, times) - np.stack([f(times) for f in functions])
        result["max_abs_diff_at_times"] = float(np.max(np.abs(between)))
    return result
