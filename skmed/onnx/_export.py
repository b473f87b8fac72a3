""":func:`to_onnx`: export a fitted MedicalMLPClassifier, or a pipeline ending in one, to ONNX."""

from __future__ import annotations

import json
import os
from typing import Any

import onnx

from skmed._card import CARD_KEY, check_card
from skmed._schema import Schema, schema_from_sample
from skmed.onnx._graph import cast_inputs, rewrite_imputers, split_matrix_input
from skmed.onnx._metadata import (
    checked_user_metadata,
    opset,
    reference_rows,
    reference_target_labels,
    set_metadata,
)
from skmed.onnx._parity import check_parity_or_raise
from skmed.onnx._profile import build_profile
from skmed.onnx._steps import SUPPORTED_PREPROCESSING, adapt_steps, check_steps, refuse_patient_rows
from skmed.onnx._survival import SurvivalHead, check_survival_parity, is_survival, split_survival
from skmed.onnx._wrappers import ExportHead, Steps, split_model

Head = ExportHead | SurvivalHead


def to_onnx(
    model: Any,
    X_sample: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    target_opset: int | None = None,
    metadata: dict[str, Any] | None = None,
    model_card: dict[str, Any] | None = None,
    reference_data: Any = "sample",
    reference_target: Any = None,
    optional_columns: Any = None,
    allow_patient_rows: bool = False,
    check: bool = True,
) -> onnx.ModelProto:
    """Export a fitted model, with its preprocessing, as one ONNX graph.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skmed.MedicalMLPClassifier`, or a scikit-learn / imbalanced-learn
        ``Pipeline`` ending in one (samplers are left out: they act only in ``fit``). The
        classifier may be wrapped in ``CalibratedClassifierCV``, ``FixedThresholdClassifier``,
        ``TunedThresholdClassifierCV`` or ``FrozenEstimator``; a scikeras ``KerasClassifier`` of
        Dense / Dropout / BatchNormalization / Activation layers works in its place.
    X_sample : pandas.DataFrame or array-like of shape (n_samples, n_features)
        A few rows of training data. A frame gives one graph input per column, typed float,
        int64, bool or string from its dtype; an array gives one float input ``X``. The rows are
        also used to check the exported graph against ``model``.
    path : str or path-like, default=None
        Where to write the ``.onnx`` file, if anywhere.
    target_opset : int, default=None
        ONNX opset (>= 13); the newest opset skl2onnx supports by default.
    metadata : dict, default=None
        Free-form entries stored in the file's ``metadata_props`` (values that are not strings
        are stored as JSON). Keys may not be one of skmed's own keys.
    model_card : dict, default=None
        The model card (text fields such as ``intended_use``, ``limitations``, ``contact``, and
        under ``"columns"`` per input column a ``label``, ``unit`` and plausible ``range``),
        checked against the model's input columns and stored as JSON under the metadata key
        ``"model_card"``; reports, ``skmed serve`` and ``skmed inspect`` show it. A card in
        ``metadata["model_card"]`` is checked the same way; giving both is an error.
    reference_data : pandas.DataFrame, "sample" or None, default="sample"
        Training rows summarised per column in the ``input_profile`` metadata (for a model
        exported from a frame): counts, the share missing, quantiles and category counts, each
        stored only when at least 10 rows lie behind it, quantiles rounded to 3 significant
        digits, never a row (see :doc:`/serving`). ``"sample"`` summarises ``X_sample``; None
        stores what the pipeline does with each column (its categories, whether it imputes)
        but no summary of the data.
    reference_target : array-like of shape (n_reference,), default=None
        The labels of the ``reference_data`` rows (``skmed train`` passes its training labels):
        stored as rows per class, a class with fewer than 10 rows left out, so that
        :func:`skmed.drift.check_drift` can compare a site's outcome rate with the training
        prevalence.
    optional_columns : list of str, default=None
        Columns a request may leave missing (the pipeline imputes them) although the
        ``reference_data`` never miss them. Otherwise such a column -- never missing in at
        least 100 reference rows -- is required at the point of care: the runtime, the server
        and ``skmed predict`` refuse a row without it instead of imputing a value the model
        never had to do without.
    allow_patient_rows : bool, default=False
        A ``KNNImputer`` imputes from its training rows, so its graph holds every one of them
        (its columns): patient data inside the model file. It is refused unless this is True;
        then a warning is issued and the file's ``patient_rows`` metadata says which step holds
        how many rows. A survival model's curves are stored at round times with at least 10
        training events behind each step (no training event time is stored); True stores them
        at every training event time, with the same warning and record.
    check : bool, default=True
        Run the exported graph with onnxruntime on ``X_sample`` and raise if its probabilities
        or labels differ from ``model``'s.

    Returns
    -------
    onnx.ModelProto
        The model, with outputs ``label`` (class labels) and ``probabilities`` (float matrix,
        one column per class) and skmed's metadata.

    Raises
    ------
    ValueError
        If a step cannot be exported (the message names it and lists what is supported), the
        sample does not fit the model, or the exported graph does not reproduce ``model``.
    """
    from skmed.onnx._converter import MIN_OPSET, register

    register()
    if target_opset is not None and target_opset < MIN_OPSET:
        raise ValueError(f"target_opset must be >= {MIN_OPSET}; got {target_opset}.")
    user_metadata = checked_user_metadata(metadata)
    survival = is_survival(model)
    steps, head = (
        split_survival(model, keep_all_times=allow_patient_rows) if survival else split_model(model)
    )
    schema = schema_from_sample(X_sample)
    if model_card is not None or CARD_KEY in user_metadata:
        user_metadata[CARD_KEY] = json.dumps(_card(model_card, user_metadata, schema.columns))
    holding = check_steps(steps)
    if isinstance(head, SurvivalHead) and allow_patient_rows:
        holding.append(("time grid: every training event time", int(head.times.size)))
    if holding:
        refuse_patient_rows(holding, allow_patient_rows, user_metadata)
    steps = adapt_steps(steps, schema)
    reference = reference_rows(reference_data, X_sample)
    if survival and reference_target is not None:
        raise ValueError("reference_target holds class labels; a survival model has none.")
    target = reference_target_labels(reference_target, reference, model)
    onx, schema = convert(steps, head, schema, target_opset)
    optional = _optional_columns(optional_columns, schema)
    if schema.layout == "columns":
        profile = build_profile(steps, schema, reference, target, optional)
        user_metadata["input_profile"] = profile.to_json()
    set_metadata(onx, model, head, schema, user_metadata)
    if check and isinstance(head, SurvivalHead):
        check_survival_parity(onx, model, X_sample)
    elif check:
        check_parity_or_raise(onx, model, X_sample, head)
    if path is not None:
        onnx.save_model(onx, os.fspath(path))
    return onx


