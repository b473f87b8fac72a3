"""Docstring pieces shared by several public functions, written once.

A docstring holds a placeholder line ``{{name}}``; :func:`fill_doc` replaces it with the piece
registered under that name, indented like the placeholder. numpydoc and Sphinx see the filled
text (it is filled when the module is imported).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)\{\{(?P<name>\w+)\}\}[ \t]*$", re.M)


def fill_doc(pieces: dict[str, str]) -> Callable[[T], T]:
    """A decorator that fills ``{{name}}`` lines of the docstring from ``pieces``.

    Parameters
    ----------
    pieces : dict of str to str
        Text by name; each piece is dedented, then indented like its placeholder.

    Raises
    ------
    KeyError
        At import time, when a placeholder names no piece (a typo fails loudly, not in the docs).
    """

    def fill(match: re.Match[str]) -> str:
        text = textwrap.dedent(pieces[match["name"]]).strip("\n")
        return textwrap.indent(text, match["indent"])

    def decorate(obj: T) -> T:
        if obj.__doc__:
            obj.__doc__ = _PLACEHOLDER.sub(fill, obj.__doc__)
        return obj

    return decorate
