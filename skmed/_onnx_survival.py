""":class:`OnnxSurvival`: predict with an exported survival model (numpy and onnxruntime only)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from skmed._docstrings import fill_doc
from skmed._onnx_session import SESSION_DOCS, OnnxModel
from skmed._schema import ROWS_DOC
from skmed._step_function import step_functions, values_at

_DOCS = {
    **SESSION_DOCS,
    **ROWS_DOC,
    "return_array": """
        return_array : bool, default=False
            Return the probabilities at ``unique_times_`` (n_samples, n_times) instead of
            one step function per row.
        """,
}


@fill_doc(_DOCS)
class OnnxSurvival(OnnxModel):
    """Predict with a survival model exported by :func:`skmed.to_onnx`, like the Python model.

    The file of a pipeline ending in :class:`~skmed.MedicalMLPSurvival` computes each row's risk
    score and its survival probabilities on the file's time grid (steps of at least 10
    training events, unless the file was exported with ``allow_patient_rows=True``). One session is
    shared; the methods keep no state, so one instance may serve many threads.

    {{session_params}}

    Attributes
    ----------
    unique_times_ : ndarray of shape (n_times,)
        The time grid of the survival probabilities: the file's stored times (see
        :func:`skmed.to_onnx`), not the training event times.
    {{input_attributes}}
    {{input_schema}}

    {{raises}}
    """

    _TASK = "survival"

    def _read_outputs(self, meta: dict[str, str]) -> list[str]:
        self.unique_times_ = np.asarray(json.loads(meta["time_grid"]), dtype=np.float64)
        outputs = json.loads(meta["outputs"])
        return [outputs["risk"], outputs["survival"]]

    @fill_doc(_DOCS)
    def predict(self, X: Any) -> np.ndarray:
        """Risk scores: the log partial hazard (higher = earlier event).

        {{X_rows}}

        Returns
        -------
        risk : ndarray of shape (n_samples,), float64
        """
        (risk,) = self._run(X, self._outputs[:1])
        return np.asarray(risk, dtype=np.float64).reshape(-1)

    @fill_doc(_DOCS)
    def predict_survival_function(self, X: Any, return_array: bool = False) -> Any:
        """Survival probabilities of each row on ``unique_times_``.

        {{X_rows}}
        {{return_array}}

        Returns
        -------
        functions : ndarray of shape (n_samples,) or (n_samples, n_times)
            One step function per row (call it with times: 1 before the first grid time),
            or the probabilities at ``unique_times_``.
        """
        (survival,) = self._run(X, self._outputs[1:])
        survival = np.asarray(survival, dtype=np.float64)
        if return_array:
            return survival
        return step_functions(self.unique_times_, survival, 1.0)

    @fill_doc(_DOCS)
    def predict_survival_at(self, X: Any, times: Any) -> np.ndarray:
        """Survival probabilities of each row at ``times`` (a step function of the grid).

        {{X_rows}}
        times : array-like of shape (n_times,)
            Times >= 0, in the unit of the training times.

        Returns
        -------
        survival : ndarray of shape (n_samples, n_times), float64
        """
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        if times.size == 0:
            raise ValueError("times is empty; give at least one time.")
        survival = self.predict_survival_function(X, return_array=True)
        return values_at(self.unique_times_, survival, times, 1.0)

    def __repr__(self) -> str:
        return (
            f"OnnxSurvival(n_times={self.unique_times_.size}, n_features={self.n_features_in_}, "
            f"estimator={self.metadata.get('estimator')!r})"
        )
