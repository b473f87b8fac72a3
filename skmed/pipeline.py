"""The standard clinical pipeline: column typing, preprocessing and a MedicalMLPClassifier.

:func:`infer_column_types` sorts the columns of a frame into numeric and categorical ones,
:func:`prepare_features` gives them the dtypes the pipeline (and the ONNX export) expect, and
:func:`make_clinical_pipeline` builds::

    Pipeline([
        ("preprocess", ColumnTransformer([
            ("numeric", SimpleImputer(strategy="median") -> StandardScaler(), numeric),
            ("categorical", SimpleImputer(strategy="most_frequent")
                            -> OneHotEncoder(handle_unknown="ignore"), categorical),
            ("symptoms", SymptomEncoder(), text),   # list-valued text columns, if any
        ])),
        ("classifier", MedicalMLPClassifier(...)),
    ])

Every step is exportable with :func:`skmed.to_onnx`. ``skmed train`` and ``skmed demo`` use
these functions; they work the same from Python.

Examples
--------
>>> from skmed.datasets import load_diagnosis
>>> from skmed.pipeline import infer_column_types, make_clinical_pipeline, prepare_features
>>> X, y = load_diagnosis(n_samples=300, return_X_y=True)
>>> types = infer_column_types(X)
>>> types.categorical
['sex', 'smoking']
>>> pipe = make_clinical_pipeline(types, epochs=5, random_state=0)
>>> pipe = pipe.fit(prepare_features(X, types), y)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from skmed._compat import StrOptions, validate_params
from skmed._numeric_text import as_tokens, check_numbers, numeric_text, with_missing

__all__ = [
    "ColumnTypes",
    "default_param_grid",
    "infer_column_types",
    "make_clinical_pipeline",
    "prepare_features",
]


@dataclass(frozen=True)
class ColumnTypes:
    """Feature columns by type.

    Attributes
    ----------
    numeric : list of str
        Numbers and booleans: median-imputed and standardized.
    categorical : list of str
        Everything else (text, categories): mode-imputed and one-hot encoded.
    empty : list of str
        Columns with no value at all; left out of the model.
    text : list of str
        List-valued text columns (``"fever; dry cough"``): multi-hot encoded with
        :class:`~skmed.preprocessing.SymptomEncoder`.
    na_values : tuple of str
        Entries read as missing values (``infer_column_types(na_values=...)``);
        :func:`prepare_features` sets them to missing in every feature column.
    """

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    na_values: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        """The model's input columns: numeric, categorical, then list-valued text."""
        return [*self.numeric, *self.categorical, *self.text]


