"""skmed: a Keras 3 multilayer perceptron that is a scikit-learn classifier, for clinical data.

Public names load lazily, so ``import skmed`` imports neither Keras nor a backend.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_LAZY = {
    "MedicalMLPClassifier": "skmed.neural_network",
    "MedicalMLPSurvival": "skmed.neural_network",
    "to_onnx": "skmed.onnx",
    "evaluate": "skmed._evaluation",
    "recalibrate": "skmed.recalibration",
}

# subpackages reachable as attributes (``skmed.datasets``) without an explicit import
_SUBMODULES = {"datasets"}

__all__ = [
    "MedicalMLPClassifier",
    "MedicalMLPSurvival",
    "__version__",
    "evaluate",
    "recalibrate",
    "to_onnx",
]

if TYPE_CHECKING:
    from skmed._evaluation import evaluate
    from skmed.neural_network import MedicalMLPClassifier, MedicalMLPSurvival
    from skmed.recalibration import recalibrate


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"skmed.{name}")
    raise AttributeError(f"module 'skmed' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
