"""Patient-data privacy inside the pipeline: find, drop, pseudonymise and generalise identifiers.

Three protections for medical data, as scikit-learn transformers so that they cannot be
forgotten between training and deployment:

* **finding** direct identifiers -- :func:`scan_identifiers` flags columns that look like names,
  phone numbers, e-mail addresses, national or medical record numbers, full dates (of birth),
  street addresses, postal codes or IP addresses, from the column names and sampled values,
  with the evidence; :func:`check_no_identifiers` is the gate ``skmed train`` runs;
* **de-identification** -- :class:`DropIdentifiers`, keyed pseudonymisation of ID columns
  (:class:`Pseudonymizer`, HMAC-SHA-256 with a secret key supplied at run time and never
  stored), and generalisation of quasi-identifiers (:class:`AgeBands`,
  :class:`DateGeneralizer`, :class:`RareCategoryMerger`), checked with
  :func:`k_anonymity_report`;
* **separation** -- :func:`split_identifiers` splits a table into an identifier table and a
  de-identified feature table joined only by a pseudonymous key.

The transformers work on pandas frames (named, mixed-type columns): a frame in gives a frame
out, with the same row index; a numpy array in gives an array out, its columns named ``x0``,
``x1``, ... . ``set_output(transform="pandas")`` (or ``"polars"``) forces the output container.
Every transformer has ``get_feature_names_out``.

Secret keys
-----------
:class:`Pseudonymizer` and :class:`DateGeneralizer` (``mode="shift"``) need a secret key when
they *transform*. The key is never a constructor parameter: the estimator holds only the
**name** of an environment variable (``key_env``, default ``SKMED_PSEUDONYM_KEY``), read at each
transform, or a key given in memory with ``set_key(key)`` (or :func:`provide_key` for a whole
pipeline). A key given with ``set_key`` survives :func:`sklearn.base.clone` (so grid search in
one process works) but not pickling, joblib or ``copy.deepcopy``: a fitted pipeline written to
disk never contains the key, and needs it again (environment variable or ``set_key``) to
transform. Use a random key of at least 32 bytes, e.g. ``python -c "import secrets;
print(secrets.token_hex(32))"``, kept in a secrets manager; anyone with the key and an
identifier can recompute its pseudonym.

ONNX
----
HMAC, date parsing and text matching have no ONNX operators, and a pseudonymisation key must
never be put into a deployable file, so the privacy steps are not exported:
:func:`skmed.to_onnx` on a pipeline that contains them raises an error naming the step. Export
the model part instead -- :func:`split_privacy_steps` splits the pipeline -- and run the
privacy part where the identified data lives. The deployed model expects de-identified input.

Examples
--------
>>> import pandas as pd
>>> from skmed.privacy import scan_identifiers
>>> frame = pd.DataFrame({
...     "patient_name": ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
...     "phone": ["+44 20 7946 0018", "(555) 123-4567", "555-987-6543"],
...     "crp": [4.1, 35.0, 12.2],
... })
>>> scan_identifiers(frame).flagged_columns
['patient_name', 'phone']
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from skmed import _privacy_patterns as patterns
from skmed._missing import is_missing

__all__ = [
    "AgeBands",
    "DateGeneralizer",
    "DropIdentifiers",
    "IdentifierFinding",
    "IdentifierScan",
    "KAnonymityReport",
    "Pseudonymizer",
    "RareCategoryMerger",
    "check_no_identifiers",
    "k_anonymity_report",
    "provide_key",
    "pseudonymize",
    "scan_identifiers",
    "split_identifiers",
    "split_privacy_steps",
]

#: Environment variable read for the pseudonymisation key unless another name is given.
DEFAULT_KEY_ENV = "SKMED_PSEUDONYM_KEY"

#: Shortest key accepted, in bytes (HMAC-SHA-256 keys should be 32 random bytes).
MIN_KEY_BYTES = 16

# domain separation: the same key gives unrelated values for the two uses
_PSEUDONYM_CONTEXT = b"skmed-pseudonym-v1\x00"
_DATE_SHIFT_CONTEXT = b"skmed-date-shift-v1\x00"


# ====================================================================== scanning


@dataclass(frozen=True)
class IdentifierFinding:
    """One column that looks like it holds a direct identifier.

    Attributes
    ----------
    column : str
        The column name.
    kind : str
        One of ``"name"``, ``"phone"``, ``"email"``, ``"national_id"``, ``"record_number"``,
        ``"date_of_birth"``, ``"date"``, ``"street_address"``, ``"postal_code"``,
        ``"ip_address"``.
    confidence : float
        A heuristic score in [0, 1]: about 0.6 for a column name alone, 0.8-0.9 for values
        alone, 0.95 when both agree.
    evidence : str
        Why, in words and counts. It never quotes a value, so it is safe to log.
    """

    column: str
    kind: str
    confidence: float
    evidence: str

    @property
    def description(self) -> str:
        """The kind in words, e.g. ``"phone or fax number"``."""
        return patterns.KIND_DESCRIPTIONS[self.kind]

    def __str__(self) -> str:
        return (
            f"{self.column!r}: {self.description} "
            f"(confidence {self.confidence:.2f}; {self.evidence})"
        )


@dataclass(frozen=True)
class IdentifierScan:
    """The result of :func:`scan_identifiers`: the flagged columns with their evidence.

    Iterating yields the :class:`IdentifierFinding` objects, most confident first.
    """

    findings: tuple[IdentifierFinding, ...]
    columns: tuple[str, ...]
    n_rows: int
    sample_size: int
    min_confidence: float

    @property
    def flagged_columns(self) -> list[str]:
        """Names of the flagged columns, in the frame's column order."""
        flagged = {f.column for f in self.findings}
        return [c for c in self.columns if c in flagged]

    def __iter__(self) -> Iterator[IdentifierFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __bool__(self) -> bool:
        return bool(self.findings)

    def __contains__(self, column: object) -> bool:
        return any(f.column == column for f in self.findings)

    def __getitem__(self, column: str) -> IdentifierFinding:
        for finding in self.findings:
            if finding.column == column:
                return finding
        raise KeyError(f"column {column!r} was not flagged.")

    def to_frame(self) -> Any:
        """The findings as a frame: ``column, kind, description, confidence, evidence``."""
        import pandas as pd

        return pd.DataFrame(
            [(f.column, f.kind, f.description, f.confidence, f.evidence) for f in self.findings],
            columns=["column", "kind", "description", "confidence", "evidence"],
        )

    def summary(self) -> str:
        """A few lines for a terminal or a log."""
        head = (
            f"Scanned {len(self.columns)} columns ({self.n_rows} rows, up to {self.sample_size} "
            f"sampled per column): "
        )
        if not self.findings:
            return head + "no likely direct identifiers."
        lines = [head + f"{len(self.findings)} likely direct identifier(s):"]
        lines += [f"  {f}" for f in self.findings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def scan_identifiers(
    frame: Any,
    *,
    sample_size: int = 1000,
    min_confidence: float = 0.5,
    exclude: Iterable[str] = (),
    random_state: int = 0,
) -> IdentifierScan:
    """Flag columns that likely hold direct identifiers, with the evidence.

    Each column is judged by its name (e.g. ``phone``, ``mrn``, ``date_of_birth``,
    ``PatientName``) and by up to ``sample_size`` of its non-missing values: e-mail addresses,
    formatted phone numbers, US social security numbers and NHS numbers (checksum-validated),
    record numbers (letter prefix + digits, nearly all distinct), full dates (day precision;
    ``datetime64`` columns included), street addresses, UK postcodes and ZIP+4 codes, IPv4
    addresses and person names (two to five capitalised words, many distinct). Ambiguous value
    patterns (plain digit runs as phone numbers, five-digit ZIP codes, any text as a name) count
    only under a matching column name; a matching name whose values clearly disagree (e.g.
    ``admission_type`` holding ``"emergency"``) is not flagged.

    This is a heuristic screen for the common direct identifiers of clinical exports, not a
    guarantee: review the data dictionary, and the quasi-identifiers (age, sex, postcode area,
    rare diagnoses) with :func:`k_anonymity_report`.

    Parameters
    ----------
    frame : pandas.DataFrame
    sample_size : int, default=1000
        Values sampled per column (at random, without replacement, when there are more).
    min_confidence : float, default=0.5
        Columns scoring below this are not reported. Name-only hints score 0.6, values alone
        0.82-0.9, both together 0.95; a name contradicted by the values 0.35, a column of
        distinct integers without a telling name 0.45.
    exclude : iterable of str, default=()
        Columns not to scan (e.g. the target).
    random_state : int, default=0
        Seed of the sampling, so a scan is repeatable.

    Returns
    -------
    IdentifierScan
        ``.flagged_columns``, the findings (column, kind, confidence, evidence) and
        ``.to_frame()``. Evidence never quotes a value.
    """
    pd = _pandas()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"scan_identifiers expects a pandas DataFrame; got {type(frame).__name__}.")
    if not (isinstance(sample_size, numbers.Integral) and sample_size >= 1):
        raise ValueError(f"sample_size must be a positive integer; got {sample_size!r}.")
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min_confidence must be in [0, 1]; got {min_confidence!r}.")
    exclude = set(exclude)
    unknown = sorted(str(c) for c in exclude if c not in frame.columns)
    if unknown:
        raise ValueError(f"exclude names column(s) {unknown} that are not in the frame.")
    findings = []
    scanned = []
    for name in frame.columns:
        if name in exclude:
            continue
        scanned.append(str(name))
        finding = _scan_column(str(name), frame[name], int(sample_size), random_state)
        if finding is not None and finding.confidence >= min_confidence:
            findings.append(finding)
    findings.sort(key=lambda f: -f.confidence)
    return IdentifierScan(
        tuple(findings), tuple(scanned), len(frame), int(sample_size), float(min_confidence)
    )


def check_no_identifiers(
    frame: Any,
    *,
    keep: Iterable[str] = (),
    drop: Iterable[str] = (),
    exclude: Iterable[str] = (),
    sample_size: int = 1000,
    min_confidence: float = 0.5,
) -> IdentifierScan:
    """Refuse a training table with likely direct identifiers that were not dealt with.

    The gate ``skmed train`` runs before training. Columns in ``drop`` are left out of the
    scan (the caller removes them); flagged columns in ``keep`` are accepted (the caller has
    confirmed they are not identifiers, or are needed). Any other flagged column raises.

    Parameters
    ----------
    frame : pandas.DataFrame
    keep, drop : iterable of str, default=()
        Columns the user chose to train on anyway / to leave out.
    exclude : iterable of str, default=()
        Columns not to scan, e.g. the target.
    sample_size, min_confidence
        As in :func:`scan_identifiers`.

    Returns
    -------
    IdentifierScan
        The scan of the columns not dropped; flagged columns are all in ``keep``.

    Raises
    ------
    ValueError
        If a flagged column is neither kept nor dropped (one line naming each column, its kind
        and evidence, and how to proceed), or ``keep`` / ``drop`` name unknown columns or
        overlap.
    """
    keep, drop, exclude = list(keep), list(drop), list(exclude)
    for what, names in (("keep", keep), ("drop", drop)):
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise ValueError(f"{what} names column(s) {missing} that are not in the data.")
    both = sorted(set(keep) & set(drop))
    if both:
        raise ValueError(f"column(s) {both} are both kept and dropped.")
    scan = scan_identifiers(
        frame.drop(columns=drop),
        sample_size=sample_size,
        min_confidence=min_confidence,
        exclude=[c for c in exclude if c not in drop],
    )
    blocked = [f for f in scan.findings if f.column not in keep]
    if blocked:
        blocked.sort(key=lambda f: scan.columns.index(f.column))
        joined = ",".join(f.column for f in blocked)
        details = "; ".join(f"{f.column!r}: {f.description} ({f.evidence})" for f in blocked)
        raise ValueError(
            f"column(s) likely holding direct patient identifiers: {details}. Identifiers must "
            f"not be model features: leave them out with --drop {joined} (Python: drop=[...]), "
            f"or, if they are not identifiers, train on them with --keep {joined} (keep=[...])."
        )
    return scan


def _scan_column(name: str, series: Any, sample_size: int, seed: int) -> IdentifierFinding | None:
    pd = _pandas()
    from pandas.api.types import (
        is_bool_dtype,
        is_datetime64_any_dtype,
        is_float_dtype,
        is_numeric_dtype,
    )

    hints = patterns.name_kinds(name)
    hint = hints[0] if hints else None
    values = series.dropna()
    n_values = len(values)
    if n_values > sample_size:
        values = values.sample(sample_size, random_state=seed)
    n = len(values)
    hint_text = f"column name matches the {hint.replace('_', ' ')} pattern" if hint else ""

    def finding(kind: str, confidence: float, *parts: str) -> IdentifierFinding:
        return IdentifierFinding(name, kind, round(confidence, 2), "; ".join(p for p in parts if p))

    if n == 0:
        return finding(hint, 0.6, hint_text, "no values to check") if hint else None
    if is_bool_dtype(series.dtype):
        return None

    if is_datetime64_any_dtype(series.dtype):
        kind = hint if hint in ("date_of_birth", "date") else "date"
        stamps = pd.DatetimeIndex(values)
        if (stamps.month == 1).all() and (stamps.day == 1).all():
            return None  # years stored as dates
        return finding(
            kind,
            0.95 if hint in ("date_of_birth", "date") else 0.85,
            hint_text,
            f"datetime column: {n} sampled values are full dates (day precision)",
        )

    if is_numeric_dtype(series.dtype):
        numbers_ = values.to_numpy(dtype=np.float64)
        if is_float_dtype(series.dtype) and not np.all(np.mod(numbers_, 1) == 0):
            # continuous measurements are not direct identifiers, whatever the name says
            return finding(hint, 0.35, hint_text, "but the values are continuous") if hint else None
        texts = pd.Series([str(int(v)) for v in numbers_], dtype=object)
        integer = True
    else:
        texts = values.astype(str).str.strip()
        texts = texts[texts != ""]
        n = len(texts)
        if n == 0:
            return finding(hint, 0.6, hint_text, "no values to check") if hint else None
        integer = False

    distinct = texts.nunique() / n
    sample_text = f"{n} sampled values"

    # values alone
    value_kind, value_share, value_desc = None, 0.0, ""
    for test in patterns.VALUE_TESTS:
        if integer and test.kind not in ("national_id", "date"):
            continue
        share = float(texts.map(test.test).mean())
        if share >= test.threshold and distinct >= test.min_distinct:
            value_kind, value_share, value_desc = test.kind, share, test.description
            break

    # values confirming the name
    confirm_share, confirm_desc = None, ""
    if hint is not None:
        if hint in ("record_number", "national_id") and value_kind is None:
            confirm_share, confirm_desc = distinct, "distinct"
        elif hint in patterns.CONFIRM_TESTS:
            confirm, confirm_desc = patterns.CONFIRM_TESTS[hint]
            confirm_share = float(texts.map(confirm).mean())
        else:
            for test in patterns.VALUE_TESTS:
                if test.kind == hint:
                    confirm_share = float(texts.map(test.test).mean())
                    confirm_desc = test.description
            if hint == "date":
                confirm_share = float(texts.map(patterns.is_full_date).mean())
                confirm_desc = "a full-date pattern (day precision)"

    def pct(share: float) -> str:
        return f"{share:.0%}"

    compatible = {
        "date_of_birth": {"date"},
        "record_number": {"national_id"},
        "national_id": {"record_number"},
        "phone": {"national_id"},
        "name": set(),
    }
    if value_kind is not None:
        value_part = f"{pct(value_share)} of {sample_text} match {value_desc}"
        if hint is not None and (value_kind == hint or value_kind in compatible.get(hint, ())):
            return finding(hint, 0.95, hint_text, value_part)
        if hint is not None and value_kind == "record_number":  # a generic code: trust the name
            if confirm_share is not None and confirm_desc != "distinct" and confirm_share >= 0.5:
                value_part = f"{pct(confirm_share)} of {sample_text} match {confirm_desc}"
            return finding(hint, 0.95, hint_text, value_part)
        return finding(value_kind, 0.5 + 0.4 * value_share, value_part)

    if hint is None:
        if integer and n >= 50 and distinct >= 0.98:
            return finding(
                "record_number",
                0.45,
                (f"all {n}" if texts.nunique() == n else f"all but {n - texts.nunique()} of {n}")
                + " sampled values are distinct integers (an identifier-like key)",
            )
        return None

    if confirm_desc == "distinct":
        if distinct >= 0.5:
            return finding(hint, 0.9, hint_text, f"{pct(distinct)} of {sample_text} are distinct")
        return finding(
            hint,
            0.6,
            hint_text,
            f"{pct(distinct)} of {sample_text} are distinct (repeated visits of one patient?)",
        )
    if confirm_share is None:
        return finding(hint, 0.6, hint_text, "values not checked")
    if confirm_share >= 0.5:
        return finding(
            hint, 0.9, hint_text, f"{pct(confirm_share)} of {sample_text} match {confirm_desc}"
        )
    if confirm_share >= 0.2:
        return finding(
            hint, 0.6, hint_text, f"{pct(confirm_share)} of {sample_text} match {confirm_desc}"
        )
    return finding(
        hint,
        0.35,
        hint_text,
        f"but only {pct(confirm_share)} of {sample_text} match {confirm_desc}",
    )


# ====================================================================== keys and pseudonyms


def _key_bytes(key: Any, source: str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray, memoryview)):
        key = bytes(key)
    else:
        raise TypeError(f"the key from {source} must be str or bytes; got {type(key).__name__}.")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the key from {source} is {len(key)} bytes; use at least {MIN_KEY_BYTES} (32 random "
            'bytes recommended: python -c "import secrets; print(secrets.token_hex(32))").'
        )
    return key