def infer_column_types(
    frame: Any,
    *,
    exclude: Iterable[str] = (),
    categorical: Iterable[str] = (),
    na_values: str | Iterable[str] | None = None,
) -> ColumnTypes:
    """Sort the columns of a frame into numeric and categorical features.

    Numeric and boolean dtypes are numeric; text columns holding lists of short items
    (:func:`skmed.preprocessing.looks_like_symptom_list`) are ``text``; every other dtype
    (``object``, pandas ``str``, ``category``, dates read as text) is categorical. Columns
    holding only missing values are listed in ``empty`` and left out.

    A text column whose present values (blank entries aside) all read as finite numbers is
    numeric. One where at least half do and the other entries are few kinds (``"unknown"``,
    ``"<5"``: at most 3 kinds, or 5% as many as the distinct numbers) or rare (under 5% of the
    values) is numeric with stray entries: an error naming the column, the row's index label
    and the entry, never a categorical column. Name the entries in ``na_values`` to read them
    as missing values, or the column in ``categorical``. A column of codes (``"E11"``,
    ``"I10"`` next to ``"250"``) and a ``category`` column are categorical.

    Parameters
    ----------
    frame : pandas.DataFrame
        The features (it may still hold the target; name it in ``exclude``).
    exclude : iterable of str, default=()
        Columns to leave out, e.g. the target and identifiers.
    categorical : iterable of str, default=()
        Columns to treat as categorical whatever they hold (numbers used as codes, say).
    na_values : str or iterable of str, default=None
        Entries that mean "missing" (``"unknown"``, ``"not done"``, ``"999"``), compared with
        surrounding spaces ignored (numbers as numbers). They are kept in the result, so that
        :func:`prepare_features` sets them to missing too.

    Returns
    -------
    ColumnTypes

    Raises
    ------
    ValueError
        If ``frame`` is not a frame, a name in ``exclude`` or ``categorical`` is not a column,
        a numeric column holds stray entries (naming the column, the row's index label and the
        entry), or no feature column is left.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    from skmed._columns import require_columns
    from skmed.preprocessing import looks_like_symptom_list

    if not (hasattr(frame, "columns") and hasattr(frame, "dtypes")):
        raise ValueError(f"expected a pandas DataFrame; got {type(frame).__name__}.")
    exclude, forced = list(exclude), list(categorical)
    require_columns(exclude, frame.columns, what="exclude names column(s)", where="the frame")
    require_columns(forced, frame.columns, what="categorical names column(s)", where="the frame")
    tokens = as_tokens(na_values)
    numeric, categorical, empty, text = [], [], [], []
    for name in frame.columns:
        if name in exclude:
            continue
        if not isinstance(name, str):
            raise ValueError(f"column names must be strings; got {name!r}.")
        values = with_missing(frame[name], tokens)
        dtype = values.dtype
        if values.isna().all():
            empty.append(name)
        elif name in forced:
            categorical.append(name)
        elif is_bool_dtype(dtype) or is_numeric_dtype(dtype):
            numeric.append(name)
        elif getattr(dtype, "name", "") != "category" and numeric_text(
            values, name, cleared=bool(values.isna().sum() > frame[name].isna().sum())
        ):
            numeric.append(name)  # numbers held as text once na_values are missing
        elif looks_like_symptom_list(values):
            text.append(name)
        else:
            categorical.append(name)
    if not numeric and not categorical and not text:
        raise ValueError(
            "no feature columns left"
            + (f" (columns without any value: {empty})" if empty else "")
            + "; the model needs at least one column besides the target."
        )
    return ColumnTypes(numeric, categorical, empty, text, tokens)


def _as_types(columns: Any) -> ColumnTypes:
    if isinstance(columns, ColumnTypes):
        return columns
    if isinstance(columns, Mapping):
        extra = set(columns) - {"numeric", "categorical", "text", "na_values"}
        if extra:
            raise ValueError(
                "column lists must have keys 'numeric', 'categorical' and/or 'text' (and "
                f"'na_values'); got {sorted(extra)}."
            )
        return ColumnTypes(
            list(columns.get("numeric", [])),
            list(columns.get("categorical", [])),
            text=list(columns.get("text", [])),
            na_values=as_tokens(columns.get("na_values")),
        )
    return infer_column_types(columns)


def prepare_features(frame: Any, columns: ColumnTypes | Mapping[str, Any] | None = None) -> Any:
    """Select the feature columns and give them the dtypes the pipeline expects.

    Numeric columns become float64 (so the exported model accepts missing values in every
    numeric column, integers included; blank text is missing); categorical columns become
    ``object`` columns of text (numbers used as codes become their text, whole numbers without
    a decimal point, missing values stay NaN). The ``na_values`` of ``columns`` are set to
    missing first.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : ColumnTypes or dict, default=None
        The columns to keep; inferred with :func:`infer_column_types` when None.

    Returns
    -------
    pandas.DataFrame
        A new frame with the numeric then the categorical columns.

    Raises
    ------
    ValueError
        If a numeric column holds an entry that is not a number (naming the column, the row's
        index label and the entry).
    """
    import numpy as np
    import pandas as pd

    types = infer_column_types(frame) if columns is None else _as_types(columns)
    out = frame[types.features].copy()
    for name in types.features:
        out[name] = with_missing(out[name], types.na_values)
    for name in types.numeric:
        values = out[name]
        if values.dtype.kind in "biuf":
            out[name] = values.astype(np.float64)
            continue
        out[name] = check_numbers(values, name)
    for name in [*types.categorical, *types.text]:
        values = out[name]
        if values.dtype.kind == "f" and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")  # codes 1, 2 read as 1.0, 2.0 beside missing values
        missing = values.isna().to_numpy()
        text = values.astype(str).to_numpy(dtype=object)
        text[missing] = np.nan
        out[name] = pd.Series(text, index=out.index, dtype=object)
    return out


#: How :func:`make_clinical_pipeline` (and ``skmed train --impute``) imputes numeric columns.
IMPUTERS = ("median", "iterative", "knn")


@validate_params(
    {
        "columns": "no_validation",  # a frame, ColumnTypes or dict, checked by _as_types
        "impute": [StrOptions(set(IMPUTERS))],
        "add_indicator": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_clinical_pipeline(
    columns: Any,
    *,
    impute: str = "median",
    add_indicator: bool = True,
    random_state: Any = None,
    **classifier_params: Any,
) -> Any:
    """Build the preprocessing + MedicalMLPClassifier pipeline for a mixed clinical table.

    Parameters
    ----------
    columns : pandas.DataFrame, ColumnTypes or dict
        A frame of the features (types inferred), or the column lists as :class:`ColumnTypes`
        or ``{"numeric": [...], "categorical": [...]}``.
    impute : {"median", "iterative", "knn"}, default="median"
        How numeric columns are imputed: the training median (``SimpleImputer``), chained
        regressions on the other numeric columns (``IterativeImputer``: ``BayesianRidge``,
        median start, up to 10 rounds), or the mean of the 5 nearest training patients
        (``KNNImputer`` after scaling). All export to ONNX; a ``KNNImputer``'s graph holds the
        training rows, so :func:`skmed.to_onnx` needs ``allow_patient_rows=True`` for it.
    add_indicator : bool, default=True
        Add a missing-value indicator for each numeric column that had missing values in fit
        (``SimpleImputer(add_indicator=True)``): whether a lab was ordered is often as
        predictive as its value. :func:`skmed.to_onnx` exports it.
    random_state : int, default=None
        Seed of the classifier (and of ``IterativeImputer``).
    **classifier_params
        Parameters of :class:`~skmed.MedicalMLPClassifier` (e.g. ``class_weight="balanced"``,
        ``early_stopping=True``).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"preprocess"`` (a ColumnTransformer) and ``"classifier"``; not fitted.
        Grid-search parameters are named ``classifier__<param>``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from skmed.neural_network import MedicalMLPClassifier
    from skmed.preprocessing import SymptomEncoder

    types = _as_types(columns)
    if not types.features:
        raise ValueError("the pipeline needs at least one numeric, categorical or text column.")
    transformers = []
    if types.numeric:
        if impute == "median":
            steps = [
                ("impute", SimpleImputer(strategy="median", add_indicator=add_indicator)),
                ("scale", StandardScaler()),
            ]
        elif impute == "iterative":
            from sklearn.experimental import enable_iterative_imputer  # noqa: F401
            from sklearn.impute import IterativeImputer

            imputer = IterativeImputer(
                initial_strategy="median", add_indicator=add_indicator, random_state=random_state
            )
            steps = [("impute", imputer), ("scale", StandardScaler())]
        else:  # distances need comparable scales: scale first (the scaler ignores NaN)
            from sklearn.impute import KNNImputer

            steps = [
                ("scale", StandardScaler()),
                ("impute", KNNImputer(add_indicator=add_indicator)),
            ]
        numeric = Pipeline(steps)
        transformers.append(("numeric", numeric, list(types.numeric)))
    if types.categorical:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        transformers.append(("categorical", categorical, list(types.categorical)))
    if types.text:
        transformers.append(("symptoms", SymptomEncoder(), list(types.text)))
    return Pipeline(
        [
            ("preprocess", ColumnTransformer(transformers)),
            ("classifier", MedicalMLPClassifier(random_state=random_state, **classifier_params)),
        ]
    )


def default_param_grid() -> dict[str, list[Any]]:
    """A small grid for :class:`~sklearn.model_selection.GridSearchCV` over the pipeline.

    Eight candidates: network size (one layer of 16, or 32 then 16), L2 penalty (1e-4, 1e-2)
    and dropout (0, 0.2) -- the choices that matter most on tabular clinical data of a few
    hundred to a few tens of thousands of rows. Early stopping picks the number of epochs.
    """
    return {
        "classifier__hidden_layer_sizes": [(16,), (32, 16)],
        "classifier__alpha": [1e-4, 1e-2],
        "classifier__dropout": [0.0, 0.2],
    }
