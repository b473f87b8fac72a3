"""The model card as the file stores it: checked once, read by the runtime, server and reports.

A card is a plain dict: free-text fields after TRIPOD+AI (:data:`TEXT_FIELDS`, the fields of
:class:`skmed.report.ModelCard`) and, under ``"columns"``, per predictor a ``label``, a
``unit`` and an optional plausible ``range`` ``[low, high]`` (either end may be ``None``; a
TOML file, which has no null, writes ``-inf`` / ``inf``)::

    {"intended_use": "...", "contact": "...",
     "columns": {"glucose": {"label": "Plasma glucose", "unit": "mg/dL", "range": [20, 600]}}}

:func:`check_card` validates such a dict (naming the key at fault) and returns it normalised;
:func:`read_card_file` reads one from a TOML or YAML file; :func:`card_from_metadata` reads the
card an exported file carries (metadata key ``"model_card"``); :func:`card_columns` gives its
predictors as :class:`ColumnNote`. Only the standard library is imported (YAML needs PyYAML).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from numbers import Real
from typing import Any

__all__ = [
    "CARD_KEY",
    "FIELD_TITLES",
    "TEXT_FIELDS",
    "ColumnNote",
    "card_columns",
    "card_from_metadata",
    "check_card",
    "read_card_file",
]

#: Metadata key of the card in an exported file.
CARD_KEY = "model_card"

#: The card's free-text fields, in the order a report shows them.
TEXT_FIELDS = (
    "model_name",
    "intended_use",
    "intended_users",
    "population",
    "outcome",
    "predictors",
    "data",
    "development",
    "limitations",
    "ethical_considerations",
    "contact",
)

#: The heading of each text field (TRIPOD+AI), for the report and ``skmed inspect``.
FIELD_TITLES = {
    "model_name": "Model",
    "intended_use": "Intended use",
    "intended_users": "Intended users",
    "population": "Target population",
    "outcome": "Outcome",
    "predictors": "Predictors",
    "data": "Data",
    "development": "Development",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations and fairness",
    "contact": "Contact",
}

_COLUMN_KEYS = ("label", "unit", "range")


@dataclass(frozen=True)
class ColumnNote:
    """What the card says of one predictor.

    Attributes
    ----------
    label : str
        A readable name ("Plasma glucose"); empty when not given.
    unit : str
        The unit its values are in ("mg/dL"); empty when not given.
    low, high : float or None
        The plausible range the card gives (``None``: no limit on that side).
    """

    label: str = ""
    unit: str = ""
    low: float | None = None
    high: float | None = None

    @property
    def has_range(self) -> bool:
        """Whether the card gives a plausible range (at least one end)."""
        return self.low is not None or self.high is not None

    def range_text(self) -> str:
        """``"20 to 600"``, ``">= 0"``, ``"<= 100"``, or ``""`` without a range."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g} to {self.high:g}"
        if self.low is not None:
            return f">= {self.low:g}"
        return f"<= {self.high:g}" if self.high is not None else ""

    def title(self, column: str) -> str:
        """``"Plasma glucose (mg/dL)"``: the label (or the column name) and the unit."""
        name = self.label or column
        return f"{name} ({self.unit})" if self.unit else name


def check_card(card: Any, columns: list[str] | None = None, *, where: str = "model_card") -> dict:
    """A card checked and normalised: text fields as strings, ``columns`` as checked notes.

    Parameters
    ----------
    card : dict
        Text fields and an optional ``"columns"`` table; other text keys are kept as extra
        fields (a report shows them as given).
    columns : list of str, default=None
        The model's input columns: a ``columns`` entry naming another column is an error.
    where : str, default="model_card"
        What the card is, for error messages (e.g. the card file's path).

    Returns
    -------
    dict
        Non-empty text fields (those of :data:`TEXT_FIELDS` in its order, then the extra
        ones), then ``"columns"`` (when given) with ``label``, ``unit`` and
        ``range`` per column, ``range`` as ``[low, high]`` floats or ``None``.

    Raises
    ------
    ValueError
        Naming the key at fault: a value that is not text, an unknown column, an unknown
        predictor key, a range that is not two numbers with low < high.
    """
    if not isinstance(card, dict):
        raise ValueError(f"{where} must be a table of fields; got {type(card).__name__}.")
    out: dict[str, Any] = {}
    for key, value in card.items():
        if key == "columns":
            continue
        if not isinstance(key, str) or not key:
            raise ValueError(f"{where}: field names must be non-empty text; got {key!r}.")
        if isinstance(value, dict | list):
            raise ValueError(
                f"{where}: field {key!r} must be text; got a {type(value).__name__}. Predictor "
                "labels, units and ranges go under [columns.<name>]."
            )
        text = "" if value is None else str(value).strip()
        if text:
            out[key] = text
    order = {name: i for i, name in enumerate(TEXT_FIELDS)}
    out = dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))
    notes = card.get("columns")
    if notes is not None:
        if not isinstance(notes, dict):
            raise ValueError(
                f"{where}: 'columns' must map column names to tables; got {type(notes).__name__}."
            )
        known = set(columns) if columns is not None else None
        checked = {}
        for name, note in notes.items():
            if known is not None and name not in known:
                raise ValueError(
                    f"{where}: columns.{name} names no input of the model; its inputs are "
                    f"{sorted(known)}."
                )
            checked[str(name)] = _check_note(note, f"{where}: columns.{name}")
        out["columns"] = checked
    return out