def _resolve_key(key: Any, key_env: str | None, who: str) -> bytes:
    """The key given, else the environment variable ``key_env``, else a clear error."""
    if key is not None:
        return _key_bytes(key, "the key argument" if who == "" else f"{who}.set_key()")
    if key_env:
        value = os.environ.get(key_env)
        if value:
            return _key_bytes(value, f"environment variable {key_env}")
    where = f"set the environment variable {key_env}" if key_env else "pass key=..."
    raise ValueError(
        f"{who or 'this function'} needs a secret key: {where}"
        + (" or call set_key(key) (skmed.privacy.provide_key for a pipeline)" if who else "")
        + ". The key is never stored in a fitted or pickled object, so it must be provided "
        "again after loading one."
    )


def _canonical(value: Any) -> str:
    """The text a value is pseudonymised as: the same identifier read as int, float or text
    (``12345``, ``12345.0``, ``" 12345 "``) gives the same pseudonym."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _pseudonym(key: bytes, value: Any, length: int, prefix: str) -> str:
    digest = hmac.new(key, _PSEUDONYM_CONTEXT + _canonical(value).encode("utf-8"), hashlib.sha256)
    return prefix + digest.hexdigest()[:length]


def _shift_days(key: bytes, value: Any, max_days: int) -> int:
    digest = hmac.new(key, _DATE_SHIFT_CONTEXT + _canonical(value).encode("utf-8"), hashlib.sha256)
    n = int.from_bytes(digest.digest()[:8], "big") % (2 * max_days)
    return n - max_days if n < max_days else n - max_days + 1  # never 0


def pseudonymize(
    values: Iterable[Any],
    *,
    key: str | bytes | None = None,
    key_env: str | None = DEFAULT_KEY_ENV,
    length: int = 16,
    prefix: str = "",
) -> list[Any]:
    """Pseudonyms of identifier values, as :class:`Pseudonymizer` computes them.

    ``HMAC-SHA-256(key, value)`` in hex, cut to ``length`` characters, after ``prefix``.
    Missing values stay missing. Useful to look up the pseudonym of one known patient.

    Parameters
    ----------
    values : iterable
    key : str or bytes, default=None
        The secret key; read from the environment variable ``key_env`` when None.
    key_env : str, default="SKMED_PSEUDONYM_KEY"
    length : int, default=16
        Hex characters kept (16 = 64 bits; 8 to 64).
    prefix : str, default=""

    Returns
    -------
    list
    """
    _check_length(length)
    secret = _resolve_key(key, key_env, "")
    return [v if is_missing(v) else _pseudonym(secret, v, length, prefix) for v in values]


def _check_length(length: Any) -> None:
    if not (isinstance(length, numbers.Integral) and 8 <= int(length) <= 64):
        raise ValueError(f"length must be an integer from 8 to 64; got {length!r}.")


def provide_key(estimator: Any, key: str | bytes | None) -> int:
    """Give ``key`` (or None to forget it) to every keyed privacy step of ``estimator``.

    Walks Pipelines, ColumnTransformers and FeatureUnions. Returns the number of steps that
    received the key.
    """
    count = 0
    for step in _walk(estimator):
        if isinstance(step, _KeyedMixin):
            step.set_key(key)
            count += 1
    return count


def _walk(estimator: Any) -> Iterator[Any]:
    yield estimator
    children: list[Any] = []
    if hasattr(estimator, "steps"):
        children = [s for _, s in estimator.steps]
    elif hasattr(estimator, "transformer_list"):
        children = [s for _, s in estimator.transformer_list]
    elif hasattr(estimator, "transformers"):
        source = getattr(estimator, "transformers_", estimator.transformers)
        children = [t for _, t, _ in source]
    for child in children:
        if child is not None and not isinstance(child, str):
            yield from _walk(child)


# ====================================================================== transformer base


def _pandas() -> Any:
    import pandas as pd

    return pd


def _describe(names: Sequence[Any], limit: int = 12) -> str:
    names = [str(n) for n in names]
    if len(names) <= limit:
        return repr(names)
    return f"{names[:limit]!r}"[:-1] + f", ... ({len(names) - limit} more)]"


class _FrameTransformer(TransformerMixin, BaseEstimator):
    """Shared input handling: frames stay frames; arrays get columns ``x0, x1, ...``."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _frame(self, X: Any, *, reset: bool) -> tuple[Any, bool]:
        pd = _pandas()
        is_frame = isinstance(X, pd.DataFrame)
        if not is_frame:
            X = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=1)
        validate_data(self, X, reset=reset, skip_check_array=True)
        if is_frame:
            if not all(isinstance(c, str) for c in X.columns):
                raise ValueError(
                    f"{type(self).__name__}: column names must be strings; got "
                    f"{_describe(X.columns)}."
                )
            if len(X) == 0:
                raise ValueError(f"{type(self).__name__}: X has 0 rows.")
            return X, True
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        return frame, False

    def _columns(self, spec: Any, frame: Any, default: Callable[[Any], list[str]]) -> list[str]:
        if spec is None:
            return default(frame)
        if isinstance(spec, str):
            spec = [spec]
        spec = list(spec)
        bad = [c for c in spec if not isinstance(c, str)]
        if bad:
            raise ValueError(f"{type(self).__name__}: columns must be names (str); got {bad}.")
        missing = [c for c in spec if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: column(s) {missing} not found in X; its columns are "
                f"{_describe(frame.columns)}."
            )
        return spec

    def _output(self, frame: Any, was_frame: bool) -> Any:
        if was_frame:
            return frame
        return frame.to_numpy()

    def _names_out(self, names: list[str]) -> list[str]:
        return names

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Must match ``feature_names_in_`` if given; defaults to it (or ``x0, x1, ...``).

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        names = list(_check_feature_names_in(self, input_features))
        return np.asarray(self._names_out(names), dtype=object)


