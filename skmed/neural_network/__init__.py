"""The network models: the estimators and what they share.

``_classifier`` holds :class:`MedicalMLPClassifier` (parameters, fit, predict, pickling);
``_network`` the network description (build the Keras MLP, read any Keras MLP back, the numpy
forward pass, merging members); ``_survival`` :class:`MedicalMLPSurvival` (the Cox head,
Breslow's baseline in ``_breslow``); ``_heads`` what an output means (activation, loss, strata,
classical start); ``_activations`` the one table of activations; ``_numpy_step`` one network's
training step in numpy; ``_numpy_training`` that step for a Keras model; ``_members``
cross-fitted members trained without Keras; ``_trainer`` which of them a fit uses;
``_ensemble`` the members' folds and logistic start; ``_keras_state`` weights and optimizer
slots as arrays; ``_checks`` the estimator's input checks.
"""

from skmed.neural_network._classifier import MedicalMLPClassifier
from skmed.neural_network._survival import MedicalMLPSurvival

__all__ = ["MedicalMLPClassifier", "MedicalMLPSurvival"]