def _check_note(note: Any, where: str) -> dict[str, Any]:
    if not isinstance(note, dict):
        raise ValueError(f"{where} must be a table with label, unit or range.")
    unknown = sorted(set(note) - set(_COLUMN_KEYS))
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}; expected {list(_COLUMN_KEYS)}.")
    out: dict[str, Any] = {}
    for key in ("label", "unit"):
        value = note.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}.{key} must be text; got {value!r}.")
        out[key] = (value or "").strip()
    bounds = note.get("range")
    if bounds is None:
        out["range"] = None
        return out
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise ValueError(f"{where}.range must be [low, high]; got {bounds!r}.")
    low, high = (_bound(b, f"{where}.range", side) for b, side in zip(bounds, (-1, 1)))
    if low is not None and high is not None and not low < high:
        raise ValueError(f"{where}.range must have low < high; got {list(bounds)!r}.")
    out["range"] = [low, high]
    return out


def _bound(value: Any, where: str, side: int) -> float | None:
    """One end of a range: a finite number, or None for no limit (null; -inf as the low end
    and inf as the high end, which TOML, having no null, writes)."""
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, Real) and math.isinf(value):
        if math.copysign(1.0, value) == side:
            return None
    elif not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value):
        return float(value)
    raise ValueError(
        f"{where} must hold finite numbers, or no limit (null; -inf low, inf high); got {value!r}."
    )


def read_card_file(path: str | os.PathLike[str], columns: list[str] | None = None) -> dict:
    """Read and check a card from a TOML (``.toml``) or YAML (``.yaml`` / ``.yml``) file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For another extension, a file that does not parse (with the parser's message) or a card
        :func:`check_card` refuses.
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".toml", ".yaml", ".yml"):
        raise ValueError(f"model card {path!r} must be a .toml, .yaml or .yml file.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such model card file: {path!r}.")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"model card {path!r} is not UTF-8 text: {exc}.") from None
    if extension == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        loads, parse_error = tomllib.loads, tomllib.TOMLDecodeError
    else:
        try:
            import yaml
        except ModuleNotFoundError:
            raise ValueError(
                f"reading the YAML model card {path!r} needs PyYAML (pip install pyyaml); "
                "or write it as TOML."
            ) from None
        loads, parse_error = yaml.safe_load, yaml.YAMLError
    try:
        data = loads(text)
    except parse_error as exc:
        message = " ".join(str(exc).split())
        raise ValueError(f"model card {path!r} does not parse: {message}") from None
    return check_card({} if data is None else data, columns, where=f"model card {path!r}")


def card_from_metadata(metadata: dict[str, str]) -> dict | None:
    """The card an exported file carries (``None`` without one)."""
    text = metadata.get(CARD_KEY)
    if not text:
        return None
    try:
        card = json.loads(text)
    except ValueError:
        return None
    return card if isinstance(card, dict) else None


def card_columns(card: dict | None) -> dict[str, ColumnNote]:
    """The card's predictors as :class:`ColumnNote` (empty without a card or columns)."""
    notes = (card or {}).get("columns") or {}
    out = {}
    for name, note in notes.items():
        low, high = note.get("range") or (None, None)
        out[name] = ColumnNote(note.get("label") or "", note.get("unit") or "", low, high)
    return out