class _KeyedMixin:
    """A secret key given in memory (``set_key``), copied by ``clone`` but never pickled."""

    key_env: str | None

    def set_key(self, key: str | bytes | None) -> Any:
        """Use ``key`` for transforms in this process (None: read ``key_env`` again).

        The key is kept in memory only: not a parameter, not pickled, not in ``repr``.
        """
        if key is None:
            self.__dict__.pop("_key", None)
        else:
            self._key = _key_bytes(key, f"{type(self).__name__}.set_key()")
        return self

    def _secret(self) -> bytes:
        return _resolve_key(getattr(self, "_key", None), self.key_env, type(self).__name__)

    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        state.pop("_key", None)
        return state

    def __sklearn_clone__(self):
        new = super().__sklearn_clone__()
        if "_key" in self.__dict__:
            new._key = self._key
        return new


# ====================================================================== transformers


class DropIdentifiers(_FrameTransformer):
    """Drop direct-identifier columns: the ones named, or the ones the scan flags.

    Parameters
    ----------
    columns : "auto" or list of str, default="auto"
        ``"auto"``: the columns :func:`scan_identifiers` flags at fit (the findings are kept in
        ``scan_``); else the columns to drop.
    keep : list of str, default=None
        Columns never dropped in ``"auto"`` mode, though flagged.
    min_confidence : float, default=0.5
        Passed to :func:`scan_identifiers`.
    sample_size : int, default=1000
        Passed to :func:`scan_identifiers`.

    Attributes
    ----------
    columns_ : list of str
        The columns dropped.
    scan_ : IdentifierScan or None
        The scan behind ``"auto"`` (column names, kinds and evidence only, no values).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import DropIdentifiers
    >>> X = pd.DataFrame({"email": ["a.b@example.org", "c@example.com"], "crp": [4.0, 12.5]})
    >>> DropIdentifiers().fit_transform(X).columns.tolist()
    ['crp']
    """

    _parameter_constraints: dict = {
        "columns": [StrOptions({"auto"}), "array-like"],
        "keep": ["array-like", None],
        "min_confidence": [Interval(numbers.Real, 0, 1, closed="both")],
        "sample_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        columns: Iterable[str] | str = "auto",
        *,
        keep: Iterable[str] | None = None,
        min_confidence: float = 0.5,
        sample_size: int = 1000,
    ) -> None:
        self.columns = columns
        self.keep = keep
        self.min_confidence = min_confidence
        self.sample_size = sample_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Find the columns to drop.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        frame, _ = self._frame(X, reset=True)
        keep = self._columns(self.keep, frame, lambda f: [])
        if isinstance(self.columns, str):  # "auto"
            self.scan_: IdentifierScan | None = scan_identifiers(
                frame, sample_size=self.sample_size, min_confidence=self.min_confidence
            )
            self.columns_ = [c for c in self.scan_.flagged_columns if c not in keep]
        else:
            self.scan_ = None
            columns = self._columns(self.columns, frame, lambda f: [])
            both = [c for c in columns if c in keep]
            if both:
                raise ValueError(f"DropIdentifiers: column(s) {both} are in both columns and keep.")
            self.columns_ = list(dict.fromkeys(columns))
        return self

    def transform(self, X: Any) -> Any:
        """Return X without the identifier columns.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        pandas.DataFrame or ndarray
            A frame when X is one.
        """
        check_is_fitted(self, "columns_")
        frame, was_frame = self._frame(X, reset=False)
        return self._output(frame.drop(columns=self.columns_), was_frame)

    def _names_out(self, names: list[str]) -> list[str]:
        return [n for n in names if n not in self.columns_]


