"""What both reports (classifier and survival) share: their common content, its JSON, and one
self-contained HTML page, each also written to a path, whole or not at all."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from skmed._io import atomic_write
from skmed.report._card import ModelCard
from skmed.report._format import clean

#: Docstring pieces of the attributes every report has.
DOCS = {
    "opening_attributes": """\
title : str
created : str
    ISO timestamp (UTC).""",
    "closing_attributes": """\
figures : dict of str to str
    Figure name -> base64-encoded PNG.
model_card : ModelCard
model_info : dict
    Model type and parameters, when ``model`` was given.
notes : list of str
    Warnings raised while building (e.g. figures skipped).""",
}


def opening(title: str, model_card: Any, model: Any) -> dict[str, Any]:
    """The fields every report starts with: its title, when it was made (UTC, to the second),
    its model card and what ``model`` is (type, repr and parameters; empty without one)."""
    return {
        "title": title,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model_card": ModelCard.from_any(model_card),
        "model_info": model_info(model),
    }


def model_info(model: Any) -> dict[str, Any]:
    """Type, repr and parameters of ``model`` (truncated; empty for None)."""
    if model is None:
        return {}
    info: dict[str, Any] = {"type": type(model).__name__, "repr": repr(model)[:4000]}
    try:
        params = model.get_params(deep=False)
        info["params"] = {k: repr(v)[:200] for k, v in params.items()}
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        pass
    return info


class BaseReport:
    """A report's common content and its files; a subclass adds its results and its page."""

    title: str
    created: str
    settings: dict[str, Any]
    data_summary: dict[str, Any]
    figures: dict[str, str]
    figure_captions: dict[str, str]
    model_card: ModelCard
    model_info: dict[str, Any]
    notes: list[str]

    def results(self) -> dict[str, Any]:
        """The subclass's own content, by JSON key."""
        raise NotImplementedError

    def render_html(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (NaN and infinities become ``null``)."""
        return clean(
            {
                "title": self.title,
                "created": self.created,
                "settings": self.settings,
                "data_summary": self.data_summary,
                **self.results(),
                "figures": {k: {"format": "png", "base64": v} for k, v in self.figures.items()},
                "figure_captions": self.figure_captions,
                "model_card": asdict(self.model_card),
                "model_info": self.model_info,
                "notes": self.notes,
            }
        )

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """The report as JSON; also written to ``path`` when given.

        Parameters
        ----------
        path : str or Path, default=None
            File to write (UTF-8; it appears whole or not at all).
        indent : int, default=2
            JSON indentation.

        Returns
        -------
        str
            The JSON text.
        """
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        _write(path, text)
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """The report as one self-contained HTML page; also written to ``path`` when given.

        Images are inline base64 PNG, styles are inline, and there are no scripts or external
        links, so the file opens offline and can be attached to an e-mail or a review.

        Parameters
        ----------
        path : str or Path, default=None
            File to write (UTF-8; it appears whole or not at all).

        Returns
        -------
        str
            The HTML text.
        """
        text = self.render_html()
        _write(path, text)
        return text


def _write(path: str | Path | None, text: str) -> None:
    if path is not None:
        with atomic_write(path) as handle:
            handle.write(text)
