"""The model card: TRIPOD+AI headings, free text, and notes on the predictors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelCard:
    """Model card fields, after TRIPOD+AI. Every field is free text; empty means not provided.

    Parameters
    ----------
    model_name : str
        Name and version of the model.
    intended_use : str
        Clinical question, decision supported, and setting (e.g. "rule out sepsis in adult ED
        patients at triage"); what it must not be used for.
    intended_users : str
        Who acts on the output (e.g. ED nurses) and how.
    population : str
        Eligibility criteria of patients the model applies to.
    outcome : str
        Predicted outcome, its definition and time horizon.
    predictors : str
        Predictors, when they are measured, and how missing values are handled.
    data : str
        Source, dates, sites and size of development and evaluation data.
    development : str
        Model type, tuning, handling of class imbalance, threshold and calibration choices.
    limitations : str
        Known weaknesses: small subgroups, dataset shift, missing populations.
    ethical_considerations : str
        Fairness analyses, risks of harm, human oversight.
    contact : str
        Who maintains the model.
    extra : dict
        Any further fields (shown as given).
    columns : dict
        Per predictor, ``{"label": ..., "unit": ..., "range": [low, high] or None}`` (either
        end may be None), as :func:`skmed.to_onnx`'s ``model_card`` takes it; the report lists
        them under the card.
    """

    model_name: str = ""
    intended_use: str = ""
    intended_users: str = ""
    population: str = ""
    outcome: str = ""
    predictors: str = ""
    data: str = ""
    development: str = ""
    limitations: str = ""
    ethical_considerations: str = ""
    contact: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_any(cls, card: ModelCard | dict[str, Any] | None) -> ModelCard:
        """A ModelCard from a ModelCard, a dict (unknown keys go to ``extra``; ``columns``
        checked as :func:`skmed.to_onnx` checks it) or None."""
        from skmed._card import check_card

        if card is None:
            return cls()
        if isinstance(card, ModelCard):
            return card
        if not isinstance(card, dict):
            raise ValueError(f"model_card must be a dict or ModelCard; got {type(card).__name__}.")
        known = {f for f in cls.__dataclass_fields__ if f not in ("extra", "columns")}
        reserved = {"extra", "columns"}
        extra = {str(k): str(v) for k, v in card.items() if k not in known | reserved}
        extra.update({str(k): str(v) for k, v in dict(card.get("extra") or {}).items()})
        columns = check_card({"columns": card.get("columns") or {}})["columns"]
        text = {k: str(v) for k, v in card.items() if k in known and v is not None}
        return cls(**text, extra=extra, columns=columns)
