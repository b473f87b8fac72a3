"""What both reports (classifier and survival) do with themselves: JSON and one self-contained
HTML page, each also written to a path, whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skmed._io import atomic_write


class ReportFiles:
    """``to_json`` and ``to_html`` of a report that has ``to_dict`` and ``render_html``."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def render_html(self) -> str:
        raise NotImplementedError

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
