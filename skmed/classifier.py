"""The public path of :class:`MedicalMLPClassifier` that pickles and skops files record.

Kept so every file saved by an earlier skmed still loads; the estimator lives in
:mod:`skmed.neural_network`.
"""

from skmed.neural_network import MedicalMLPClassifier

__all__ = ["MedicalMLPClassifier"]
