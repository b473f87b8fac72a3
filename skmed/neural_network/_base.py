"""What every skmed network estimator shares: the network parameters, training through a
:class:`~skmed.neural_network._trainer.Trainer`, the live Keras model, pickling.

A subclass (the classifier) turns its targets into what the network trains on, supplies the
number of outputs, and predicts from :attr:`network_`.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skmed._compat import Interval, StrOptions, check_sample_weight
from skmed.neural_network._checks import check_numeric_frame, is_plain_float_matrix
from skmed.neural_network._forward import PreparedNetwork
from skmed.neural_network._keras_state import load_snapshot, snapshot
from skmed.neural_network._network import ACTIVATION_ALIASES, Network
from skmed.neural_network._trainer import OPTIMIZERS, Trainer

#: docstring pieces shared by the network estimators (:func:`skmed._docstrings.fill_doc`)
DOCS = {
    "training_params": """
    batch_normalization : bool, default=False
        Insert batch normalization before each hidden activation.
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        Keras optimizer.
    learning_rate : float > 0, default=1e-3
        Step size of the optimizer.
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_samples)`` as in ``MLPClassifier``.
    epochs : int, default=200
        Maximum number of passes over the training data.
    early_stopping : bool, default=True
        Hold out rows (each member's fold, or a stratified ``validation_fraction`` for one
        network), stop when their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs, and restore the weights of the epoch with the lowest held-out loss.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training rows held out for early stopping.
    n_iter_no_change : int, default=20
        Patience, in epochs, of early stopping.
    tol : float >= 0, default=1e-4
        Decrease of the held-out loss (per row) that counts as an improvement for
        ``n_iter_no_change``, as in ``MLPClassifier``: on a large table the loss keeps creeping
        down by less, and those epochs change no prediction that matters. The kept weights are
        still those of the lowest loss, however small the decrease.
    """,
    "common_params": """
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation split. An int gives
        the same model on every fit, in every process, for a given backend.
    verbose : int, default=0
        0 is silent, 1 shows a progress bar per epoch, 2 prints one line per epoch.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks passed to ``Model.fit``.
    warm_start : bool, default=False
        When fitting again with the same features and classes, continue from the current weights
        instead of re-initializing.
    """,
    "sample_weight": """
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss.
    """,
    "X_fit": """
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features. Frames with text columns need an encoder in a pipeline first.
    """,
    "input_attributes": """
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names seen during fit, when X was a frame with string column names.
    """,
    "best_epoch_attributes": """
    best_epoch_ : int or None
        With early stopping, the 1-based epoch whose weights were kept (first member).
    best_epochs_ : tuple of int
        With early stopping, every member's best epoch.
    """,
    "X_predict": """
        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features, with the columns seen in fit.
    """,
}


class BaseMedicalMLP(BaseEstimator):
    """Base class of skmed's Keras networks; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATION_ALIASES))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "linear_path": ["boolean"],
        "linear_C": [Interval(Real, 0, None, closed="neither")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "batch_normalization": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
    }

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified per fit; OneHotEncoder output is sparse
        return tags

    def _n_outputs(self) -> int:
        raise NotImplementedError

    # ------------------------------------------------------------------ fitting

    def _fit(self, X, y, sample_weight, classes, incremental):
        """Fit, or leave the estimator (and its live Keras model) exactly as it was on error."""
        state = dict(self.__dict__)
        model = state.get("_model")
        saved = snapshot(model) if model is not None else None
        try:
            return self._fit_unguarded(X, y, sample_weight, classes, incremental)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            if saved is not None:
                load_snapshot(model, *saved)
            raise

    def _fit_unguarded(self, X, y, sample_weight, classes, incremental):
        raise NotImplementedError

    def _validate_fit_X(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, Any]:
        """Dense float32 features (text columns named first) and the unchecked targets (``y``
        None: only ``X`` is checked; the survival target is not an array scikit-learn checks)."""
        check_numeric_frame(X, type(self).__name__)
        options = {"reset": reset, "accept_sparse": ("csr", "csc", "coo"), "dtype": np.float32}
        if y is None:
            X = validate_data(self, X, **options)
        else:
            X, y = validate_data(self, X, y, **options)
        return (X.toarray() if sparse.issparse(X) else X), y

    def _train_network(self, X, targets, weights, hidden, continuing, incremental):
        """Train (or continue) the network on encoded targets; store model, network, history."""
        if not continuing:
            self.history_ = {"loss": []}
            self.n_iter_ = 0
            self.best_epoch_ = None
            self._model = None
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        from skmed._backend import intra_op_threads, seeded

        trainer = self._trainer()
        with seeded(seed), intra_op_threads(trainer.threads_for(hidden, len(X))):
            if continuing or incremental:
                if continuing:
                    model = self.model_
                else:  # the first partial_fit: one network, from the first batch
                    self._architecture = trainer.single(hidden, len(targets))
                    model = trainer.new_model(self._architecture, seed)
                history, network = trainer.fit_one(model, X, targets, weights, seed, incremental)
                histories = [history]
            else:
                histories, network, self._architecture, model = trainer.fit_members(
                    hidden, X, targets, weights, seed
                )
                self._member_C = tuple(trainer.chosen_C)  # each member's linear_C
        self._record(histories, incremental)
        self._drop_snapshot()
        self._model, self._network = model, network
        self._prepared = PreparedNetwork(network)  # analysed once, not per predict call

    #: the network's output (:data:`skmed.neural_network._heads.HEADS`)
    _head = "softmax"

    def _trainer(self) -> Trainer:
        return Trainer.from_params(
            self.get_params(), self.n_features_in_, self._n_outputs(), self._head
        )

    def _drop_snapshot(self):
        """Forget the unpickled weights: the live (or rebuilt) model supersedes them."""
        for stale in ("_keras_weights", "_optimizer_weights"):
            self.__dict__.pop(stale, None)

    def _record(self, histories, incremental):
        """Store the training history: the first member's, every member's best epoch."""
        first = histories[0]
        for key, values in first.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        epochs = [len(h["loss"]) for h in histories]
        self.n_iter_ = self.n_iter_ + epochs[0] if incremental else max(epochs)
        if "val_loss" in first:
            best = [int(np.argmin(h["val_loss"])) + 1 for h in histories]
            self.best_epoch_ = best[0]
            self.best_epochs_ = tuple(best)

    def _validated_hidden_layer_sizes(self) -> tuple[int, ...]:
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.ndim != 1 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and int(s) > 0 for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers (e.g. (16, 8, 4)); "
                f"got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    def _sample_weights(self, sample_weight, X):
        """Row weights of the loss: ``sample_weight`` rescaled to mean 1, in a new array."""
        weights = check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        ).copy()
        if weights.sum() <= 0:
            raise ValueError("sample_weight is zero for every row.")
        return weights / weights.mean()

    # ------------------------------------------------------------------ prediction

    def _validate_predict_X(self, X: Any) -> np.ndarray:
        """Features for the forward pass, checked as in fit (float64 or float32, dense)."""
        if "_network" not in self.__dict__:  # (check_is_fitted costs a fifth of a 1-row call)
            check_is_fitted(self)
        # validate_data costs ~100 us, 5x the forward pass of one row: finite float arrays of
        # the right width, for a model fitted without feature names, skip it; anything else
        # (and every error) goes through scikit-learn's checks and messages
        if hasattr(self, "feature_names_in_") or not is_plain_float_matrix(X, self.n_features_in_):
            check_numeric_frame(X, type(self).__name__)
            X = validate_data(
                self,
                X,
                reset=False,
                accept_sparse=("csr", "csc", "coo"),
                dtype=(np.float64, np.float32),
            )
        return X.toarray() if sparse.issparse(X) else X

    # ------------------------------------------------------------------ Keras model & state

    @property
    def model_(self) -> Any:
        """The trained ``keras.Model``; rebuilt from the stored weights after unpickling."""
        check_is_fitted(self)
        if getattr(self, "_model", None) is None:
            self._model = self._restore_model()
        return self._model

    @property
    def network_(self) -> Network:
        """The trained weights as plain arrays (a network description); what predict runs."""
        check_is_fitted(self)
        return self._network

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's output for checked features; the network is analysed on first use
        after fit or loading (pickle, joblib, skops), never per call."""
        prepared = self.__dict__.get("_prepared")
        if prepared is None:
            prepared = self._prepared = PreparedNetwork(self._network)
        return prepared(X)

    def _restore_model(self):
        trainer = self._trainer()
        if getattr(self, "_keras_weights", None) is None:  # merged members: from the network
            return trainer.restore(self._architecture, self._network)
        model = trainer.new_model(self._architecture)
        load_snapshot(model, self._keras_weights, getattr(self, "_optimizer_weights", None))
        return model

    def __getstate__(self) -> dict[str, Any]:
        # a copy: object.__getstate__ returns the live __dict__, which must keep its model
        state = dict(super().__getstate__())
        model = state.pop("_model", None)
        state.pop("_prepared", None)  # derived from _network: rebuilt when unpickled
        if model is not None:  # snapshot the live Keras model as arrays; no Keras object pickled
            state["_keras_weights"], state["_optimizer_weights"] = snapshot(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # saved before ``tol`` existed: any decrease restarted the patience, and still does
        state.setdefault("tol", 0.0)
        super().__setstate__(state)
        if "_network" in state:
            self._model = None  # rebuilt from _keras_weights on first use of model_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_network")
