"""Build the input profile (:mod:`skmed._profile`) of a model being exported.

What a column may hold is read off the fitted preprocessing: the first step's ColumnTransformer
sends each column through its transformer, whose steps say whether a missing value is imputed,
which categories are known and whether others are refused. The summary part is computed from
the reference rows given to :func:`skmed.to_onnx`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skmed._missing import missing_mask
from skmed._profile import (
    MIN_REQUIRED_ROWS,
    ColumnProfile,
    InputProfile,
    summarise_categories,
    summarise_numeric,
    summarise_outcome,
)
from skmed._schema import Schema, is_frame
from skmed._sklearn_utils import column_positions

_IMPUTERS = ("SimpleImputer", "IterativeImputer", "KNNImputer")
_ENCODERS = ("OneHotEncoder", "OrdinalEncoder")


def build_profile(
    steps: list[tuple[str, Any]],
    schema: Schema,
    reference: Any,
    target: Any = None,
    optional: tuple[str, ...] = (),
) -> InputProfile:
    """The profile of a ``"columns"``-layout model's inputs.

    Parameters
    ----------
    steps : list of (name, estimator)
        The fitted preprocessing steps (samplers left out), possibly empty.
    schema : Schema
        The graph inputs.
    reference : pandas.DataFrame or None
        Rows to summarise; None stores no summary.
    target : list or None
        The reference rows' labels (checked by the caller), summarised as class counts.
    optional : tuple of str
        Columns that may be missing at prediction although the reference rows always hold
        them (the others such are ``required``).
    """
    rules = _column_rules(steps, schema)
    columns = []
    for spec in schema.inputs:
        rule = rules.get(spec.name) or _default_rule(spec.kind, steps)
        if spec.kind in ("int64", "bool"):  # an integer or boolean tensor cannot hold NaN
            rule["missing_allowed"] = False
        summary = _summary(reference, spec.name, rule["role"]) if reference is not None else {}
        # never missing in enough training rows: a missing value is not imputed at the point
        # of care but refused, unless the exporter listed the column as optional
        rule["required"] = bool(
            rule.get("missing_allowed", True)
            and rule.get("role") in ("numeric", "category")  # no symptoms: none listed
            and (summary.get("n") or 0) >= MIN_REQUIRED_ROWS
            and summary.get("missing_share") == 0
            and spec.name not in optional
        )
        columns.append(ColumnProfile(name=spec.name, **rule, **summary))
    outcome = summarise_outcome(target) if target is not None else None
    return InputProfile(tuple(columns), outcome)


def _default_rule(kind: str, steps: list[tuple[str, Any]]) -> dict[str, Any]:
    """A column the model takes as one numeric matrix: missing values need a first imputer."""
    role = "boolean" if kind == "bool" else "numeric"
    first: Any = steps[0][1] if steps else None
    while type(first).__name__ == "Pipeline" and first.steps:
        first = first.steps[0][1]
    return {"role": role, "missing_allowed": type(first).__name__ in _IMPUTERS}


def _column_rules(steps: list[tuple[str, Any]], schema: Schema) -> dict[str, dict[str, Any]]:
    first: Any = steps[0][1] if steps else None
    if type(first).__name__ != "ColumnTransformer":
        return {}
    names = [str(c) for c in getattr(first, "feature_names_in_", [])]
    if not names:
        return {}
    kinds = {spec.name: spec.kind for spec in schema.inputs}
    rules: dict[str, dict[str, Any]] = {n: {"role": "unused"} for n in names}
    for _, transformer, selection in first.transformers_:
        selected = [names[i] for i in column_positions(selection, names)]
        for j, name in enumerate(selected):
            rule = _rule(transformer, j, kinds.get(name, "double"))
            if rule["role"] == "unused":
                continue
            earlier = rules[name]
            if earlier["role"] != "unused":  # several transformers read the column
                rule = _merge(earlier, rule, type(transformer).__name__ == "MissingIndicator")
            rules[name] = rule
    return rules


def _merge(first: dict[str, Any], second: dict[str, Any], indicator: bool) -> dict[str, Any]:
    """One column read by two transformers: missing only if both take it; the encoder's role
    (not the indicator's, when ``second`` is a MissingIndicator)."""
    rule, other = (first, second) if indicator else (second, first)
    return {**rule, "missing_allowed": rule["missing_allowed"] and other["missing_allowed"]}


def _rule(transformer: Any, j: int, kind: str) -> dict[str, Any]:
    """What ``transformer`` does with its ``j``-th input column."""
    if isinstance(transformer, str):  # "drop" or "passthrough"
        if transformer == "drop":
            return {"role": "unused"}
        return {"role": "boolean" if kind == "bool" else "numeric", "missing_allowed": False}
    if type(transformer).__name__ == "MissingIndicator":
        # scikit-learn refuses missing values new to a column it did not flag in fit
        flagged = j in set(np.asarray(transformer.features_).tolist())
        role = "boolean" if kind == "bool" else "category" if kind == "string" else "numeric"
        return {"role": role, "missing_allowed": flagged or not transformer.error_on_new}
    if type(transformer).__name__ == "FeatureUnion":  # every part reads the column
        rule: dict[str, Any] | None = None
        for _, part in transformer.transformer_list:
            if isinstance(part, str):
                continue
            this = _rule(part, j, kind)
            indicator = type(part).__name__ == "MissingIndicator"
            rule = this if rule is None else _merge(rule, this, indicator)
        return rule or {"role": "unused"}
    chain = list(transformer.steps) if type(transformer).__name__ == "Pipeline" else []
    chain = [step for _, step in chain] or [transformer]
    imputed = False
    for step in chain:
        name = type(step).__name__
        if name in _IMPUTERS:
            imputed = True
        elif name in _ENCODERS:
            refuses = getattr(step, "handle_unknown", "error") == "error"
            return {
                "role": "category",
                "missing_allowed": imputed or not refuses,
                "categories": [_plain(c) for c in step.categories_[j].tolist()],
                "unknown_refused": refuses,
            }
        elif name == "SymptomEncoder":
            separators = step.separators
            return {
                "role": "symptoms",
                "missing_allowed": True,
                "symptoms": [str(s) for s in step.vocabulary_[j].tolist()],
                "separator": separators if isinstance(separators, str) else list(separators)[0],
            }
    role = "boolean" if kind == "bool" else "category" if kind == "string" else "numeric"
    return {"role": role, "missing_allowed": imputed}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _summary(reference: Any, name: str, role: str) -> dict[str, Any]:
    if not is_frame(reference) or name not in reference.columns or role == "unused":
        return {}
    column = reference[name]
    if role in ("numeric", "boolean"):
        try:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            return {}
        return summarise_numeric(values)
    if role == "category":
        values = column.tolist()
        return summarise_categories(values, missing_mask(values))
    values = column.tolist()
    mask = missing_mask(values)
    return {"n": len(values), "missing_share": round(float(np.mean(mask)), 3) if values else None}
