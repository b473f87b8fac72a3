"""Datasets for clinical machine learning, with scikit-learn's loader conventions.

Each loader returns a :class:`sklearn.utils.Bunch` with ``data``, ``target``, ``frame``,
``feature_names``, ``target_names`` and ``DESCR``, or ``(data, target)`` with
``return_X_y=True``. Unlike scikit-learn's own loaders, ``as_frame`` defaults to ``True``:
clinical tables mix numbers, categories and missing values, which a data frame keeps apart.

Nothing here touches the network.
"""

from __future__ import annotations

from importlib import resources
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import Bunch, check_random_state

from skmed._compat import Interval, validate_params
from skmed._survival_target import survival_target
from skmed.datasets import _diagnosis

__all__ = ["load_breast_cancer", "load_diagnosis", "survival_target"]


def _load_descr(name: str) -> str:
    descr = resources.files("skmed.datasets").joinpath("descr").joinpath(name)
    return descr.read_text(encoding="utf-8")


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "as_frame": ["boolean"],
        "return_X_y": ["boolean"],
        "include_symptom_text": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_diagnosis(
    *,
    n_samples: int = 2000,
    random_state: int | np.random.RandomState | None = 0,
    as_frame: bool = True,
    return_X_y: bool = False,
    include_symptom_text: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Generate the synthetic assisted-diagnosis dataset (multiclass, imbalanced, mixed types).

    One row per patient: age, sex and smoking status, five vital signs and five laboratory
    results (with missing values: labs are not always ordered), ten binary symptoms and a
    diagnosis among five imbalanced classes (``healthy`` 45%, ``viral_infection`` 25%,
    ``bacterial_pneumonia`` 12%, ``heart_failure`` 10%, ``anaemia`` 8%). The rows are drawn
    from a documented clinical-style latent model (see ``DESCR``), deterministically for a given
    ``random_state``, without any download. **Synthetic data, not for clinical use.**

    =================   ===========================================
    Classes                                                       5
    Samples total                         ``n_samples`` (2000)
    Features                         23 (24 with symptom text)
    Features types      int, float (with NaN), str (categorical)
    =================   ===========================================

    Parameters
    ----------
    n_samples : int, default=2000
        Number of patients (rows).
    random_state : int, RandomState instance or None, default=0
        Seed of the generator. An int gives the same table on every call and platform.
    as_frame : bool, default=True
        If True, ``data`` is a :class:`pandas.DataFrame` (int64 age and symptoms, float64 labs
        with NaN, string ``sex`` / ``smoking``), ``target`` a string :class:`pandas.Series`
        and ``frame`` holds both. If False, ``data`` is a numpy array of dtype ``object``
        (the columns in ``feature_names`` order, categories left as strings, missing values
        as ``nan``) and ``target`` an object array of the labels: a mixed-type table has no
        float representation, and this is what scikit-learn's ``fetch_openml(...,
        as_frame=False, parser="pandas")`` returns for such data. Encode it (e.g. with a
        :class:`~sklearn.compose.ColumnTransformer` on column indices) before fitting.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    include_symptom_text : bool, default=False
        Add a ``"symptoms"`` column: the present symptoms as free text typed inconsistently by
        a clinician (``"fever; dry cough; headache"``, ``"SOB, Fatigue"``, synonyms, typos,
        missing values). It is rendered from the binary symptom columns; all other columns are
        identical with and without it. Free text has no array representation, so this
        requires ``as_frame=True`` (as ``fetch_openml`` does for STRING attributes).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : {DataFrame, ndarray of object} of shape (n_samples, n_features)
            The features.
        target : {Series, ndarray of object} of shape (n_samples,)
            The diagnosis, as strings.
        frame : DataFrame of shape (n_samples, n_features + 1) or None
            ``data`` and a ``"diagnosis"`` column; None when ``as_frame=False``.
        feature_names : ndarray of str
            The feature column names.
        target_names : ndarray of str
            The five diagnoses, in the documented order (most to least prevalent).
        categorical_features : list of str
            The string-valued categorical columns (``"sex"``, ``"smoking"``).
        numeric_features, binary_features : list of str
            The lab / vital-sign / age columns and the 0/1 symptom columns.
        text_features : list of str
            ``["symptoms"]`` with ``include_symptom_text=True``, else empty.
        DESCR : str
            Full description of the generating model, columns and units.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        If ``include_symptom_text=True`` and ``as_frame=False``.

    Examples
    --------
    >>> from skmed.datasets import load_diagnosis
    >>> X, y = load_diagnosis(return_X_y=True)
    >>> X.shape
    (2000, 23)
    >>> sorted(y.unique())[:2]
    ['anaemia', 'bacterial_pneumonia']
    """
    if include_symptom_text and not as_frame:
        raise ValueError(
            "The free-text 'symptoms' column is not supported for the array representation "
            "(as_frame=False). Use as_frame=True, or include_symptom_text=False."
        )
    rng = check_random_state(random_state)
    X, y = _diagnosis.generate(int(n_samples), rng, include_symptom_text)
    feature_names = list(X.columns)
    numeric = ["age", *_diagnosis.NUMERIC_COLUMNS]
    binary = list(_diagnosis.SYMPTOMS)
    categorical = ["sex", "smoking"]
    text = [_diagnosis.TEXT_COLUMN] if include_symptom_text else []

    if as_frame:
        frame = X.assign(**{_diagnosis.TARGET_NAME: y})
        data, target = X, y
    else:
        frame = None
        data = X.to_numpy(dtype=object, na_value=np.nan)
        target = y.to_numpy(dtype=object)

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=np.asarray(feature_names, dtype=object),
        target_names=np.asarray(_diagnosis.CLASSES, dtype=object),
        numeric_features=numeric,
        binary_features=binary,
        categorical_features=categorical,
        text_features=text,
        DESCR=_load_descr("diagnosis.rst"),
    )


@validate_params(
    {"as_frame": ["boolean"], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_breast_cancer(
    *, as_frame: bool = True, return_X_y: bool = False
) -> Bunch | tuple[Any, Any]:
    """Load the Wisconsin breast cancer dataset that scikit-learn ships, as a frame by default.

    A thin wrapper over :func:`sklearn.datasets.load_breast_cancer` (bundled with
    scikit-learn, no download) that only changes the default of ``as_frame`` to True; the
    values, column names, target coding (0 = malignant, 1 = benign) and ``DESCR`` are
    scikit-learn's.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame of 30 float columns, ``target`` an int Series named
        ``"target"`` and ``frame`` holds both. If False, float and int numpy arrays.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        As :func:`sklearn.datasets.load_breast_cancer`: ``data``, ``target``, ``frame``,
        ``feature_names``, ``target_names`` (``["malignant", "benign"]``), ``DESCR``,
        ``filename`` and ``data_module``; ``(data, target)`` if ``return_X_y`` is True.

    Examples
    --------
    >>> from skmed.datasets import load_breast_cancer
    >>> load_breast_cancer().frame.shape
    (569, 31)
    """
    from sklearn.datasets import load_breast_cancer as _sk_load_breast_cancer

    return _sk_load_breast_cancer(as_frame=as_frame, return_X_y=return_X_y)