def _card(card: Any, user_metadata: dict[str, str], columns: list[str]) -> dict[str, Any]:
    """The card of ``model_card`` (or ``metadata["model_card"]``, a dict or its JSON), checked."""
    if card is None:
        try:
            card = json.loads(user_metadata[CARD_KEY])
        except ValueError:
            card = user_metadata[CARD_KEY]  # plain text: check_card says what it must be
        return check_card(card, columns, where='metadata["model_card"]')
    if CARD_KEY in user_metadata:
        raise ValueError(
            'Pass the model card once: model_card=... or metadata["model_card"], not both.'
        )
    return check_card(card, columns)


def convert(
    steps: Steps, head: Head, schema: Schema, target_opset: int | None
) -> tuple[onnx.ModelProto, Schema]:
    """Convert in float64 where onnxruntime can run it, else with float32 numeric inputs."""
    onx, typed = _convert_as(steps, head, schema, target_opset, "double")
    if loads(onx) is None:
        return onx, typed
    onx, typed = _convert_as(steps, head, schema, target_opset, "float")
    problem = loads(onx)
    if problem is not None:
        raise ValueError(
            f"The exported graph does not load in onnxruntime: {problem}. skmed.to_onnx "
            f"supports {SUPPORTED_PREPROCESSING}."
        )
    return onx, typed


def _convert_as(
    steps: Steps, head: Head, schema: Schema, target_opset: int | None, numeric: str
) -> tuple[onnx.ModelProto, Schema]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
    from sklearn.pipeline import Pipeline

    number = DoubleTensorType if numeric == "double" else FloatTensorType
    schema = schema.with_numeric_kind(numeric)
    model = Pipeline([*steps, ("skmed_classifier", head)]) if steps else head
    starts_with_columns = bool(steps) and type(steps[0][1]).__name__ == "ColumnTransformer"
    if schema.layout == "columns" and starts_with_columns:
        # one input per column; int64 / bool columns are declared numeric and cast below
        types = [
            (spec.name, StringTensorType([None, 1]) if spec.kind == "string" else number([None, 1]))
            for spec in schema.inputs
        ]
    else:
        text = [spec.name for spec in schema.inputs if spec.kind == "string"]
        if text:
            first = steps[0][0] if steps else "the classifier"
            raise ValueError(
                f"Column(s) {text} hold text, but the first step ({first!r}) takes one numeric "
                "matrix. Start the pipeline with a ColumnTransformer that encodes them "
                "(e.g. OneHotEncoder)."
            )
        types = [("X", number([None, schema.n_features]))]
    try:
        onx = convert_sklearn(
            model,
            initial_types=types,
            target_opset=target_opset,
            options={id(head): {"zipmap": False}} if isinstance(head, ExportHead) else None,
        )
    except ValueError:
        raise
    except Exception as exc:  # skl2onnx raises RuntimeError / TypeError / NameError
        raise ValueError(
            f"skl2onnx could not convert the model: {exc}. skmed.to_onnx supports "
            f"{SUPPORTED_PREPROCESSING}."
        ) from exc
    if schema.layout == "columns" and starts_with_columns:
        schema = schema.with_onnx_names([i.name for i in onx.graph.input])
        cast_inputs(onx, schema, numeric)
    elif schema.layout == "columns":
        schema = split_matrix_input(onx, schema, numeric)
    if numeric == "double" and opset(onx) >= 15:
        rewrite_imputers(onx)
    return onx, schema


def loads(onx: onnx.ModelProto) -> str | None:
    """None if onnxruntime can create a session for the model, else its complaint."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    try:
        onnxruntime.InferenceSession(
            onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime's own exception types
        return str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    return None


def _optional_columns(columns: Any, schema: Any) -> tuple[str, ...]:
    """``optional_columns`` as names of the model's input columns (a ValueError names others)."""
    if columns is None:
        return ()
    names = [columns] if isinstance(columns, str) else list(columns)
    if names and schema.layout != "columns":
        raise ValueError("optional_columns names columns; this model takes one matrix X.")
    unknown = [n for n in names if n not in schema.columns]
    if unknown:
        raise ValueError(
            f"optional_columns holds {unknown}, which are not input columns of the model "
            f"({schema.columns})."
        )
    return tuple(names)
