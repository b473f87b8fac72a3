"""Compare new data with the training summary stored in an exported model: data drift.

:func:`skmed.to_onnx` stores an aggregate summary of the training rows in the file's
``input_profile`` (see :doc:`/serving`); :func:`check_drift` compares the rows a model now sees
(a new site, a new year) with it, column by column, without labels and without scikit-learn:

* **missingness**: the share missing, before and now; flagged when it changed by at least
  ``MISSING_CHANGE`` (10 percentage points) and by more than twice the sampling error of
  the difference;
* **numeric columns**: the standardized mean difference (new mean - training mean over the
  pooled standard deviation), flagged from ``SMD_LIMIT`` (0.2, a "small" effect) when it
  also exceeds twice its sampling error (``2 sqrt(1/n_training + 1/n_new)``); and the median's
  shift in training interquartile ranges, flagged from ``MEDIAN_SHIFT_LIMIT`` (0.5);
* **categories**: values the model never saw (listed when at least 10 rows hold them, else only
  counted), training categories that vanished, and the largest change in a category's share,
  flagged from ``SHARE_CHANGE`` (0.1);
* **the outcome**, when the new rows' labels are given and the file stores the training rows'
  class counts: each class's share against the training prevalence, flagged from
  ``OUTCOME_CHANGE`` (5 percentage points) when it also exceeds twice its sampling error.

Only aggregates of the new data are reported (shares, means, counts of unseen values); a new
category value is named only from the stored summary's minimum count of rows. Imports numpy
and pandas (and onnxruntime to read the file).

Examples
--------
>>> from skmed.drift import check_drift  # doctest: +SKIP
>>> report = check_drift("model.onnx", new_patients)  # doctest: +SKIP
>>> report.flagged  # doctest: +SKIP
['crp_mg_l', 'sex']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skmed._columns import require_columns
from skmed._missing import missing_mask
from skmed._onnx_session import OnnxModel
from skmed._profile import MIN_COUNT, ColumnProfile, summarise_outcome
from skmed._site import known_labels
from skmed.runtime import load_model

__all__ = [
    "MEDIAN_SHIFT_LIMIT",
    "MISSING_CHANGE",
    "OUTCOME_CHANGE",
    "SHARE_CHANGE",
    "SMD_LIMIT",
    "ColumnDrift",
    "DriftReport",
    "OutcomeDrift",
    "check_drift",
]

#: Change in the share missing (absolute) that is flagged.
MISSING_CHANGE = 0.10
#: Absolute standardized mean difference that is flagged.
SMD_LIMIT = 0.2
#: Shift of the median, in training interquartile ranges, that is flagged.
MEDIAN_SHIFT_LIMIT = 0.5
#: Absolute change in one category's share that is flagged.
SHARE_CHANGE = 0.10
#: Absolute change in a class's share of the outcome (prevalence) that is flagged.
OUTCOME_CHANGE = 0.05


@dataclass
class ColumnDrift:
    """The comparison of one column.

    Attributes
    ----------
    column, role : str
    n_reference, n_new : int or None
        Rows in the training summary and in the new data.
    missing_reference, missing_new : float or None
        Share missing.
    smd : float or None
        Standardized mean difference (numeric columns).
    median_shift : float or None
        (new median - training median) / training IQR (numeric columns).
    new_categories : dict of str to int
        Unseen values held by at least 10 rows, with their counts.
    n_rare_new_values : int
        Rows holding unseen values that are each held by fewer than 10 rows (not listed).
    vanished_categories : list of str
        Training categories (of at least 10 rows) absent from the new data.
    max_share_change : float or None
        Largest absolute change in a category's share.
    flags : list of str
        Why the column is flagged (empty: not flagged).
    """

    column: str
    role: str
    n_reference: int | None = None
    n_new: int | None = None
    missing_reference: float | None = None
    missing_new: float | None = None
    smd: float | None = None
    median_shift: float | None = None
    new_categories: dict[str, int] = field(default_factory=dict)
    n_rare_new_values: int = 0
    vanished_categories: list[str] = field(default_factory=list)
    max_share_change: float | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class OutcomeDrift:
    """One class's share of the outcome: in the training rows and in the new rows.

    Attributes
    ----------
    class_ : str
    share_reference, share_new : float
    n_reference, n_new : int
    flagged : bool
        The share changed by at least ``OUTCOME_CHANGE`` and by more than twice the sampling
        error of the difference.
    """

    class_: str
    share_reference: float
    share_new: float
    n_reference: int
    n_new: int
    flagged: bool


@dataclass
class DriftReport:
    """Per-column drift of new data against a model's training summary.

    Attributes
    ----------
    columns : list of ColumnDrift
    n_rows : int
        Rows of new data compared.
    note : str
        Why nothing could be compared, when the file holds no training summary.
    outcome : list of OutcomeDrift
        Each class's share against the training prevalence, when labels were given and the
        file stores the training class counts.
    outcome_note : str
        Why the outcome was not compared, when labels were given but could not be.
    """

    columns: list[ColumnDrift]
    n_rows: int
    note: str = ""
    outcome: list[OutcomeDrift] = field(default_factory=list)
    outcome_note: str = ""

    @property
    def outcome_flagged(self) -> list[str]:
        """The classes whose share of the outcome is flagged."""
        return [o.class_ for o in self.outcome if o.flagged]

    @property
    def flagged(self) -> list[str]:
        """Names of the flagged columns."""
        return [c.column for c in self.columns if c.flags]

    def to_frame(self) -> Any:
        """One row per column (pandas)."""
        import pandas as pd

        rows = []
        for c in self.columns:
            row = {k: v for k, v in c.__dict__.items() if k not in ("flags",)}
            row["flags"] = "; ".join(c.flags)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content."""
        return {
            "n_rows": self.n_rows,
            "note": self.note,
            "thresholds": {
                "missing_change": MISSING_CHANGE,
                "smd": SMD_LIMIT,
                "median_shift_iqr": MEDIAN_SHIFT_LIMIT,
                "share_change": SHARE_CHANGE,
                "outcome_change": OUTCOME_CHANGE,
                "min_count": MIN_COUNT,
            },
            "flagged": self.flagged,
            "columns": [dict(c.__dict__) for c in self.columns],
            "outcome": [
                {("class" if k == "class_" else k): v for k, v in o.__dict__.items()}
                for o in self.outcome
            ],
            "outcome_flagged": self.outcome_flagged,
            "outcome_note": self.outcome_note,
        }


