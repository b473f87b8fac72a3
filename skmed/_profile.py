"""The input profile of an exported model: what each input column may hold, and how it was.

:func:`skmed.to_onnx` writes it to the file's ``input_profile`` metadata (built by
``skmed.onnx._profile``); the runtime reads it back to refuse what the Python pipeline would
refuse, and the server builds its OpenAPI document and web form from it. Per column it holds

* what the fitted pipeline does with the column: its ``role`` (``"numeric"``, ``"category"``,
  ``"symptoms"``, ``"boolean"`` or ``"unused"``), whether a missing value is accepted (an imputer
  precedes the encoder, or the encoder ignores unknown values), the categories the encoder
  knows and whether it refuses others, a symptom-list column's vocabulary and separator;
* an aggregate summary of the reference (training) rows, privacy-safe by construction:
  counts, the share missing, quantiles rounded to 3 significant digits and stored only when at
  least :data:`MIN_COUNT` values lie beyond each of them (never a minimum or maximum), and
  category counts with categories seen fewer than :data:`MIN_COUNT` times merged;
* optionally, the reference rows' outcome: how many rows of each class (a class with fewer than
  :data:`MIN_COUNT` rows is not counted), so that a site's outcome rate can be compared with the
  training prevalence.

Only numpy is imported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from skmed._schema import MISSING_TEXT, InputError, MetadataJSON

__all__ = [
    "MIN_COUNT",
    "MIN_REQUIRED_ROWS",
    "QUANTILES",
    "ColumnProfile",
    "FeedCheck",
    "InputProfile",
    "may_be_missing",
]

#: Least number of rows behind every stored aggregate (a quantile's tail, a category count).
MIN_COUNT = 10

#: Least number of reference rows that make a never-missing column required.
MIN_REQUIRED_ROWS = 100

#: Percentiles summarised for numeric columns.
QUANTILES = (5, 25, 50, 75, 95)

#: Category-count key of the categories seen fewer than MIN_COUNT times.
OTHER = "(other)"

ROLES = ("numeric", "category", "symptoms", "boolean", "unused")


@dataclass(frozen=True)
class ColumnProfile:
    """What one input column may hold, and a summary of the reference rows.

    Parameters
    ----------
    name : str
        The input column.
    role : {"numeric", "category", "symptoms", "boolean", "unused"}
        What the fitted pipeline does with it.
    missing_allowed : bool
        Whether a missing value is accepted (the pipeline imputes or ignores it).
    categories : list or None
        The categories the encoder learned, for a ``"category"`` column.
    unknown_refused : bool
        Whether a value outside ``categories`` is refused (``handle_unknown="error"``).
    required : bool
        Whether a missing value is refused although the pipeline could impute it: the column
        was never missing in at least :data:`MIN_REQUIRED_ROWS` reference rows and the
        exporter did not list it in ``optional_columns`` (the point-of-care contract).
    symptoms : list of str or None
        A ``"symptoms"`` column's vocabulary; other symptoms are ignored.
    separator : str or None
        The separator to join several symptoms with.
    n : int or None
        Number of reference rows summarised (None: no summary stored).
    missing_share : float or None
        Share of those rows with the column missing.
    quantiles : dict of str to float
        ``{"5": ..., "25": ..., ...}``: the percentiles that could be stored (see module notes).
    mean, std : float or None
        Mean and standard deviation of the present values (at least MIN_COUNT of them),
        rounded to 3 significant digits.
    counts : dict of str to int
        Reference rows per category (rare ones merged under ``"(other)"``).
    """

    name: str
    role: str
    missing_allowed: bool = True
    categories: list[Any] | None = None
    unknown_refused: bool = False
    required: bool = False
    symptoms: list[str] | None = None
    separator: str | None = None
    n: int | None = None
    missing_share: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    mean: float | None = None
    std: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def typical_range(self) -> tuple[float, float] | None:
        """The stored 5th and 95th percentiles, or the quartiles, or None."""
        for low, high in (("5", "95"), ("25", "75")):
            if low in self.quantiles and high in self.quantiles:
                return self.quantiles[low], self.quantiles[high]
        return None


@dataclass(frozen=True)
class InputProfile(MetadataJSON):
    """The profile of every input column, in input order.

    Parameters
    ----------
    columns : tuple of ColumnProfile
    outcome : dict or None
        ``{"n": rows, "counts": {class: rows}}`` of the reference rows' labels (classes with
        fewer than MIN_COUNT rows left out), when they were given at export.
    """

    columns: tuple[ColumnProfile, ...]
    outcome: dict[str, Any] | None = None

    def __getitem__(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    _WHAT = "input profile"  # stored in the ``input_profile`` metadata key

    def _to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": 1, "columns": [asdict(c) for c in self.columns]}
        if self.outcome is not None:
            data["outcome"] = self.outcome
        return data

    @classmethod
    def _from_data(cls, data: Any) -> InputProfile:
        columns = tuple(ColumnProfile(**item) for item in data["columns"])
        if any(c.role not in ROLES for c in columns):
            raise ValueError("unknown role.")
        outcome = data.get("outcome")
        if outcome is not None:
            outcome = {"n": int(outcome["n"]), "counts": dict(outcome["counts"])}
        return cls(columns, outcome)


def may_be_missing(spec: Any, profile: InputProfile | None) -> bool:
    """Whether input ``spec`` (an :class:`~skmed._schema.InputSpec`) may be missing or left out.

    Only float and text inputs can carry a missing value at all; with a profile, the pipeline
    must also impute or ignore it (or not use the column), and the column must not be
    ``required`` (never missing in training). Without one (an older file), what the graph
    accepts is all that is known.
    """
    if spec.kind not in ("double", "float", "string"):
        return False
    if profile is None:
        return True
    try:
        column = profile[spec.name]
    except KeyError:
        return True
    return (column.missing_allowed and not column.required) or column.role == "unused"


# ---------------------------------------------------------------------- checking rows


class FeedCheck:
    """The profile's rules compiled for a graph's feeds.

    Refuses what the Python pipeline refuses and the graph would silently accept: a missing
    value in a column with no imputer (the graph would return NaN risks) and a category that
    the encoder refuses (the graph would encode it as all zeros).

    Parameters
    ----------
    profile : InputProfile
    schema : skmed._schema.Schema
        The graph inputs (``"columns"`` layout) the feeds are keyed by.
    """

    def __init__(self, profile: InputProfile, schema: Any) -> None:
        self._missing_text = MISSING_TEXT
        self._no_missing: list[tuple[str, str, bool, str]] = []
        self._refused: list[tuple[str, str, np.ndarray]] = []
        by_name = {c.name: c for c in profile.columns}
        for spec in schema.inputs:
            column = by_name.get(spec.name)
            if column is None or column.role == "unused":
                continue
            if (not column.missing_allowed or column.required) and spec.kind in (
                "double",
                "float",
                "string",
            ):
                why = (
                    "it was never missing in the model's training data, so the model requires "
                    "it (the exporter may allow it: to_onnx(optional_columns=...))"
                    if column.missing_allowed
                    else "the model has no imputer for it"
                )
                self._no_missing.append((spec.onnx_name, spec.name, spec.kind == "string", why))
            if column.unknown_refused and column.categories:
                known = np.asarray(column.categories, dtype=object)
                self._refused.append((spec.onnx_name, spec.name, known))

    def __bool__(self) -> bool:
        return bool(self._no_missing or self._refused)

    def __call__(self, feeds: dict[str, np.ndarray]) -> None:
        """Raise :class:`~skmed._schema.InputError` naming the first row and column at fault."""
        for onnx_name, name, is_text, why in self._no_missing:
            values = feeds[onnx_name].reshape(-1)
            missing = values == self._missing_text if is_text else np.isnan(values)
            if missing.any():
                row = int(np.argmax(missing))
                raise InputError(
                    f"Column {name!r} is missing in row {row}, but {why}: give a value.",
                    column=name,
                    row=row,
                )
        for onnx_name, name, known in self._refused:
            values = feeds[onnx_name].reshape(-1)
            unknown = ~np.isin(values.astype(object), known)
            if values.dtype == object:
                unknown &= values != self._missing_text
            if unknown.any():
                row = int(np.argmax(unknown))
                raise InputError(
                    f"Column {name!r} holds the unknown category {values[row]!r} in row {row}; "
                    f"the model knows {known.tolist()} and refuses others.",
                    column=name,
                    row=row,
                )


# ---------------------------------------------------------------------- summaries


def summarise_numeric(values: np.ndarray) -> dict[str, Any]:
    """``n``, ``missing_share`` and the storable ``quantiles`` of one numeric column."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    present = values[~np.isnan(values)]
    n_present = int(present.size)
    quantiles = {}
    for q in QUANTILES:
        # at least MIN_COUNT values on each side, so no stored number is one patient's value
        if n_present * min(q, 100 - q) / 100 >= MIN_COUNT:
            quantiles[str(q)] = _round3(float(np.percentile(present, q)))
    enough = n_present >= MIN_COUNT
    return {
        "n": int(values.size),
        "missing_share": _share(values.size - n_present, values.size),
        "quantiles": quantiles,
        "mean": _round3(float(np.mean(present))) if enough else None,
        "std": _round3(float(np.std(present, ddof=1))) if enough else None,
    }