class Pseudonymizer(_KeyedMixin, _FrameTransformer):
    """Replace identifier values by keyed pseudonyms (HMAC-SHA-256).

    Each value becomes ``prefix + HMAC-SHA-256(key, value)`` in hex, cut to ``length``
    characters. The same value and key always give the same pseudonym (across columns, tables
    and runs, so pseudonymised tables can still be joined); another key gives unrelated
    pseudonyms; without the key, a pseudonym cannot be computed from an identifier nor turned
    back into one. Values are compared as text, with integers written without a decimal point
    and surrounding spaces removed (``12345``, ``12345.0`` and ``" 12345"`` agree). Missing
    values stay missing.

    The key is read at **transform** time, never stored: from ``set_key(key)`` if called in
    this process, else from the environment variable named by ``key_env``.

    Parameters
    ----------
    columns : list of str, default=None
        The identifier columns; None pseudonymises every column.
    key_env : str or None, default="SKMED_PSEUDONYM_KEY"
        Name of the environment variable holding the key (the name is stored, not the key).
        None: only a key given with ``set_key`` is used.
    length : int, default=16
        Hex characters kept, 8 to 64 (16 = 64 bits: collisions are unlikely below ~100
        million distinct values).
    prefix : str, default=""
        Put before each pseudonym, e.g. ``"P-"``.

    Attributes
    ----------
    columns_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import Pseudonymizer
    >>> X = pd.DataFrame({"mrn": ["MRN001234", "MRN005678"], "crp": [4.0, 12.5]})
    >>> ps = Pseudonymizer(["mrn"]).set_key("a secret of at least 16 bytes")
    >>> ps.fit_transform(X)["mrn"].str.len().tolist()
    [16, 16]
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "key_env": [str, None],
        "length": [Interval(numbers.Integral, 8, 64, closed="both")],
        "prefix": [str],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        key_env: str = DEFAULT_KEY_ENV,
        length: int = 16,
        prefix: str = "",
    ) -> None:
        self.columns = columns
        self.key_env = key_env
        self.length = length
        self.prefix = prefix

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # pseudonyms are text
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Check the columns (the key is not needed to fit).

        Returns
        -------
        self
        """
        frame, _ = self._frame(X, reset=True)
        self.columns_ = self._columns(self.columns, frame, lambda f: list(f.columns))
        return self

    def transform(self, X: Any) -> Any:
        """Return X with the identifier columns replaced by pseudonyms.

        Raises
        ------
        ValueError
            If no key is available (the message says how to provide one).
        """
        check_is_fitted(self, "columns_")
        frame, was_frame = self._frame(X, reset=False)
        key = self._secret()
        out = frame.copy()
        for name in self.columns_:
            out[name] = _pseudonymize_series(out[name], key, self.length, self.prefix)
        return self._output(out, was_frame)


