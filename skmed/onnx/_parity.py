"""The exported graph against the Python model: probabilities and labels on the same rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from skmed.onnx._metadata import describe_model
from skmed.onnx._wrappers import ExportHead, split_model

#: Largest difference between the ONNX and Python probabilities accepted by the export check.
CHECK_TOLERANCE = 1e-4


def check_parity(
    onnx_model: onnx.ModelProto | bytes,
    model: Any,
    X: Any,
    *,
    tolerance: float = CHECK_TOLERANCE,
) -> dict[str, float]:
    """Run an exported graph with :class:`skmed.runtime.OnnxClassifier` (or
    :class:`~skmed.runtime.OnnxSurvival`) and compare with Python.

    :func:`skmed.to_onnx` runs this on ``X_sample`` (``check=True``); run it on held-out rows
    to check an export on data the sample did not cover.

    Parameters
    ----------
    onnx_model : onnx.ModelProto or bytes
        The exported model (as :func:`skmed.to_onnx` returns it, or serialized).
    model : estimator
        The fitted model that was exported.
    X : pandas.DataFrame or array-like
        Rows to predict, as ``model`` takes them.
    tolerance : float, default=1e-4
        Largest accepted difference between ONNX and Python probabilities.

    Returns
    -------
    dict
        ``max_abs_diff``: the largest absolute ONNX - Python probability difference;
        for a survival model ``max_abs_diff_risk`` and ``max_abs_diff_survival`` instead
        (and ``n_rows``);
        ``label_agreement``:
        the fraction of rows given the same label; ``n_rows``: the number of rows.

    Raises
    ------
    ValueError
        If the probabilities differ by more than ``tolerance``, or a label differs on a row
        whose decision is not within ``tolerance`` of a tie.
    """
    from skmed.onnx._survival import check_survival_parity, is_survival

    if is_survival(model):  # risks and survival probabilities instead of labels
        return check_survival_parity(onnx_model, model, X, tolerance)
    _, head = split_model(model)
    return check_parity_or_raise(onnx_model, model, X, head, tolerance)


def check_parity_or_raise(
    onnx_model: onnx.ModelProto | bytes,
    model: Any,
    X: Any,
    head: ExportHead,
    tolerance: float = CHECK_TOLERANCE,
) -> dict[str, float]:
    from skmed.runtime import OnnxClassifier

    if isinstance(onnx_model, onnx.ModelProto):
        onnx_model = onnx_model.SerializeToString()
    runtime = OnnxClassifier(onnx_model)
    got_proba = runtime.predict_proba(X)
    want_proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    diff = float(np.max(np.abs(got_proba - want_proba)))
    if not diff <= tolerance:
        raise ValueError(
            f"The exported graph does not reproduce the model: its probabilities differ by up to "
            f"{diff:.3g} on {_rows(X)} (tolerance {tolerance}). Model: {describe_model(model)}."
            + _none_hint(X)
        )
    got, want = runtime.predict(X), np.asarray(model.predict(X))
    differ = np.flatnonzero(got != want)
    if differ.size:
        # a label may flip only where the decision is within rounding of a tie
        margin = _decision_margin(want_proba[differ], head)
        if np.any(margin > tolerance):
            row = int(differ[np.argmax(margin)])
            raise ValueError(
                f"The exported graph does not reproduce the model's labels: row {row} of "
                f"{_rows(X)} is predicted {got[row]!r} by ONNX and {want[row]!r} by Python. "
                f"Model: {describe_model(model)}."
            )
    n_rows = int(got.shape[0])
    return {
        "max_abs_diff": diff,
        "label_agreement": float(n_rows - differ.size) / n_rows,
        "n_rows": n_rows,
    }


def _rows(X: Any) -> str:
    return f"the {len(X)} rows checked" if hasattr(X, "__len__") else "the rows checked"


def _none_hint(X_sample: Any) -> str:
    """Explain the usual cause of a mismatch: None in an object text column."""
    if not hasattr(X_sample, "columns"):
        return ""
    columns = [
        str(c)
        for c in X_sample.columns
        if X_sample[c].dtype == object and any(v is None for v in X_sample[c].tolist())
    ]
    if not columns:
        return ""
    return (
        f" Column(s) {columns} hold None in an object column: scikit-learn's SimpleImputer "
        "treats only NaN as missing and keeps None as a category of its own, while a text input "
        "of the ONNX graph receives None and NaN alike as missing (''). Store text columns with "
        "pandas' 'str' dtype (df[col].astype('str')), or replace None by NaN, and refit."
    )


def _decision_margin(proba: np.ndarray, head: ExportHead) -> np.ndarray:
    if head.threshold is not None:
        return np.abs(proba[:, head.threshold.pos_index] - head.threshold.value)
    if head.costs is not None:
        proba = proba * head.costs
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]