def summarise_categories(values: list[Any], missing: np.ndarray) -> dict[str, Any]:
    """``n``, ``missing_share`` and the ``counts`` (rare categories merged) of a text column."""
    keys, counts = np.unique(
        np.asarray([str(v) for v, m in zip(values, missing) if not m], dtype=object),
        return_counts=True,
    )
    kept = {str(k): int(c) for k, c in zip(keys, counts) if c >= MIN_COUNT}
    rare = int(sum(c for c in counts if c < MIN_COUNT))
    if rare >= MIN_COUNT:
        kept[OTHER] = rare
    return {
        "n": len(values),
        "missing_share": _share(int(np.sum(missing)), len(values)),
        "counts": kept,
    }


def summarise_outcome(labels: list[Any], min_count: int = MIN_COUNT) -> dict[str, Any]:
    """``n`` and the rows per class (as text) of the labels; classes below ``min_count`` left out.

    The default is the stored summary's rule; drift counts every class of the new rows
    (``min_count=1``), whose shares it compares but never stores.
    """
    keys, counts = np.unique(np.asarray([str(v) for v in labels], dtype=object), return_counts=True)
    return {
        "n": len(labels),
        "counts": {str(k): int(c) for k, c in zip(keys, counts) if c >= min_count},
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _round3(value: float) -> float:
    return float(f"{value:.3g}")