def _pseudonymize_series(series: Any, key: bytes, length: int, prefix: str) -> Any:
    pd = _pandas()
    cache: dict[Any, str] = {}
    result: list[Any] = []
    for value in series.tolist():
        if is_missing(value):
            result.append(np.nan)
            continue
        try:
            pseudonym = cache.get(value)
        except TypeError:  # unhashable
            pseudonym = None
        if pseudonym is None:
            pseudonym = _pseudonym(key, value, length, prefix)
            with contextlib.suppress(TypeError):  # unhashable values are not cached
                cache[value] = pseudonym
        result.append(pseudonym)
    return pd.Series(result, index=series.index, dtype=object, name=series.name)


class AgeBands(_FrameTransformer):
    """Generalise ages (or any number) into bands, with the top band open (HIPAA: 90+).

    Band ``i`` is ``[bins[i], bins[i + 1])``; the last band is ``bins[-1]`` and above, so
    by default every age of 90 or more is reported as one band, as the HIPAA Safe Harbor rule
    asks. Missing values stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The columns to band; None bands every column (all must be numeric).
    bins : array-like of float, default=(0, 18, 30, 40, 50, 60, 70, 80, 90)
        Increasing band edges; the first may be ``-inf``. A value below the first edge is an
        error (a negative age is a data error, not a band).
    output : {"lower", "ordinal", "label"}, default="lower"
        ``"lower"``: the band's lower edge (40.0 for 40-49), numeric, so the usual scaling
        still applies; ``"ordinal"``: the band's index (0.0, 1.0, ...); ``"label"``: text such
        as ``"40-49"`` and ``"90+"`` (for one-hot encoding or reports).

    Attributes
    ----------
    bins_ : ndarray of float
    bands_ : list of str
        The band labels, lowest first.
    columns_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import AgeBands
    >>> AgeBands(output="label").fit_transform(pd.DataFrame({"age": [4, 44, 97]}))["age"].tolist()
    ['0-17', '40-49', '90+']
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "bins": ["array-like"],
        "output": [StrOptions({"lower", "ordinal", "label"})],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        bins: Iterable[float] = (0, 18, 30, 40, 50, 60, 70, 80, 90),
        output: str = "lower",
    ) -> None:
        self.columns = columns
        self.bins = bins
        self.output = output

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = [] if self.output == "label" else ["float64"]
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Check the bins and that the columns are numeric and within them.

        Returns
        -------
        self
        """
        try:
            bins = np.asarray(self.bins, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"AgeBands: bins must be numbers; got {self.bins!r}.") from None
        if bins.ndim != 1 or bins.size == 0:
            raise ValueError(f"AgeBands: bins must be a non-empty list of edges; got {self.bins}.")
        if np.isnan(bins).any() or np.isposinf(bins).any() or np.isneginf(bins[1:]).any():
            raise ValueError("AgeBands: bins must be finite (only the first edge may be -inf).")
        if np.any(np.diff(bins) <= 0):
            raise ValueError(f"AgeBands: bins must be strictly increasing; got {self.bins!r}.")
        frame, _ = self._frame(X, reset=True)
        self.columns_ = self._columns(self.columns, frame, lambda f: list(f.columns))
        self.bins_ = bins
        self.bands_ = _band_labels(bins)
        for name in self.columns_:
            self._numbers(frame, name)
        return self

    def _numbers(self, frame: Any, name: str) -> np.ndarray:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        column = frame[name]
        if is_bool_dtype(column.dtype) or not is_numeric_dtype(column.dtype):
            try:
                values = column.astype(np.float64).to_numpy()
            except (TypeError, ValueError):
                raise ValueError(
                    f"AgeBands: column {name!r} is not numeric (dtype {column.dtype})."
                ) from None
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        below = values < self.bins_[0]
        if below.any():
            raise ValueError(
                f"AgeBands: column {name!r} has {int(below.sum())} value(s) below the first band "
                f"edge {self.bins_[0]:g}; fix the data or start bins lower."
            )
        return values

    def transform(self, X: Any) -> Any:
        """Return X with each value of the columns replaced by its band."""
        check_is_fitted(self, "bins_")
        frame, was_frame = self._frame(X, reset=False)
        out = frame.copy()
        for name in self.columns_:
            values = self._numbers(frame, name)
            missing = np.isnan(values)
            filled = np.where(missing, self.bins_[0], values)
            index = np.searchsorted(self.bins_, filled, side="right") - 1
            if self.output == "label":
                labels = np.asarray(self.bands_, dtype=object)[index]
                labels[missing] = np.nan
                out[name] = _pandas().Series(labels, index=frame.index, dtype=object)
            else:
                result = self.bins_[index] if self.output == "lower" else index.astype(np.float64)
                out[name] = np.where(missing, np.nan, result)
        return self._output(out, was_frame)


