"""The symptom-list encoder: list-valued text columns as multi-hot columns."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from skmed._compat import Interval, RealNotInt, StrOptions, check_feature_names_in, fit_context
from skmed._missing import is_missing
from skmed.preprocessing._text import (
    DEFAULT_SEPARATORS,
    cell_tokens,
    one_text_column,
    separator_tuple,
)


class SymptomEncoder(TransformerMixin, BaseEstimator):
    """Encode list-valued text columns (symptom lists) as multi-hot columns.

    Each input column gets its own vocabulary, learned in ``fit``: the symptoms (after
    normalisation and synonyms) present in at least ``min_frequency`` rows. The output has, per
    input column, one column per vocabulary symptom (1.0 if the row mentions it) and, with
    ``handle_unknown="other"``, an ``other`` column counting the row's symptoms that are not in
    the vocabulary (unseen, or too rare in ``fit``). A missing or empty cell gives a row of zeros.

    Works on a pandas frame of text columns or a 2D array of strings, inside a
    ``ColumnTransformer`` next to numeric and categorical columns, and exports to ONNX with
    :func:`skmed.to_onnx` (the model then takes the raw text).

    Parameters
    ----------
    separators : str or sequence of str, default=(";", ",", "/", "\\n")
        Strings that separate symptoms in a cell, applied one after the other.
    lowercase : bool or "unicode", default=True
        ``True`` lowercases the ASCII letters A-Z, exactly as the ONNX graph does on every
        platform. ``"unicode"`` applies Python's ``str.lower`` to every letter (``"FIÈVRE"`` ->
        ``"fièvre"``); it has no portable ONNX translation, so such an encoder does not export.
        ``False`` keeps the case.
    strip_accents : None or "unicode", default=None
        ``"unicode"`` removes accents (``"fièvre"`` -> ``"fievre"``; NFKD decomposition, then
        combining characters dropped) after lowercasing. Not expressible in ONNX: such an encoder
        does not export.
    synonyms : dict of str to str, default=None
        Maps a symptom to its canonical name, e.g. ``{"pyrexia": "fever", "sob": "dyspnoea"}``.
        Keys and values are normalised like the text (case, whitespace), so ``"Pyrexia"`` and
        ``"pyrexia "`` are the same key. Applied once, not transitively. A value ``""`` marks
        a key that is not a symptom (``{"none": "", "nil": ""}``): it is dropped.
    min_frequency : int >= 1 or float in (0, 1), default=1
        A symptom enters the vocabulary if it appears in at least this many rows (int), or this
        fraction of the rows (float), of the training data; rarer ones count as unknown.
    handle_unknown : {"other", "ignore"}, default="other"
        ``"other"`` adds a column per input column counting unknown symptoms; ``"ignore"`` drops
        them.

    Attributes
    ----------
    vocabulary_ : list of ndarray of str
        The vocabulary of each input column, sorted; its order is the order of the output columns.
    symptom_counts_ : list of dict of str to int
        For each input column, the number of training rows mentioning each symptom (canonical
        names, the rare ones included).
    synonyms_ : dict of str to str
        ``synonyms`` with normalised keys and values.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when fitted on a frame with string column names.

    Notes
    -----
    **Case of non-ASCII letters.** ``lowercase=True`` leaves ``"É"`` as it is: ONNX's
    ``StringNormalizer`` lowercases non-ASCII letters only under a named system locale, which
    onnxruntime may not find on the machine that runs the model (and whose rules differ from
    Python's for ``"İ"`` or a final ``"Σ"``). Write the synonyms and expect the vocabulary in the
    case the text uses for such letters, or use ``lowercase="unicode"`` for a Python-only model.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.preprocessing import SymptomEncoder
    >>> X = pd.DataFrame({"symptoms": ["Fever; dry  cough", "pyrexia, HEADACHE", None]})
    >>> enc = SymptomEncoder(synonyms={"pyrexia": "fever"}).fit(X)
    >>> enc.get_feature_names_out().tolist()
    ['symptoms__dry cough', 'symptoms__fever', 'symptoms__headache', 'symptoms__other']
    >>> enc.transform(pd.DataFrame({"symptoms": ["FEVER;rash;itch"]})).tolist()
    [[0.0, 1.0, 0.0, 2.0]]
    """

    _parameter_constraints: dict = {
        "separators": [str, list, tuple],
        "lowercase": ["boolean", StrOptions({"unicode"})],
        "strip_accents": [None, StrOptions({"unicode"})],
        "synonyms": [None, dict],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "handle_unknown": [StrOptions({"other", "ignore"})],
    }

    def __init__(
        self,
        separators: str | Iterable[str] = DEFAULT_SEPARATORS,
        lowercase: bool | str = True,
        strip_accents: str | None = None,
        synonyms: dict[str, str] | None = None,
        min_frequency: int | float = 1,
        handle_unknown: str = "other",
    ) -> None:
        self.separators = separators
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.synonyms = synonyms
        self.min_frequency = min_frequency
        self.handle_unknown = handle_unknown

    # ------------------------------------------------------------------ normalisation

    def _separators(self) -> tuple[str, ...]:
        return separator_tuple(self.separators)

    def _tokens(self, text: str, separators: tuple[str, ...]) -> list[str]:
        return cell_tokens(text, separators, self.lowercase, self.strip_accents)

    def _normalise_synonyms(self, separators: tuple[str, ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in (self.synonyms or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"synonyms must map strings to strings; got {key!r}: {value!r}.")
            keys, values = self._tokens(key, separators), self._tokens(value, separators)
            for name, text, parts in (("key", key, keys), ("value", value, values)):
                if len(parts) > 1 or (name == "key" and not parts):
                    what = "is empty" if not parts else f"contains a separator of {separators!r}"
                    raise ValueError(
                        f"synonyms {name} {text!r} {what} once normalised; each key must be "
                        "one symptom, each value one symptom or '' (not a symptom)."
                    )
            canonical = values[0] if values else ""
            if keys[0] in out and out[keys[0]] != canonical:
                raise ValueError(
                    f"synonyms map {keys[0]!r} to both {out[keys[0]]!r} and {canonical!r}."
                )
            out[keys[0]] = canonical
        return out

    def _cell_symptoms(self, value: Any, column: str, separators: tuple[str, ...]) -> list[str]:
        """Canonical symptoms of one cell (synonyms applied)."""
        if is_missing(value):
            return []
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8")
        elif not isinstance(value, str):
            if isinstance(value, (complex, np.complexfloating)):
                raise ValueError("Complex data not supported by SymptomEncoder.")
            if not isinstance(value, (Real, np.number, np.bool_)):
                raise TypeError(
                    f"SymptomEncoder takes text: column {column!r} holds a "
                    f"{type(value).__name__} value {value!r}."
                )
            value = str(value)
        synonyms = self.synonyms_
        canonical = (synonyms.get(t, t) for t in self._tokens(value, separators))
        return [c for c in canonical if c]

    def _column_symptoms(self, values: np.ndarray, column: str) -> list[list[str]]:
        separators = self._separators()
        cache: dict[Any, list[str]] = {}
        out = []
        for value in values.tolist():
            key = value if isinstance(value, str) else None
            if key is not None and key in cache:
                out.append(cache[key])
                continue
            symptoms = self._cell_symptoms(value, column, separators)
            if key is not None:
                cache[key] = symptoms
            out.append(symptoms)
        return out

    # ------------------------------------------------------------------ fit / transform

    def _validate(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(
            self,
            one_text_column(X),
            dtype=object,
            ensure_all_finite=False,
            reset=reset,
            accept_sparse=False,
        )

    def _column_names(self) -> list[str]:
        return [str(c) for c in check_feature_names_in(self, None)]

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> SymptomEncoder:
        """Learn one vocabulary per column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Text columns; missing values allowed.
        y : None
            Ignored.

        Returns
        -------
        self : SymptomEncoder
        """
        separators = self._separators()
        array = self._validate(X, reset=True)
        self.synonyms_ = self._normalise_synonyms(separators)
        n_samples = array.shape[0]
        if isinstance(self.min_frequency, Integral):
            threshold = int(self.min_frequency)
        else:
            threshold = max(1, math.ceil(self.min_frequency * n_samples - 1e-9))
        self.vocabulary_, self.symptom_counts_ = [], []
        for j, column in enumerate(self._column_names()):
            counts: Counter[str] = Counter()
            for symptoms in self._column_symptoms(array[:, j], column):
                counts.update(set(symptoms))
            self.symptom_counts_.append(dict(sorted(counts.items())))
            vocabulary = sorted(s for s, c in counts.items() if c >= threshold)
            self.vocabulary_.append(np.asarray(vocabulary, dtype=object))
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Multi-hot encode the symptoms of each column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The same text columns as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out), float64
            Per input column: one 0/1 column per vocabulary symptom, then (with
            ``handle_unknown="other"``) the number of unknown symptoms of the row.
        """
        check_is_fitted(self, "vocabulary_")
        array = self._validate(X, reset=False)
        other = self.handle_unknown == "other"
        blocks = []
        for j, column in enumerate(self._column_names()):
            index = {s: i for i, s in enumerate(self.vocabulary_[j].tolist())}
            width = len(index)
            block = np.zeros((array.shape[0], width + int(other)), dtype=np.float64)
            for row, symptoms in enumerate(self._column_symptoms(array[:, j], column)):
                for symptom in symptoms:
                    i = index.get(symptom)
                    if i is not None:
                        block[row, i] = 1.0
                    elif other:
                        block[row, width] += 1.0
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.zeros((array.shape[0], 0))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names: ``<column>__<symptom>``, then ``<column>__other``.

        If ``"other"`` is itself a symptom of the vocabulary, the unknown column is named
        ``<column>__other_`` (underscores added until the name is unique).
        """
        check_is_fitted(self, "vocabulary_")
        columns = check_feature_names_in(self, input_features)
        names: list[str] = []
        for column, vocabulary in zip(columns, self.vocabulary_):
            terms = [str(t) for t in vocabulary.tolist()]
            names.extend(f"{column}__{t}" for t in terms)
            if self.handle_unknown == "other":
                other = "other"
                while other in terms:
                    other += "_"
                names.append(f"{column}__{other}")
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self) -> Any:  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags
