"""The ONNX file of a model trained by ``skmed demo`` / ``skmed train`` (classifier or survival):
the pipeline's description in the metadata, the training rows summarised in aggregate, and the
notes of any step that holds patient rows."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def export_trained(
    pipeline: Any,
    X_train: Any,
    column_types: Any,
    metadata: dict[str, Any],
    *,
    impute: str,
    n_test: int,
    reference_target: Any = None,
    allow_patient_rows: bool = False,
    model_card: dict[str, Any] | None = None,
    optional_columns: Any = None,
) -> tuple[bytes, list[str]]:
    """The serialized graph of ``pipeline`` and the patient-data warnings of its export.

    ``metadata`` adds to the entries every trained file carries: its feature columns by type,
    the training and test row counts, the imputation and the network's hidden layer sizes.
    ``model_card`` is stored checked (:func:`skmed.to_onnx`'s ``model_card``);
    ``optional_columns`` may be missing at prediction although complete in training.
    """
    from skmed.onnx import to_onnx

    sizes = np.atleast_1d(pipeline[-1].hidden_layer_sizes)
    entries = {
        "numeric_features": column_types.numeric,
        "categorical_features": column_types.categorical,
        "text_features": column_types.text,
        "n_train": int(len(X_train)),
        "n_test": int(n_test),
        "impute": impute,
        "hidden_layer_sizes": [int(s) for s in sizes],
        **metadata,
    }
    # the training rows are summarised in aggregate only (rounded quantiles, counts of >= 10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        onx = to_onnx(
            pipeline,
            X_train.head(200),
            metadata=entries,
            reference_data=X_train,
            reference_target=reference_target,
            allow_patient_rows=allow_patient_rows,
            model_card=model_card or None,
            optional_columns=optional_columns,
        )
    notes = [str(w.message) for w in caught if "patient data" in str(w.message)]
    return onx.SerializeToString(), notes
