"""MLflow flavor for exported skmed models: ``save_model``, ``log_model``, ``load_model``.

An MLflow model saved here holds the ``.onnx`` file written by :func:`skmed.to_onnx` and two
flavors: ``skmed`` (loaded back as :class:`skmed.runtime.OnnxClassifier`) and
``python_function``, whose ``predict`` returns a frame with the label (``predicted_label``)
and one named probability column per class (``proba_<class>``), row for row -- never a
flattened probability array. The signature is built from the model's input schema (each
column's type, and whether it may be missing) and skmed's metadata goes into the MLmodel
``metadata``. Scoring needs onnxruntime, numpy and pandas, never scikit-learn or Keras.

Install with ``pip install "skmed[mlflow]"``.

Examples
--------
>>> import mlflow, skmed.mlflow  # doctest: +SKIP
>>> with mlflow.start_run():  # doctest: +SKIP
...     info = skmed.mlflow.log_model("model.onnx", name="triage")
>>> mlflow.pyfunc.load_model(info.model_uri).predict(frame)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from importlib import metadata as importlib_metadata
from typing import Any

from skmed._profile import may_be_missing
from skmed._site import model_bytes
from skmed.runtime import OnnxClassifier

__all__ = ["FLAVOR_NAME", "LABEL_COLUMN", "PROBA_PREFIX", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "skmed"
#: Output columns of the pyfunc, the same as ``skmed predict`` writes.
LABEL_COLUMN = "predicted_label"
PROBA_PREFIX = "proba_"

_MODEL_FILE = "model.onnx"
_SKIPPED_METADATA = ("inputs", "input_profile", "outputs")
_COLUMN_TYPES = {
    "int64": "long",
    "bool": "boolean",
    "string": "string",
}


def _signature(runtime: OnnxClassifier) -> Any:
    import numpy as np
    from mlflow.models.signature import ModelSignature
    from mlflow.types import ColSpec, Schema, TensorSpec

    schema = runtime.input_schema
    if schema.layout == "matrix":
        (spec,) = schema.inputs
        inputs = Schema([TensorSpec(np.dtype(np.float64), (-1, spec.width))])
    else:
        profile = runtime.input_profile
        columns: list[Any] = []
        for spec in schema.inputs:
            required = not may_be_missing(spec, profile)
            columns.append(ColSpec(_column_type(spec.kind, required), spec.name, required=required))
        inputs = Schema(columns)
    classes = runtime.classes_
    label_type = "string" if classes.dtype.kind in "OUS" else _kind_of(classes.dtype)
    specs: list[Any] = [ColSpec(label_type, LABEL_COLUMN)]
    specs += [ColSpec("double", f"{PROBA_PREFIX}{c}") for c in classes.tolist()]
    outputs = Schema(specs)
    return ModelSignature(inputs=inputs, outputs=outputs)


def _column_type(kind: str, required: bool) -> Any:
    """The MLflow type of an input column, as users' frames hold it.

    ``pd.read_csv`` reads whole numbers as int64 and a column with a blank as float64, and
    MLflow's schema enforcement converts neither int64 to double nor float64 to long. So a
    number column (and an optional integer one) is declared ``Any``: the runtime then checks
    its values itself, naming the row and column, as it does for every other caller.
    """
    from mlflow.types.schema import AnyType

    if kind in ("double", "float") or (kind == "int64" and not required):
        return AnyType()
    return _COLUMN_TYPES[kind]


def _kind_of(dtype: Any) -> str:
    return {"b": "boolean", "f": "double"}.get(dtype.kind, "long")


def _requirements() -> list[str]:
    out = []
    for package in ("skmed", "onnxruntime", "numpy", "pandas", "mlflow"):
        try:
            out.append(f"{package}=={importlib_metadata.version(package)}")
        except importlib_metadata.PackageNotFoundError:
            out.append(package)
    return out


def save_model(
    onnx_model: Any,
    path: str | os.PathLike[str],
    *,
    mlflow_model: Any = None,
    metadata: dict[str, Any] | None = None,
    pip_requirements: list[str] | None = None,
    **kwargs: Any,
) -> None:
    """Save an exported skmed model as an MLflow model directory.

    Parameters
    ----------
    onnx_model : str, path-like, bytes or onnx.ModelProto
        The model written by :func:`skmed.to_onnx` (or its file).
    path : str or path-like
        The directory to create; it must not exist.
    mlflow_model : mlflow.models.Model, default=None
        The MLmodel to add the flavors to (``log_model`` passes its own).
    metadata : dict, default=None
        Extra MLmodel metadata, next to skmed's (under the key ``"skmed"``).
    pip_requirements : list of str, default=None
        The model's requirements; the running skmed, onnxruntime, numpy, pandas and mlflow by
        default.
    **kwargs
        ``signature`` is built from the model's input schema and may not be passed; nor may
        ``input_example``: example rows would be patient rows stored in the model (the
        signature already tells clients every column and type).

    Raises
    ------
    FileExistsError
        If ``path`` exists.
    skmed.runtime.ModelFormatError
        If the model was not written by :func:`skmed.to_onnx`.
    """
    import yaml
    from mlflow import pyfunc
    from mlflow.models import Model

    if kwargs.pop("signature", None) is not None:
        raise ValueError("The signature is built from the model's input schema; do not pass one.")
    if kwargs.pop("input_example", None) is not None:
        raise ValueError(
            "skmed.mlflow stores no input_example: example rows would be patient data in the "
            "model; the signature describes every column."
        )
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"save_model() got unexpected arguments {sorted(kwargs)}.")
    content = model_bytes(onnx_model)
    runtime = OnnxClassifier(content)  # refuses what is not a skmed model, before writing
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path):
        raise FileExistsError(f"{path!r} exists; MLflow models are saved to a new directory.")
    model = mlflow_model if mlflow_model is not None else Model()
    model.signature = _signature(runtime)
    skmed_meta: dict[str, Any] = {
        k: v for k, v in runtime.metadata.items() if k not in _SKIPPED_METADATA
    }
    # what a reader of the MLmodel file needs first: the rule the label column applies, and
    # the model card as data (the file stores both as text)
    skmed_meta["decision"] = runtime.decision.to_dict()
    if "model_card" in skmed_meta:
        skmed_meta["model_card"] = json.loads(skmed_meta["model_card"])
    model.metadata = {**(model.metadata or {}), **(metadata or {}), "skmed": skmed_meta}
    requirements = pip_requirements if pip_requirements is not None else _requirements()
    staging = f"{path}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        with open(os.path.join(staging, _MODEL_FILE), "wb") as handle:
            handle.write(content)
        python = ".".join(platform.python_version_tuple()[:2])
        with open(os.path.join(staging, "requirements.txt"), "w") as handle:
            handle.write("\n".join(requirements) + "\n")
        with open(os.path.join(staging, "python_env.yaml"), "w") as handle:
            yaml.safe_dump(
                {
                    "python": platform.python_version(),
                    "build_dependencies": ["pip"],
                    "dependencies": ["-r requirements.txt"],
                },
                handle,
            )
        with open(os.path.join(staging, "conda.yaml"), "w") as handle:
            yaml.safe_dump(
                {
                    "name": "skmed-model",
                    "channels": ["conda-forge"],
                    "dependencies": [f"python={python}", "pip", {"pip": requirements}],
                },
                handle,
            )
        pyfunc.add_to_model(
            model,
            loader_module="skmed.mlflow",
            data=_MODEL_FILE,
            conda_env="conda.yaml",
            python_env="python_env.yaml",
        )
        model.add_flavor(
            FLAVOR_NAME,
            data=_MODEL_FILE,
            skmed_format=runtime.metadata["skmed_format"],
            skmed_version=runtime.metadata.get("skmed_version", ""),
            classes=json.loads(runtime.metadata["classes"]),
        )
        model.save(os.path.join(staging, "MLmodel"))
        os.replace(staging, path)  # the directory appears whole or not at all
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def log_model(onnx_model: Any, name: str = "model", **kwargs: Any) -> Any:
    """Log an exported skmed model to the active MLflow run (one is started if none is).

    Parameters
    ----------
    onnx_model : str, path-like, bytes or onnx.ModelProto
        The model written by :func:`skmed.to_onnx` (or its file).
    name : str, default="model"
        The logged model's name (MLflow 2: its artifact path).
    **kwargs
        Passed to ``mlflow.models.Model.log`` and :func:`save_model` (e.g.
        ``registered_model_name``, ``metadata``, ``tags``).

    Returns
    -------
    mlflow.models.model.ModelInfo
        Its ``model_uri`` loads the model back.
    """
    import mlflow
    from mlflow.models import Model

    content = model_bytes(onnx_model)
    where = {"name": name} if int(mlflow.__version__.split(".")[0]) >= 3 else {}
    artifact_path = None if where else name
    return Model.log(
        artifact_path=artifact_path,
        flavor=sys.modules[__name__],
        onnx_model=content,
        **where,
        **kwargs,
    )


def _local_path(model_uri: str, dst_path: str | None) -> str:
    from mlflow.artifacts import download_artifacts

    return download_artifacts(artifact_uri=model_uri, dst_path=dst_path)


def load_model(model_uri: str, dst_path: str | None = None) -> OnnxClassifier:
    """Load a model saved by this flavor as :class:`skmed.runtime.OnnxClassifier`.

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<name>``, ``models:/<name>/<version>``, a ``models:/m-...`` id or a
        local directory.
    dst_path : str, default=None
        Where to download the artifacts.
    """
    from mlflow.models import Model

    local = _local_path(model_uri, dst_path)
    flavors = Model.load(os.path.join(local, "MLmodel")).flavors
    if FLAVOR_NAME not in flavors:
        raise ValueError(
            f"{model_uri!r} has no {FLAVOR_NAME!r} flavor (flavors: {sorted(flavors)}); save it "
            "with skmed.mlflow."
        )
    return OnnxClassifier(os.path.join(local, flavors[FLAVOR_NAME]["data"]))


class _PyfuncModel:
    """What ``mlflow.pyfunc.load_model`` wraps: a frame in, a label + probabilities frame out."""

    def __init__(self, runtime: OnnxClassifier) -> None:
        self.runtime = runtime
        self.columns = [LABEL_COLUMN] + [f"{PROBA_PREFIX}{c}" for c in runtime.classes_.tolist()]
        schema, profile = runtime.input_schema, runtime.input_profile
        self.optional = [s.name for s in schema.inputs if may_be_missing(s, profile)]

    def get_raw_model(self) -> OnnxClassifier:
        return self.runtime

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        from skmed._scoring import score_frame

        if self.runtime.input_schema.layout == "matrix" and hasattr(model_input, "to_numpy"):
            model_input = model_input.to_numpy()
        elif hasattr(model_input, "columns"):
            # MLflow passes optional columns the caller left out as absent: they are missing
            absent = [c for c in self.optional if c not in model_input.columns]
            if absent:
                model_input = model_input.assign(**{c: None for c in absent})
        # the label and probabilities alone, on the input's index
        return score_frame(
            self.runtime,
            pd.DataFrame(index=getattr(model_input, "index", None)),
            model_input,
            label_column=LABEL_COLUMN,
            proba_columns=self.columns[1:],
        )


def _load_pyfunc(path: str) -> _PyfuncModel:
    """MLflow's pyfunc loader (``loader_module``): ``path`` is the model file."""
    return _PyfuncModel(OnnxClassifier(path))
