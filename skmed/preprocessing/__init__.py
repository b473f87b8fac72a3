"""Preprocessing for clinical tables: free-text symptom lists as a multi-hot matrix.

:class:`SymptomEncoder` turns one or more list-valued text columns (``"fever; dry cough;
headache"``, ``"SOB, Fatigue"``) into one 0/1 column per symptom of a vocabulary learned in
``fit``, plus a count of the symptoms it does not know. Every normalisation it applies by default
has an exact ONNX translation (:mod:`skmed.onnx`), so the exported model takes the raw
text and gives the same numbers as Python; the two options that have none
(``lowercase="unicode"`` and ``strip_accents="unicode"``) are refused by :func:`skmed.to_onnx`
with a message naming them.

:func:`looks_like_symptom_list` tells a list-valued text column from a plain categorical one, for
pipeline builders that choose an encoder per column.

How a cell becomes symptoms, in this order (ONNX does the same steps):

1. a missing value (``None``, ``NaN``, ``pd.NA``) is the empty string;
2. ``lowercase=True`` lowercases the ASCII letters ``A``-``Z`` (other letters keep their case:
   see the class notes);
3. the text is split at every separator in ``separators``, one separator after the other;
4. inside each piece, runs of the ASCII whitespace characters (space, tab, newline, carriage
   return, form feed, vertical tab) become one space and whitespace at both ends is removed;
   pieces left empty are dropped;
5. ``synonyms`` maps a symptom to its canonical name (one step, not transitively), or to ``""``
   to drop it (``"none"``, ``"nil"``);
6. a symptom of the vocabulary sets its column to 1 (repeats count once); any other symptom adds
   1 to the ``other`` column (``handle_unknown="other"``) or is ignored.
"""

from skmed.preprocessing._encoder import SymptomEncoder
from skmed.preprocessing._text import (
    DEFAULT_SEPARATORS,
    WHITESPACE,
    looks_like_symptom_list,
    separator_tuple,  # noqa: F401  (the ONNX converter splits at the same separators)
)

__all__ = ["DEFAULT_SEPARATORS", "WHITESPACE", "SymptomEncoder", "looks_like_symptom_list"]