def _band_labels(bins: np.ndarray) -> list[str]:
    def fmt(x: float) -> str:
        return f"{x:g}"

    integer = all(np.isneginf(b) or float(b).is_integer() for b in bins)
    labels = []
    for low, high in zip(bins[:-1], bins[1:]):
        if np.isneginf(low):
            labels.append(f"<{fmt(high)}")
        elif integer:
            labels.append(f"{fmt(low)}-{fmt(high - 1)}")
        else:
            labels.append(f"{fmt(low)}-<{fmt(high)}")
    labels.append(f"{fmt(bins[-1])}+")
    return labels


class DateGeneralizer(_KeyedMixin, _FrameTransformer):
    """Generalise dates: keep only the year, or shift each patient's dates by a keyed offset.

    ``mode="year"``: each date becomes its year, a number (HIPAA Safe Harbor keeps the year
    of a date and drops the rest). ``mode="shift"``: every date of one patient (rows with the
    same ``id_column`` value) moves by the same number of days, between ``-max_shift_days`` and
    ``+max_shift_days`` and never 0, derived from HMAC-SHA-256 of the patient identifier with
    the secret key. Intervals between one patient's dates (length of stay, time to follow-up)
    stay exact; calendar dates, weekdays and seasons do not. Offsets are recomputed from the
    key at each transform and never stored. Missing dates stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The date columns (``datetime64``, or text pandas parses as dates); None: every
        column except ``id_column``.
    mode : {"year", "shift"}, default="year"
    id_column : str, default=None
        Column identifying the patient; required with ``mode="shift"``. It is left unchanged
        (pseudonymise or drop it in a later step).
    max_shift_days : int, default=365
    date_format : str, default=None
        Passed to :func:`pandas.to_datetime` for text columns (e.g. ``"%d/%m/%Y"``, or
        ``"mixed"``); None lets pandas infer it. Text that does not parse is an error.
    key_env : str or None, default="SKMED_PSEUDONYM_KEY"
        As in :class:`Pseudonymizer`; used only by ``mode="shift"``.

    Attributes
    ----------
    columns_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmed.privacy import DateGeneralizer
    >>> X = pd.DataFrame({"date_of_birth": ["1957-03-14", "1988-11-02"]})
    >>> DateGeneralizer().fit_transform(X)["date_of_birth"].tolist()
    [1957.0, 1988.0]
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "mode": [StrOptions({"year", "shift"})],
        "id_column": [str, None],
        "max_shift_days": [Interval(numbers.Integral, 1, None, closed="left")],
        "date_format": [str, None],
        "key_env": [str, None],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        mode: str = "year",
        id_column: str | None = None,
        max_shift_days: int = 365,
        date_format: str | None = None,
        key_env: str = DEFAULT_KEY_ENV,
    ) -> None:
        self.columns = columns
        self.mode = mode
        self.id_column = id_column
        self.max_shift_days = max_shift_days
        self.date_format = date_format
        self.key_env = key_env

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # years or datetime64
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Check that the columns hold dates (the key is not needed to fit).

        Returns
        -------
        self
        """
        frame, _ = self._frame(X, reset=True)
        if self.mode == "shift" and self.id_column is None:
            raise ValueError(
                "DateGeneralizer(mode='shift') needs id_column, the column identifying the "
                "patient, so that all dates of one patient move together."
            )
        if self.id_column is not None:
            self._columns([self.id_column], frame, lambda f: [])
        self.columns_ = self._columns(
            self.columns, frame, lambda f: [c for c in f.columns if c != self.id_column]
        )
        if self.id_column in self.columns_:
            raise ValueError(f"DateGeneralizer: id_column {self.id_column!r} is also in columns.")
        for name in self.columns_:
            self._dates(frame, name)
        return self

    def _dates(self, frame: Any, name: str) -> Any:
        pd = _pandas()
        from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

        column = frame[name]
        if is_datetime64_any_dtype(column.dtype):
            return column
        if is_numeric_dtype(column.dtype) and not column.isna().all():
            raise ValueError(
                f"DateGeneralizer: column {name!r} is numeric (dtype {column.dtype}), not dates; "
                "give dates as datetime64 or text."
            )
        values = column.astype(object).where(column.notna(), None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parsed = pd.to_datetime(values, errors="coerce", format=self.date_format)
        bad = int((column.notna() & parsed.isna()).sum())
        if not bad:
            for warning in caught:  # e.g. "Could not infer format": worth seeing if it parsed
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        if bad:
            raise ValueError(
                f"DateGeneralizer: {bad} value(s) of column {name!r} are not dates"
                + (f" in format {self.date_format!r}" if self.date_format else "")
                + "; set date_format (e.g. '%d/%m/%Y' or 'mixed')."
            )
        return parsed

    def transform(self, X: Any) -> Any:
        """Return X with the date columns generalised.

        Raises
        ------
        ValueError
            If a value is not a date, or (``mode="shift"``) no key is available or a row has a
            date but no patient identifier.
        """
        check_is_fitted(self, "columns_")
        pd = _pandas()
        frame, was_frame = self._frame(X, reset=False)
        out = frame.copy()
        if self.mode == "shift":
            key = self._secret()
            ids = frame[self.id_column]
            cache: dict[Any, int] = {}
            offsets = np.empty(len(frame), dtype=np.float64)
            for i, value in enumerate(ids.tolist()):
                if is_missing(value):
                    offsets[i] = np.nan
                    continue
                text = _canonical(value)
                if text not in cache:
                    cache[text] = _shift_days(key, text, self.max_shift_days)
                offsets[i] = cache[text]
            shift = pd.to_timedelta(pd.Series(offsets, index=frame.index), unit="D")
        for name in self.columns_:
            dates = self._dates(frame, name)
            if self.mode == "year":
                out[name] = dates.dt.year.astype(np.float64)
            else:
                orphan = dates.notna() & shift.isna()
                if orphan.any():
                    raise ValueError(
                        f"DateGeneralizer: {int(orphan.sum())} row(s) have a {name!r} date but no "
                        f"{self.id_column!r} value, so their dates cannot be shifted with their "
                        "patient's offset."
                    )
                out[name] = dates + shift
        return self._output(out, was_frame)


class RareCategoryMerger(_FrameTransformer):
    """Merge categories seen fewer than ``min_frequency`` times into one ``other_label``.

    A rare value of a quasi-identifier (an uncommon ethnicity, occupation or diagnosis in a
    small hospital) can single a patient out. After fitting, each column keeps only the values
    seen at least ``min_frequency`` times in the training data -- so the fitted object holds
    no value that belongs to fewer patients than that -- and every other value, including
    values first seen at transform time, becomes ``other_label``. Missing values stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The columns; None: every text or category column (numbers and booleans are left as
        they are).
    min_frequency : int or float, default=5
        An int: the smallest count kept; a float in (0, 1): the smallest share of the rows.
        Use the ``k`` of your k-anonymity target.
    other_label : str, default="other"

    Attributes
    ----------
    categories_ : dict of str to list
        The values kept per column.
    merged_ : dict of str to int
        How many distinct training values of each column were merged.
    columns_ : list of str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "other_label": [str],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        min_frequency: int | float = 5,
        other_label: str = "other",
    ) -> None:
        self.columns = columns
        self.min_frequency = min_frequency
        self.other_label = other_label

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Count the categories of each column.

        Returns
        -------
        self
        """
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        frame, _ = self._frame(X, reset=True)

        def text_columns(f: Any) -> list[str]:
            return [
                c
                for c in f.columns
                if not (is_numeric_dtype(f[c].dtype) or is_bool_dtype(f[c].dtype))
            ]

        self.columns_ = self._columns(self.columns, frame, text_columns)
        threshold = (
            self.min_frequency
            if isinstance(self.min_frequency, numbers.Integral)
            else math.ceil(self.min_frequency * len(frame))
        )
        self.categories_, self.merged_ = {}, {}
        for name in self.columns_:
            counts = frame[name].astype(object).value_counts(dropna=True)
            kept = counts[counts >= threshold].index.tolist()
            self.categories_[name] = sorted(kept, key=str)
            self.merged_[name] = int((counts < threshold).sum())
        return self

    def transform(self, X: Any) -> Any:
        """Return X with rare and unseen categories replaced by ``other_label``."""
        check_is_fitted(self, "categories_")
        frame, was_frame = self._frame(X, reset=False)
        out = frame.copy()
        for name in self.columns_:
            values = frame[name].astype(object)
            known = values.isin(self.categories_[name])
            out[name] = values.where(known | values.isna(), self.other_label).astype(object)
        return self._output(out, was_frame)


# ====================================================================== k-anonymity


@dataclass(frozen=True)
class KAnonymityReport:
    """The result of :func:`k_anonymity_report`.

    Attributes
    ----------
    quasi_identifiers : list of str
    k : int
        The target group size.
    n_rows, n_groups : int
    min_group_size : int
        The k the table achieves (0 for an empty table).
    n_groups_below_k, n_rows_below_k : int
        Groups smaller than ``k``, and the rows in them (the patients at risk).
    smallest_groups : pandas.DataFrame
        The smallest groups, smallest first: one column per quasi-identifier and ``size``.
    group_sizes : pandas.Series
        Size of every group, indexed by the quasi-identifier values.
    """

    quasi_identifiers: list[str]
    k: int
    n_rows: int
    n_groups: int
    min_group_size: int
    n_groups_below_k: int
    n_rows_below_k: int
    smallest_groups: Any = field(repr=False)
    group_sizes: Any = field(repr=False)

    @property
    def satisfied(self) -> bool:
        """Whether every group has at least ``k`` rows."""
        return self.n_groups_below_k == 0

    def at_risk(self, frame: Any) -> Any:
        """Boolean Series: the rows of ``frame`` in groups smaller than ``k``.

        ``frame[~report.at_risk(frame)]`` suppresses them -- the usual last step once
        generalising further would cost too much information.
        """
        missing = [c for c in self.quasi_identifiers if c not in frame.columns]
        if missing:
            raise ValueError(f"quasi-identifier column(s) {missing} not found in the frame.")
        qi = self.quasi_identifiers
        sizes = frame.groupby(qi, dropna=False, observed=True)[qi[0]].transform("size")
        return (sizes < self.k).rename("at_risk")

    def summary(self) -> str:
        qi = ", ".join(self.quasi_identifiers)
        head = (
            f"k-anonymity over ({qi}): {self.n_rows} rows in {self.n_groups} groups; smallest "
            f"group {self.min_group_size} (target k={self.k}): "
        )
        if self.satisfied:
            return head + "satisfied."
        return head + (
            f"NOT satisfied: {self.n_groups_below_k} group(s) below {self.k}, holding "
            f"{self.n_rows_below_k} row(s).\nSmallest groups:\n"
            + self.smallest_groups.to_string(index=False)
        )

    def __str__(self) -> str:
        return self.summary()


def k_anonymity_report(
    frame: Any, quasi_identifiers: Sequence[str], k: int = 5, *, n_smallest: int = 10
) -> KAnonymityReport:
    """How identifiable the rows are by a combination of quasi-identifiers.

    Rows sharing the same values of all ``quasi_identifiers`` (e.g. age band, sex, postcode
    area) form a group; the table is *k-anonymous* when every group has at least ``k`` rows,
    so no patient can be told apart from ``k - 1`` others by those columns. Missing values
    count as a value of their own. Generalise (:class:`AgeBands`, :class:`DateGeneralizer`,
    :class:`RareCategoryMerger`) until the report is satisfied.

    Parameters
    ----------
    frame : pandas.DataFrame
    quasi_identifiers : list of str
    k : int, default=5
    n_smallest : int, default=10
        How many of the smallest groups to list.

    Returns
    -------
    KAnonymityReport
    """
    pd = _pandas()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"k_anonymity_report expects a DataFrame; got {type(frame).__name__}.")
    if isinstance(quasi_identifiers, str):
        quasi_identifiers = [quasi_identifiers]
    qi = list(quasi_identifiers)
    if not qi:
        raise ValueError("k_anonymity_report needs at least one quasi-identifier column.")
    missing = [c for c in qi if c not in frame.columns]
    if missing:
        raise ValueError(
            f"quasi-identifier column(s) {missing} not found; the columns are "
            f"{_describe(frame.columns)}."
        )
    if not (isinstance(k, numbers.Integral) and k >= 1):
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    if not (isinstance(n_smallest, numbers.Integral) and n_smallest >= 0):
        raise ValueError(f"n_smallest must be a non-negative integer; got {n_smallest!r}.")
    sizes = frame.groupby(qi, dropna=False, observed=True, sort=True).size()
    sizes = sizes.sort_values(kind="stable")
    below = sizes[sizes < k]
    smallest = sizes.head(n_smallest).rename("size").reset_index()
    return KAnonymityReport(
        quasi_identifiers=qi,
        k=int(k),
        n_rows=len(frame),
        n_groups=len(sizes),
        min_group_size=int(sizes.min()) if len(sizes) else 0,
        n_groups_below_k=len(below),
        n_rows_below_k=int(below.sum()),
        smallest_groups=smallest,
        group_sizes=sizes.rename("size"),
    )


