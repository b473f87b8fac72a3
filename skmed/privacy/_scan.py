"""The identifier scan: direct identifiers found by column name and by value patterns."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from skmed._compat import Interval, validate_params
from skmed.privacy import _patterns as patterns
from skmed.privacy._base import column_list, pandas_module, require_frame


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


#: The constraints of the scan's settings (:func:`scan_identifiers`, :func:`check_no_identifiers`).
SCAN_SETTINGS = {
    "frame": "no_validation",  # a DataFrame, checked with a clearer message
    "sample_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "min_confidence": [Interval(numbers.Real, 0, 1, closed="both")],
    "exclude": "no_validation",  # any iterable of column names
}


@validate_params(
    {**SCAN_SETTINGS, "random_state": ["random_state"]},
    prefer_skip_nested_validation=True,
)
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
    require_frame(frame, "scan_identifiers")
    exclude = set(
        column_list(list(exclude), frame.columns, what="exclude names column(s)", where="the frame")
    )
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


@validate_params(
    {**SCAN_SETTINGS, "keep": "no_validation", "drop": "no_validation"},
    prefer_skip_nested_validation=True,
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
    require_frame(frame, "check_no_identifiers")
    # exclude is checked by scan_identifiers, on the frame without the dropped columns
    keep, drop = (
        column_list(list(names), frame.columns, what=f"{what} names column(s)", where="the data")
        for what, names in (("keep", keep), ("drop", drop))
    )
    exclude = list(exclude)
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
    pd = pandas_module()
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
