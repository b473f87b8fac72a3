"""Scoring a table: its rows with the predicted label and one probability column per class.

One function, :func:`score_frame`, serves ``skmed predict`` (chunk by chunk), the Dask workers
(partition by partition, and the empty frame that describes the output to Dask) and the MLflow
model. Only numpy is imported here; pandas is imported when a frame is scored, so the runtime
can use this module without loading pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Decimals of the probabilities that ``skmed predict`` (and ``score_dask``'s CSV) writes.
CSV_DECIMALS = 6


def column_inputs(model: Any, who: str) -> list[tuple[str, str]]:
    """``(name, kind)`` of each input column of ``model``, an :class:`OnnxClassifier`.

    Raises
    ------
    ValueError
        If the model takes one numeric matrix (it was exported from an array, not a frame).
    """
    schema = model.input_schema
    if schema.layout != "columns":
        raise ValueError(
            f"{who} needs a model exported from a pandas DataFrame (named columns); this one "
            "takes one numeric matrix without column names."
        )
    return [(spec.name, spec.kind) for spec in schema.inputs]


def prediction_columns(
    classes: Any, label_column: str, proba_prefix: str, existing: Any, source: str
) -> list[str]:
    """The probability columns' names (one per class), refusing names ``existing`` already has.

    Raises
    ------
    ValueError
        If the data (``source``) already has the label column or a probability column.
    """
    proba_columns = [f"{proba_prefix}{c}" for c in classes.tolist()]
    names = set(existing)
    clash = [c for c in [label_column, *proba_columns] if c in names]
    if clash:
        raise ValueError(
            f"{source} already has column(s) {clash}; rename them or choose other names with "
            "--label-column / --proba-prefix (label_column= / proba_prefix=)."
        )
    return proba_columns


def label_dtype(classes: Any) -> Any:
    """A label column's dtype that Arrow can type: pandas' string dtype for text labels (an
    object column has no Arrow type that Parquet writers can infer from Dask's metadata), else
    the classes' dtype."""
    return "string" if classes.dtype == object else classes.dtype


def score_frame(
    model: Any,
    frame: Any,
    X: Any = None,
    *,
    label_column: str,
    proba_columns: list[str],
    dtype: Any = None,
) -> Any:
    """``frame`` with the predicted label and one probability column per class appended.

    Parameters
    ----------
    model : OnnxClassifier
        The model.
    frame : pandas.DataFrame
        The rows; its columns are kept as they are.
    X : dict of columns, frame or array-like, default=None
        What the model predicts, when not ``frame`` itself (e.g. the frame's columns converted
        to the model's input types). An empty ``frame`` without ``X`` (a Dask partition, or the
        metadata Dask is given) gets empty columns of the right types.
    label_column : str
        Name of the label column.
    proba_columns : list of str
        Names of the probability columns, in the order of ``model.classes_``.
    dtype : dtype or str, default=None
        The label column's dtype (e.g. :func:`label_dtype`); by default the labels' own.

    Returns
    -------
    scored : pandas.DataFrame
    """
    import pandas as pd

    if X is None and len(frame) == 0:  # the model refuses an empty batch
        labels = np.empty(0, dtype=model.classes_.dtype)
        proba = np.empty((0, len(proba_columns)), dtype=np.float64)
    else:
        labels, proba = model.predict_with_proba(frame if X is None else X)
    label = labels if dtype is None else pd.array(labels, dtype=dtype)
    return frame.assign(**{label_column: label, **dict(zip(proba_columns, proba.T))})


def prediction_csv(
    scored: Any, proba_columns: list[str], handle: Any = None, *, header: bool = False
) -> str | None:
    """Scored rows as ``skmed predict`` writes them: probabilities rounded to 6 decimals.

    Returns the text when ``handle`` is None (as :meth:`pandas.DataFrame.to_csv`).
    """
    rounded = {
        c: np.round(scored[c].to_numpy(dtype=np.float64), CSV_DECIMALS) for c in proba_columns
    }
    return scored.assign(**rounded).to_csv(handle, header=header, index=False, lineterminator="\n")