# ====================================================================== separation


def split_identifiers(
    frame: Any,
    identifier_columns: Sequence[str],
    *,
    id_column: str | None = None,
    key: str | bytes | None = None,
    key_env: str | None = DEFAULT_KEY_ENV,
    key_name: str = "pseudonym",
    length: int = 16,
) -> tuple[Any, Any]:
    """Split a table into an identifier table and a de-identified feature table.

    The two tables share only the column ``key_name``, a keyed pseudonym (HMAC-SHA-256): the
    identifier table can stay with the data controller, the feature table go to analysis or
    training, and the two be joined again only where both are held.

    Parameters
    ----------
    frame : pandas.DataFrame
    identifier_columns : list of str
        The columns that go to the identifier table only.
    id_column : str, default=None
        The identifier the pseudonym is computed from (e.g. the MRN), so one patient has one
        pseudonym across rows, tables and runs. None: the pseudonym is computed from the values
        of all ``identifier_columns`` of the row together. Rows with no value in it are an
        error.
    key : str or bytes, default=None
        The secret key; read from the environment variable ``key_env`` when None.
    key_env : str, default="SKMED_PSEUDONYM_KEY"
    key_name : str, default="pseudonym"
        Name of the joining column; must not already be a column.
    length : int, default=16
        Hex characters of the pseudonym.

    Returns
    -------
    identifiers : pandas.DataFrame
        ``key_name`` then ``identifier_columns``, one row per distinct combination.
    features : pandas.DataFrame
        ``key_name`` then the other columns, one row per row of ``frame`` (same index).
    """
    pd = _pandas()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"split_identifiers expects a DataFrame; got {type(frame).__name__}.")
    if isinstance(identifier_columns, str):
        identifier_columns = [identifier_columns]
    ids = list(identifier_columns)
    if not ids:
        raise ValueError("split_identifiers needs at least one identifier column.")
    missing = [c for c in ids if c not in frame.columns]
    if missing:
        raise ValueError(
            f"identifier column(s) {missing} not found; the columns are {_describe(frame.columns)}."
        )
    if id_column is not None and id_column not in ids:
        raise ValueError(f"id_column {id_column!r} must be one of the identifier columns {ids}.")
    if key_name in frame.columns:
        raise ValueError(f"key_name {key_name!r} is already a column; choose another name.")
    _check_length(length)
    secret = _resolve_key(key, key_env, "")
    if id_column is not None:
        source = frame[id_column]
        empty = source.isna()
        if empty.any():
            raise ValueError(
                f"{int(empty.sum())} row(s) have no {id_column!r} value to derive the key from."
            )
        pseudonyms = _pseudonymize_series(source, secret, length, "")
    else:
        joined = [
            "\x1f".join("" if is_missing(v) else _canonical(v) for v in row)
            for row in frame[ids].itertuples(index=False, name=None)
        ]
        pseudonyms = _pseudonymize_series(pd.Series(joined, index=frame.index), secret, length, "")
    identity = frame[ids].astype(object).where(frame[ids].notna(), None)
    who = frame[id_column].map(_canonical) if id_column is not None else pd.Series(joined)
    pairs = pd.DataFrame({"p": pseudonyms.to_numpy(), "who": who.to_numpy()}).drop_duplicates()
    if pairs["p"].duplicated().any():  # pragma: no cover - about 2**-64 per pair of patients
        raise ValueError("two different identifiers got the same pseudonym; increase length.")
    identifiers = pd.concat([pseudonyms.rename(key_name), identity], axis=1)
    identifiers = identifiers.drop_duplicates().reset_index(drop=True)
    features = pd.concat([pseudonyms.rename(key_name), frame.drop(columns=ids)], axis=1)
    return identifiers, features