def check_drift(model: Any, X: Any, y: Any = None) -> DriftReport:
    """Compare ``X`` with the training summary stored in an exported model.

    Parameters
    ----------
    model : str, path-like, bytes, skmed.runtime.OnnxClassifier or OnnxSurvival
        A file written by :func:`skmed.to_onnx` (from a frame): a classifier or a survival
        model (whose outcome is not compared: pass no ``y``).
    X : pandas.DataFrame
        The new rows, with (at least) the model's columns; labels are not needed.
    y : array-like of shape (n_samples,), default=None
        The new rows' labels, if known: their outcome rate is compared with the training
        prevalence (files exported with ``reference_target``, as ``skmed train`` writes them).

    Returns
    -------
    DriftReport
        With a ``note`` and no columns when the file holds no training summary (files written
        before skmed stored one, or exported with ``reference_data=None``).

    Raises
    ------
    ValueError
        If ``X`` is not a frame, is empty, or lacks a model column, or ``y`` does not match
        ``X`` in length, holds a missing label or a label the model does not know.
    """
    runtime = model if isinstance(model, OnnxModel) else load_model(model)
    if y is not None and not hasattr(runtime, "classes_"):
        raise ValueError(
            "y is compared with a classifier's training prevalence; this model is a survival "
            "model: leave y out (its columns are still compared)."
        )
    if not hasattr(X, "columns"):
        raise ValueError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    if len(X) == 0:
        raise ValueError("X has no rows; drift needs the new data.")
    profile = runtime.input_profile
    report = _columns(profile, X)
    if y is not None:
        classes = runtime.classes_  # type: ignore[attr-defined]  # a classifier (checked above)
        _outcome(profile, X, y, classes, report)
    return report


def _columns(profile: Any, X: Any) -> DriftReport:
    summarised = [c for c in profile.columns if c.n] if profile is not None else []
    if not summarised:
        return DriftReport(
            [],
            len(X),
            note="The model file holds no training summary (exported before skmed stored one, "
            "or with reference_data=None): drift cannot be compared. Re-export it with "
            "skmed.to_onnx(..., reference_data=X_train).",
        )
    names = [c.name for c in summarised]
    require_columns(names, X.columns, what="the model's column(s)", where="X")
    return DriftReport([_compare(c, X[c.name]) for c in summarised if c.role != "unused"], len(X))


def _outcome(profile: Any, X: Any, y: Any, classes: Any, report: DriftReport) -> None:
    """Each class's share in ``y`` against the training prevalence stored in the profile."""
    labels = np.asarray(getattr(y, "to_numpy", lambda: y)(), dtype=object).reshape(-1).tolist()
    if len(labels) != len(X):
        raise ValueError(f"y has {len(labels)} labels but X has {len(X)} rows.")
    missing = missing_mask(labels)
    if missing.any():
        raise ValueError(f"y is missing in row {int(np.flatnonzero(missing)[0])}.")
    labels = known_labels(classes, labels).tolist()  # refused as skmed evaluate refuses them
    stored = profile.outcome if profile is not None else None
    if not stored or not stored["counts"]:
        report.outcome_note = (
            "The model file holds no training class counts (exported without "
            "reference_target): the outcome rate cannot be compared with the training "
            "prevalence."
        )
        return
    # every class counted, however rare: the new rows' shares are compared, never stored
    summary = summarise_outcome(labels, min_count=1)
    n_ref, n_new, now = int(stored["n"]), summary["n"], summary["counts"]
    for label, count in stored["counts"].items():
        before, after = count / n_ref, now.get(label, 0) / n_new
        pooled = (count + now.get(label, 0)) / (n_ref + n_new)
        noise = 2 * math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_new))
        report.outcome.append(
            OutcomeDrift(
                class_=label,
                share_reference=round(before, 3),
                share_new=round(after, 3),
                n_reference=n_ref,
                n_new=n_new,
                flagged=abs(after - before) >= max(OUTCOME_CHANGE, noise),
            )
        )


