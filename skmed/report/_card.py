"""The model card: TRIPOD+AI headings, free text."""

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

    @classmethod
    def from_any(cls, card: ModelCard | dict[str, Any] | None) -> ModelCard:
        """A ModelCard from a ModelCard, a dict (unknown keys go to ``extra``) or None."""
        if card is None:
            return cls()
        if isinstance(card, ModelCard):
            return card
        if not isinstance(card, dict):
            raise ValueError(f"model_card must be a dict or ModelCard; got {type(card).__name__}.")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        extra = {str(k): str(v) for k, v in card.items() if k not in known and k != "extra"}
        extra.update({str(k): str(v) for k, v in dict(card.get("extra") or {}).items()})
        return cls(**{k: str(v) for k, v in card.items() if k in known}, extra=extra)