# ====================================================================== pipelines


PRIVACY_STEPS = (DropIdentifiers, Pseudonymizer, AgeBands, DateGeneralizer, RareCategoryMerger)


def split_privacy_steps(pipeline: Any) -> tuple[Any, Any]:
    """Split a fitted Pipeline into its privacy part and its model part.

    The privacy part is every step up to and including the last skmed privacy transformer;
    the model part, the rest. Run the privacy part where the identified data lives (it may
    need the key) and export the model part with :func:`skmed.to_onnx`, giving it
    de-identified rows: ``to_onnx(model, privacy.transform(X.head(50)))``.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline

    Returns
    -------
    privacy, model : sklearn.pipeline.Pipeline
        Slices of ``pipeline`` sharing its fitted steps.

    Raises
    ------
    ValueError
        If ``pipeline`` is not a Pipeline, has no privacy step, or has nothing after the last.
    """
    steps = getattr(pipeline, "steps", None)
    if steps is None:
        raise ValueError(f"expected a Pipeline; got {type(pipeline).__name__}.")
    private = [
        i
        for i, (_, step) in enumerate(steps)
        if any(isinstance(s, PRIVACY_STEPS) for s in _walk(step))
    ]
    last = max(private, default=None)
    if last is None:
        raise ValueError("the pipeline has no skmed privacy step; export it whole.")
    if last == len(steps) - 1:
        raise ValueError("the pipeline ends with a privacy step; there is no model part to export.")
    return pipeline[: last + 1], pipeline[last + 1 :]
