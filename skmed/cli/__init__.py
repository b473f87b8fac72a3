"""The ``skmed`` command line: ``demo``, ``train``, ``predict``, ``inspect`` and ``serve``.

This module only parses arguments, calls library functions and prints. Heavy imports happen
inside the command functions: ``skmed predict``, ``skmed inspect`` and ``skmed serve`` load
onnxruntime, numpy and pandas only (``serve`` also Starlette and uvicorn) -- never scikit-learn,
Keras or a Keras backend.

Errors from the library (bad files, bad columns, bad models) are printed as one line,
``skmed: error: <message>``, with exit status 1; usage errors exit with status 2. ``--debug``
(or ``SKMED_DEBUG=1``) shows the traceback instead.
"""

from skmed.cli._main import main
from skmed.cli._parser import build_parser

__all__ = ["build_parser", "main"]
