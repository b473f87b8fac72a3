"""What a fitted model is made of: the network inside wrappers, and which raw column each
network input comes from; raw rows to network inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from skmed._columns import require_columns
from skmed._fitted import unwrap
from skmed._sklearn_utils import column_positions


@dataclass
class Anatomy:
    model: Any  # what predict_proba is called on
    preprocess: Any  # fitted transformer before the classifier, or None
    classifier: Any  # the MedicalMLPClassifier
    columns: list[Any]  # raw input columns, in the order the model expects
    named: bool  # True when the model was fitted on a frame with column names


def anatomy(model: Any) -> Anatomy:
    """Split a fitted model into preprocessing and MedicalMLPClassifier; NotFittedError if not.

    Threshold wrappers are looked through (they predict their inner model's probabilities);
    the pipeline, if any, before the network is the preprocessing.
    """
    check_is_fitted(model)
    layers = list(unwrap(model))
    clf = layers[-1].estimator
    pipelines = [layer.estimator for layer in layers if layer.kind == "pipeline"]
    # a calibration or other wrapper changes the probabilities the network gives
    kept = ("threshold", "pipeline")
    unsupported = [layer.estimator for layer in layers[:-1] if layer.kind not in kept]
    unsupported += pipelines[1:]
    if unsupported or not hasattr(clf, "network_"):
        got = unsupported[0] if unsupported else clf
        raise TypeError(
            "Per-patient attributions are computed from the network of a fitted "
            "skmed.MedicalMLPClassifier, alone or as the last step of a Pipeline; got "
            f"{type(got).__name__}."
        )
    pipeline = pipelines[0] if pipelines else None
    preprocess = pipeline[:-1] if pipeline is not None and len(pipeline.steps) > 1 else None
    names = getattr(pipeline if pipeline is not None else clf, "feature_names_in_", None)
    if names is None and preprocess is not None:
        names = getattr(preprocess, "feature_names_in_", None)
    if names is not None:
        columns, named = list(names), True
    else:
        first = preprocess if preprocess is not None else clf
        n_in = getattr(first, "n_features_in_", clf.n_features_in_)
        columns, named = [f"x{i}" for i in range(int(n_in))], False
    return Anatomy(model, preprocess, clf, columns, named)


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
    a = anatomy(model)
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


def check_columns(X: Any, columns: list[Any], what: str) -> None:
    """Raise naming the model's input columns that the frame ``X`` (``what``) lacks."""
    if hasattr(X, "columns"):
        require_columns(columns, X.columns, what="the model's column(s)", where=what)


def as_frame(data: Any, a: Anatomy, what: str) -> Any:
    """A frame (or 2-D array) with the model's input columns, in order."""
    if isinstance(data, dict):
        data = pd.DataFrame([data])
    elif isinstance(data, pd.Series):
        data = pd.DataFrame([data.to_dict()])  # re-infers a dtype per column
    if isinstance(data, pd.DataFrame):
        if a.named:
            check_columns(data, a.columns, what)
            return data[a.columns]
        if data.shape[1] != len(a.columns):
            raise ValueError(
                f"{what.capitalize()} has {data.shape[1]} columns; "
                f"the model needs {len(a.columns)}."
            )
        return data.to_numpy()
    arr = np.asarray(data, dtype=object if a.named else None)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != len(a.columns):
        raise ValueError(
            f"{what.capitalize()} must be a DataFrame, Series or dict with the columns "
            f"{[str(c) for c in a.columns]}; got an array of shape {np.shape(data)}."
        )
    if a.named:
        return pd.DataFrame(arr, columns=a.columns).infer_objects()
    return arr


def to_model_input(frame: Any, a: Anatomy) -> np.ndarray:
    from scipy import sparse

    Xt = a.preprocess.transform(frame) if a.preprocess is not None else frame
    if sparse.issparse(Xt):
        Xt = Xt.toarray()
    return np.asarray(Xt, dtype=np.float64)
