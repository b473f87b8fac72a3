"""The point-of-care contract of an exported file, beyond what its pipeline refuses.

:class:`~skmed._profile.FeedCheck` refuses what the Python pipeline refuses (and a missing
value of a ``required`` column); this module adds what a clinician needs from the answer:

* a row with **no observed predictor** (an empty form, a row of nulls) is refused -- the model
  would answer with the training average as if it were a patient;
* per row, structured **warnings**: a value that was ``imputed`` (missing, and the model fills
  it in), a number ``out_of_range`` -- outside the model card's plausible range when the card
  gives one, else far outside the training data (Tukey's outer fences: more than 3
  interquartile ranges beyond the quartiles, as the file stores no minimum or maximum) -- and an
  ``unseen_category`` the encoder ignores. A strict runtime refuses such rows instead.

Only numpy is imported (the runtime uses it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._schema import MISSING_TEXT, InputError

#: The kinds of warning a row can carry.
WARNING_KINDS = ("imputed", "out_of_range", "unseen_category")

#: Interquartile ranges beyond the quartiles where the training range is taken to end.
FENCE_IQR = 3.0


def training_range(column: Any) -> tuple[float, float] | None:
    """Tukey's outer fences of a profiled numeric column (None without its quartiles)."""
    q = column.quantiles
    if "25" not in q or "75" not in q:
        return None
    iqr = q["75"] - q["25"]
    if not iqr > 0:
        return None
    return q["25"] - FENCE_IQR * iqr, q["75"] + FENCE_IQR * iqr


class InputContract:
    """Empty rows refused and per-row warnings, compiled once for a file's feeds.

    Parameters
    ----------
    profile : InputProfile
    schema : skmed._schema.Schema
        The graph inputs (``"columns"`` layout).
    ranges : dict of str to (low, high), default=None
        Plausible ranges by column (the model card's; either end may be None); a column
        without one is checked against the training range.
    """

    def __init__(self, profile: Any, schema: Any, ranges: dict[str, Any] | None = None) -> None:
        ranges = ranges or {}
        by_name = {c.name: c for c in profile.columns}
        self._missable: list[tuple[str, str, bool, bool]] = []
        self._always_observed = False
        self._ranges: list[tuple[str, str, float, float, str]] = []
        self._categories: list[tuple[str, str, frozenset]] = []
        for spec in schema.inputs:
            column = by_name.get(spec.name)
            if column is None or column.role == "unused":
                continue
            if spec.kind in ("double", "float", "string"):
                # an empty symptom list is "no symptom", not a value filled in
                imputed = column.missing_allowed and not column.required
                imputed = imputed and column.role != "symptoms"
                self._missable.append((spec.onnx_name, spec.name, spec.kind == "string", imputed))
            else:  # an integer or yes/no input is always given
                self._always_observed = True
            if column.role == "numeric" and spec.kind in ("double", "float", "int64"):
                low, high = ranges.get(spec.name) or (None, None)
                source = "the model card's plausible range"
                if low is None and high is None:
                    fences = training_range(column)
                    low, high = fences if fences is not None else (None, None)
                    source = "the training data's range"
                if low is not None or high is not None:
                    low = -np.inf if low is None else float(low)
                    high = np.inf if high is None else float(high)
                    self._ranges.append((spec.onnx_name, spec.name, low, high, source))
            if column.categories and not column.unknown_refused and column.role == "category":
                self._categories.append((spec.onnx_name, spec.name, frozenset(column.categories)))
        # (onnx name, name, is text) of the columns a missing value of which is imputed
        self._imputed = [(o, name, text) for o, name, text, imputes in self._missable if imputes]
        self._imputed_numbers = [j for j, (_, _, text) in enumerate(self._imputed) if not text]
        self._imputed_text = [j for j, (_, _, text) in enumerate(self._imputed) if text]
        self._lows = np.array([r[2] for r in self._ranges], dtype=np.float64)
        self._highs = np.array([r[3] for r in self._ranges], dtype=np.float64)

    def refuse_empty(self, feeds: dict[str, np.ndarray]) -> None:
        """Raise :class:`InputError` for the first row with no observed predictor."""
        if self._always_observed or not self._missable:
            return
        empty = None
        for onnx_name, _, is_text, _ in self._missable:
            values = feeds[onnx_name].reshape(-1)
            missing = values == MISSING_TEXT if is_text else np.isnan(values)
            empty = missing if empty is None else empty & missing
            if not empty.any():
                return
        assert empty is not None
        row = int(np.argmax(empty))
        raise InputError(
            f"Row {row} has no observed predictor (every value is missing): the model would "
            "answer with the training average as if it were a patient. Give at least one value.",
            row=row,
        )

    def warnings(self, feeds: dict[str, np.ndarray]) -> list[list[dict[str, Any]]]:
        """Per row, the warnings of its values (see the module notes): imputed values, then
        numbers out of range, then unseen categories, each in column order.

        One comparison per kind over the stacked columns, so a 1-row call costs microseconds
        rather than a numpy call per column and kind; messages are written only for hits.
        """
        n = len(next(iter(feeds.values()))) if feeds else 0
        rows: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        imputed, numbers = self._imputed, self._imputed_numbers
        if imputed and n:
            missing = np.empty((n, len(imputed)), dtype=bool)
            if numbers:
                block = np.concatenate([feeds[imputed[j][0]].reshape(n, 1) for j in numbers], 1)
                missing[:, numbers] = np.isnan(block)
            for j in self._imputed_text:
                missing[:, j] = feeds[imputed[j][0]].reshape(-1) == MISSING_TEXT
            for i, j in zip(*(index.tolist() for index in np.nonzero(missing))):
                name = imputed[j][1]
                message = f"{name} is missing: the model imputed it."
                rows[i].append({"column": name, "kind": "imputed", "value": None,
                                "message": message})  # fmt: skip
        if self._ranges and n:
            values = np.concatenate(
                [feeds[onnx_name].reshape(n, 1) for onnx_name, *_ in self._ranges], 1
            ).astype(np.float64)
            with np.errstate(invalid="ignore"):
                outside = (values < self._lows) | (values > self._highs)
            for i, j in zip(*(index.tolist() for index in np.nonzero(outside))):
                _, name, low, high, source = self._ranges[j]
                value = float(values[i, j])
                rows[i].append(
                    {
                        "column": name,
                        "kind": "out_of_range",
                        "value": value,
                        "low": None if np.isinf(low) else low,
                        "high": None if np.isinf(high) else high,
                        "message": f"{name} = {value:g} lies outside {source} "
                        f"({_interval(low, high)}).",
                    }
                )
        for onnx_name, name, known in self._categories:
            for i, value in enumerate(feeds[onnx_name].reshape(-1).tolist()):
                if value not in known and value != MISSING_TEXT:
                    rows[i].append(
                        {
                            "column": name,
                            "kind": "unseen_category",
                            "value": str(value),
                            "message": f"{name} = {value!r} is a category the model never saw "
                            "in training: it counts as none of the known ones.",
                        }
                    )
        return rows


def first_warning(rows: list[list[dict[str, Any]]]) -> InputError | None:
    """The strict runtime's error for the first row with a warning (None when there is none)."""
    for i, warnings in enumerate(rows):
        if warnings:
            w = warnings[0]
            return InputError(
                f"Row {i}: {w['message']} Strict mode refuses it ({w['kind']}).",
                column=w["column"],
                row=i,
            )
    return None


def _interval(low: float, high: float) -> str:
    if np.isinf(low):
        return f"at most {high:g}"
    if np.isinf(high):
        return f"at least {low:g}"
    return f"{low:g} to {high:g}"