def _compare(profile: ColumnProfile, series: Any) -> ColumnDrift:
    values = series.tolist()
    missing = missing_mask(values)
    missing_new = round(float(np.mean(missing)), 3)
    drift = ColumnDrift(
        profile.name,
        profile.role,
        n_reference=profile.n,
        n_new=len(values),
        missing_reference=profile.missing_share,
        missing_new=missing_new,
    )
    if profile.missing_share is not None and profile.n:
        change = missing_new - profile.missing_share
        pooled = (profile.missing_share * profile.n + missing_new * len(values)) / (
            profile.n + len(values)
        )
        noise = 2 * math.sqrt(pooled * (1 - pooled) * (1 / profile.n + 1 / len(values)))
        if abs(change) >= max(MISSING_CHANGE, noise):
            drift.flags.append(
                f"missing {profile.missing_share:.0%} in training, {missing_new:.0%} now"
            )
    if profile.role in ("numeric", "boolean"):
        _numeric(profile, series, missing, drift)
    elif profile.role == "category":
        _categories(profile, values, missing, drift)
    return drift


def _numeric(profile: ColumnProfile, series: Any, missing: np.ndarray, drift: ColumnDrift) -> None:
    import pandas as pd

    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    not_numbers = ~missing & np.isnan(numbers)
    if not_numbers.any():
        row = int(np.flatnonzero(not_numbers)[0])
        raise ValueError(
            f"Column {profile.name!r} is numeric in the model, but row {row} holds "
            f"{series.iloc[row]!r}."
        )
    present = numbers[~np.isnan(numbers)]
    if present.size < MIN_COUNT:
        return
    if profile.mean is not None and profile.std is not None:
        pooled = math.sqrt((profile.std**2 + float(np.var(present, ddof=1))) / 2)
        n_reference = max(1, round((profile.n or 0) * (1 - (profile.missing_share or 0))))
        # twice the SMD's standard error: a shift this small is what two samples of these
        # sizes differ by anyway
        noise = 2 * math.sqrt(1 / n_reference + 1 / present.size)
        if pooled > 0:
            drift.smd = round((float(np.mean(present)) - profile.mean) / pooled, 3)
            if abs(drift.smd) >= max(SMD_LIMIT, noise):
                drift.flags.append(f"standardized mean difference {drift.smd:+.2f}")
    q = profile.quantiles
    if {"25", "50", "75"} <= set(q) and q["75"] > q["25"]:
        drift.median_shift = round((float(np.median(present)) - q["50"]) / (q["75"] - q["25"]), 3)
        if abs(drift.median_shift) >= MEDIAN_SHIFT_LIMIT:
            drift.flags.append(f"median moved {drift.median_shift:+.2f} training IQRs")


def _categories(
    profile: ColumnProfile, values: list[Any], missing: np.ndarray, drift: ColumnDrift
) -> None:
    present = [str(v) for v, m in zip(values, missing) if not m]
    if not present:
        return
    keys, counts = np.unique(np.asarray(present, dtype=object), return_counts=True)
    now = {str(k): int(c) for k, c in zip(keys, counts)}
    known = {str(c) for c in profile.categories or []} | set(profile.counts)
    unseen = {k: c for k, c in now.items() if k not in known}
    drift.new_categories = {k: c for k, c in unseen.items() if c >= MIN_COUNT}
    drift.n_rare_new_values = sum(c for c in unseen.values() if c < MIN_COUNT)
    if drift.new_categories:
        drift.flags.append(f"new categories {sorted(drift.new_categories)}")
    reference = {k: c for k, c in profile.counts.items() if k != "(other)"}
    drift.vanished_categories = sorted(k for k in reference if k not in now)
    if drift.vanished_categories and len(present) >= 10 * MIN_COUNT:
        drift.flags.append(f"categories no longer seen {drift.vanished_categories}")
    total_ref = sum(profile.counts.values())
    if total_ref:
        changes = [abs(now.get(k, 0) / len(present) - c / total_ref) for k, c in reference.items()]
        drift.max_share_change = round(max(changes), 3) if changes else None
        if drift.max_share_change is not None and drift.max_share_change >= SHARE_CHANGE:
            drift.flags.append(f"a category's share changed by {drift.max_share_change:.0%}")
