"""MedicalMLPSurvival: a Keras 3 network for censored outcomes that is a scikit-survival
estimator."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from skmed._compat import Interval, StrOptions, fit_context
from skmed._docstrings import fill_doc
from skmed._step_function import step_functions
from skmed._survival_target import check_survival_target
from skmed.neural_network._base import DOCS, BaseMedicalMLP
from skmed.neural_network._breslow import breslow_baseline
from skmed.neural_network._pipeline_methods import add_survival_methods

add_survival_methods()

_DOCS = {
    **DOCS,
    # the parameters and result of both predict_*_function methods
    "step_functions": textwrap.dedent(DOCS["X_predict"]).strip("\n")
    + """
return_array : bool, default=False
    Return an array of shape (n_samples, n_times) of the values at ``unique_times_``
    instead of one step function per row.

Returns
-------
functions : ndarray of shape (n_samples,)
    One step function per row (call it with times), or the values at ``unique_times_``
    with ``return_array=True``.""",
}


@fill_doc(_DOCS)
class MedicalMLPSurvival(BaseMedicalMLP):
    """Multilayer perceptron for censored time-to-event outcomes (prognosis), trained with Keras 3.

    A Cox-type network (DeepSurv, Katzman et al. 2018): the network outputs the log partial
    hazard ``r(x)`` of each patient, trained on Breslow's negative log partial likelihood, and
    the survival function is ``S(t | x) = exp(-H0(t) exp(r(x)))`` with Breslow's baseline
    hazard ``H0`` estimated on the training rows. As in :class:`MedicalMLPClassifier`, a *linear
    path* (the L2-penalised Cox model of the training rows) sits beside the hidden layers, whose
    output starts at zero, and five cross-fitted members, each stopped early on its own fold's
    partial likelihood, are averaged: the untrained network *is* the Cox model (its penalty
    chosen on the same fold), and training departs from it only while the held-out likelihood
    improves.

    It follows scikit-survival's conventions: ``y`` is a structured array of (event, time) as
    ``sksurv.util.Surv.from_arrays`` makes it (scikit-survival is not needed to build one:
    :func:`skmed.datasets.survival_target` does too); :meth:`predict` returns a risk score
    (higher = earlier event) and :meth:`score` Harrell's concordance index.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Width of each hidden layer of one member. ``()`` gives the (penalised) Cox model.
    activation : {"relu", "tanh", "logistic", "identity", "elu", "selu", "silu"}, default="relu"
        Activation of the hidden layers (scikit-learn names). The output is linear.
    dropout : float in [0, 1), default=0.0
        Fraction of each hidden layer's units dropped during training.
    alpha : float >= 0, default=1e-4
        L2 penalty on the hidden layers' weights.
    linear_path : bool, default=True
        Add a linear path from the inputs to the log hazard, started at the Cox model of the
        training rows (the hidden layers' output then starts at zero). Ignored when
        ``hidden_layer_sizes=()``.
    linear_C : float > 0 or "auto", default="auto"
        Inverse L2 strength of the linear path: the penalty ``||beta||^2 / (2 C)`` on the summed
        negative log partial likelihood (``CoxPHSurvivalAnalysis(alpha=1 / C)``). ``"auto"``
        chooses it per member among 0.01 to 10 by the partial likelihood of the Cox model on the
        member's held-out fold (the fold that stops it; 1.0 without early stopping): on wide
        tables (many features, few events) a fixed ``C=1`` start overfits.
    n_members : int >= 1, default=5
        Networks trained and averaged (their mean log hazard). With ``early_stopping``, member
        ``m`` trains on the rows outside fold ``m`` of an ``n_members``-fold split stratified by
        event, and stops on fold ``m``.
    {{training_params}}
    {{common_params}}

    Attributes
    ----------
    unique_times_ : ndarray of shape (n_times,)
        The distinct event times of the training rows: the grid of the survival and cumulative
        hazard functions.
    baseline_cumulative_hazard_ : ndarray of shape (n_times,)
        Breslow's baseline cumulative hazard at ``unique_times_``.
    event_counts_ : ndarray of shape (n_times,)
        Training rows with an event at each of ``unique_times_`` (an exported file stores its
        curves on steps of at least 10 events: see :func:`skmed.to_onnx`).
    linear_C_ : tuple of float
        Each member's ``linear_C`` (the chosen ones with ``"auto"``).
    {{input_attributes}}
    model_ : keras.Model
        The trained Keras model (its output is the log partial hazard).
    history_ : dict of str to list of float
        Per-epoch ``"loss"`` and, with early stopping, ``"val_loss"`` (of the first member).
    n_iter_ : int
        Epochs run by the last ``fit`` (the longest member).
    {{best_epoch_attributes}}

    See Also
    --------
    sksurv.linear_model.CoxPHSurvivalAnalysis : The Cox model the linear path starts at.
    skmed.to_onnx : Export a fitted model or pipeline as one ONNX graph.

    Examples
    --------
    >>> import numpy as np
    >>> from skmed import MedicalMLPSurvival
    >>> from skmed.datasets import survival_target
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> time = rng.exponential(np.exp(-X[:, 0]))
    >>> y = survival_target(event=rng.random(200) < 0.7, time=time)
    >>> model = MedicalMLPSurvival(random_state=0).fit(X, y)
    >>> S = model.predict_survival_function(X[:2], return_array=True)
    >>> S.shape == (2, model.unique_times_.size)
    True
    """

    _head = "cox"

    _parameter_constraints: dict = {
        **BaseMedicalMLP._parameter_constraints,
        "linear_C": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        hidden_layer_sizes: Iterable[int] = (64, 32),
        activation: str = "relu",
        dropout: float = 0.0,
        alpha: float = 1e-4,
        linear_path: bool = True,
        linear_C: float | str = "auto",
        n_members: int = 5,
        batch_normalization: bool = False,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        epochs: int = 200,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 20,
        tol: float = 1e-4,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        callbacks: list[Any] | None = None,
        warm_start: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.linear_path = linear_path
        self.linear_C = linear_C
        self.n_members = n_members
        self.batch_normalization = batch_normalization
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.one_d_labels = False
        return tags

    # ------------------------------------------------------------------ fitting

    @fill_doc(_DOCS)
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MedicalMLPSurvival:
        """Train the network on features ``X`` and censored outcomes ``y``.

        Parameters
        ----------
        {{X_fit}}
        y : structured array of shape (n_samples,)
            The event indicator (bool) and the observed time (float) of each patient, in that
            order, as ``sksurv.util.Surv.from_arrays(event, time)`` makes it; or a two-column
            frame (event, time).
        {{sample_weight}}

        Returns
        -------
        self : MedicalMLPSurvival
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    def _n_outputs(self) -> int:
        return 1

    def _fit_unguarded(self, X, y, sample_weight, classes, incremental):
        hidden = self._validated_hidden_layer_sizes()
        event, time = check_survival_target(y)
        continuing = self.warm_start and hasattr(self, "unique_times_")
        X, _ = self._validate_fit_X(X, None, reset=not continuing)
        check_consistent_length(X, time)
        weights = self._sample_weights(sample_weight, X)
        if not np.any(event & (weights > 0)):
            raise ValueError("Every event has a zero sample_weight; the model needs events.")
        targets = np.column_stack([time, event, weights])
        self._train_network(X, targets, weights, hidden, continuing, incremental)
        if not continuing:
            self.linear_C_ = self._member_C
        risk = self._forward(X)[:, 0]
        self.unique_times_, self.baseline_cumulative_hazard_ = breslow_baseline(
            risk, time, event, weights
        )
        counted = event & (weights > 0)  # the rows behind each step, as Breslow weighs them
        where = np.searchsorted(self.unique_times_, time[counted])
        self.event_counts_ = np.bincount(where, minlength=self.unique_times_.size)
        return self

    # ------------------------------------------------------------------ prediction

    @fill_doc(_DOCS)
    def predict(self, X: Any) -> np.ndarray:
        """The risk score of each row: the log partial hazard (higher = earlier event).

        {{X_predict}}

        Returns
        -------
        risk : ndarray of shape (n_samples,)
            Log partial hazard, ``log(H(t | x) / H0(t))``.
        """
        X = self._validate_predict_X(X)
        return self._forward(X)[:, 0]

    @fill_doc(_DOCS)
    def predict_cumulative_hazard_function(self, X: Any, return_array: bool = False) -> Any:
        """The cumulative hazard ``H0(t) exp(r(x))`` of each row (0 before the first event time).

        {{step_functions}}
        """
        values = np.exp(self.predict(X))[:, None] * self.baseline_cumulative_hazard_[None, :]
        return values if return_array else step_functions(self.unique_times_, values, 0.0)

    @fill_doc(_DOCS)
    def predict_survival_function(self, X: Any, return_array: bool = False) -> Any:
        """The survival function ``S(t | x) = exp(-H0(t) exp(r(x)))`` of each row.

        Each is 1 before the first event time, non-increasing and within [0, 1].

        {{step_functions}}
        """
        values = np.exp(-self.predict_cumulative_hazard_function(X, return_array=True))
        return values if return_array else step_functions(self.unique_times_, values, 1.0)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Harrell's concordance index of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features.
        y : structured array of shape (n_samples,)
            The (event, time) outcomes, as in :meth:`fit`.
        sample_weight : None
            Not supported (Harrell's C has no row weights); must be None.

        Returns
        -------
        score : float
            The share of comparable pairs that the risk scores order correctly.
        """
        if sample_weight is not None:
            raise ValueError("score does not support sample_weight; Harrell's C is unweighted.")
        from skmed.metrics import concordance_index_censored

        check_is_fitted(self)
        return float(concordance_index_censored(y, self.predict(X)))


# Pickles and skops files record the public path, so they keep loading when private modules move.
MedicalMLPSurvival.__module__ = "skmed.neural_network"
