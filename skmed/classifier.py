"""MedicalMLPClassifier: a Keras 3 multilayer perceptron that is a scikit-learn classifier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from skmed import _numpy_training
from skmed._compat import Interval, StrOptions, check_sample_weight, fit_context
from skmed._ensemble import logistic_start, stratified_folds, validation_rows
from skmed._input_checks import (
    check_no_missing_labels,
    check_numeric_frame,
    is_plain_float_matrix,
    unique_labels,
)
from skmed._keras_state import load_snapshot, snapshot, stop_on_nan
from skmed._network import (
    ACTIVATION_ALIASES,
    LINEAR_PATH,
    Network,
    build_keras_mlp,
    describe_keras,
    forward,
    merge_members,
    set_keras_weights,
)

_OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}


# Below this many FLOPs per training step, one BLAS thread trains as fast as two on an idle
# machine and much faster on a busy one (benchmarks/bench_threads.py; see intra_op_threads).
_MIN_FLOPS_PER_THREAD_STEP = 1e8


class MedicalMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multilayer perceptron classifier trained with Keras 3 on any backend.

    By default it is strong on small, noisy clinical tables and still learns interactions on
    large ones: a *linear path* (a logistic regression from the inputs to the output logits,
    started at scikit-learn's ``LogisticRegression`` solution) sits beside two hidden layers
    whose output starts at zero, and five *cross-fitted members* are trained, each on four
    fifths of the rows and stopped early on the remaining fifth, then averaged (their mean
    logits, merged into one network). A member moves away from the logistic regression only
    while its held-out loss improves. ``class_weight`` sets misclassification costs used by
    :meth:`predict`; :meth:`predict_proba` always returns the unweighted, calibrated risks.

    A scikit-learn estimator in every respect: it validates its parameters, clones, pickles,
    works inside :class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.compose.ColumnTransformer`
    and :class:`~sklearn.model_selection.GridSearchCV`, and accepts pandas frames, sparse
    matrices, string labels and sample weights. The network is trained by Keras (torch, jax or
    tensorflow backend); prediction runs the trained weights with numpy, so a fitted or
    unpickled model predicts without importing Keras.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Width of each hidden layer of one member. ``()`` gives multinomial logistic regression.
        ``(16, 8, 4)`` with ``linear_path=False, n_members=1`` is skmed 0.1's network.
    activation : {"relu", "tanh", "logistic", "identity", "elu", "selu", "silu"}, default="relu"
        Activation of the hidden layers (scikit-learn names). The output layer is a softmax.
    dropout : float in [0, 1), default=0.0
        Fraction of each hidden layer's units dropped during training.
    alpha : float >= 0, default=1e-4
        L2 penalty on the hidden layers' weights (added to the loss, as in ``MLPClassifier``).
    linear_path : bool, default=True
        Add a linear path from the inputs to the output logits, started at the logistic
        regression of the training rows (the hidden layers' output then starts at zero).
        Ignored when ``hidden_layer_sizes=()``.
    linear_C : float > 0, default=1.0
        Inverse L2 strength of the linear path, as ``LogisticRegression``'s ``C``: the penalty
        ``||W||^2 / (2 C n)`` on the mean loss over ``n`` training rows.
    n_members : int >= 1, default=5
        Networks trained and averaged. With ``early_stopping``, member ``m`` trains on the rows
        outside fold ``m`` of a stratified ``n_members``-fold split and stops on fold ``m``, so
        every row is used (``validation_fraction`` applies only when ``n_members=1``). Without
        early stopping, members differ by their seed. ``partial_fit`` and ``warm_start``
        continue the merged network as one.
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
        network), stop when their loss has not improved for ``n_iter_no_change`` epochs, and
        restore the best weights.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training rows held out for early stopping.
    n_iter_no_change : int, default=20
        Patience, in epochs, of early stopping.
    class_weight : dict, "balanced" or None, default=None
        Misclassification cost of each class: :meth:`predict` returns the class with the
        largest ``class_weight * risk`` (``"balanced"``: ``n_samples / (n_classes * count)``,
        which for two classes predicts positive when the risk exceeds the training
        prevalence). Training is not reweighted, so :meth:`predict_proba` stays calibrated
        (van den Goorbergh et al., JAMIA 2022: imbalance corrections distort risks without
        improving discrimination).
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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names seen during fit, when X was a frame with string column names.
    model_ : keras.Model
        The trained Keras model (rebuilt from the weights on first access after unpickling).
    history_ : dict of str to list of float
        Per-epoch ``"loss"`` and, with early stopping, ``"val_loss"``, over all fits so far
        (of the first member).
    n_iter_ : int
        Epochs run by the last ``fit`` (the longest member; cumulative over ``partial_fit``).
    best_epoch_ : int or None
        With early stopping, the 1-based epoch whose weights were kept (first member).
    best_epochs_ : tuple of int
        With early stopping, every member's best epoch.
    class_weight_ : ndarray of shape (n_classes,) or None
        The per-class costs :meth:`predict` applies (``None``: the most probable class).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's own multilayer perceptron.
    skmed.to_onnx : Export a fitted model or pipeline as one ONNX graph.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmed import MedicalMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MedicalMLPClassifier(random_state=0)).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATION_ALIASES))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "linear_path": ["boolean"],
        "linear_C": [Interval(Real, 0, None, closed="neither")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "batch_normalization": ["boolean"],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes: Iterable[int] = (64, 32),
        activation: str = "relu",
        dropout: float = 0.0,
        alpha: float = 1e-4,
        linear_path: bool = True,
        linear_C: float = 1.0,
        n_members: int = 5,
        batch_normalization: bool = False,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        epochs: int = 200,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 20,
        class_weight: Mapping[Any, float] | str | None = None,
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
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified per fit; OneHotEncoder output is sparse
        return tags

    # ------------------------------------------------------------------ fitting

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MedicalMLPClassifier:
        """Train the network on ``X``, ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features. Frames with text columns need an encoder in a pipeline first.
        y : array-like of shape (n_samples,)
            Class labels: strings, integers or booleans.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss.

        Returns
        -------
        self : MedicalMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> MedicalMLPClassifier:
        """Train for one epoch on a batch of data, keeping the weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features.
        y : array-like of shape (n_samples,)
            Class labels of this batch.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever appear. Required on the first call, ignored after.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss.

        Returns
        -------
        self : MedicalMLPClassifier
            The updated estimator.
        """
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: a batch does not show "
                "the class frequencies. Pass a dict computed on the whole data instead."
            )
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

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
        hidden = self._validated_hidden_layer_sizes()
        continuing = hasattr(self, "classes_") and (incremental or self.warm_start)
        check_numeric_frame(X)
        check_no_missing_labels(y)
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            accept_sparse=("csr", "csc", "coo"),
            dtype=np.float32,
        )
        if sparse.issparse(X):
            X = X.toarray()
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)

        classes_seen = unique_labels(y)
        if continuing:
            classes_all = self.classes_
        elif incremental:
            classes_all = unique_labels(column_or_1d(classes))
        else:
            classes_all = classes_seen
        unknown = np.setdiff1d(classes_seen, classes_all)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} not in classes {classes_all.tolist()}."
            )
        if classes_all.size < 2:
            raise ValueError(
                f"y holds one class only ({classes_all.tolist()[0]!r}); a classifier needs "
                "samples of at least 2 classes."
            )
        y_enc = np.searchsorted(classes_all, y).astype(np.int32)
        weights = self._sample_weights(sample_weight, X)
        if not incremental and np.unique(y_enc[weights > 0]).size < 2:
            raise ValueError(
                "Only one class has a non-zero sample_weight; a classifier needs at least 2 "
                "classes with positive weight."
            )
        costs = self._class_costs(y_enc, classes_all) if not continuing else self.class_weight_

        if not continuing:
            self.classes_ = classes_all
            self.history_ = {"loss": []}
            self.n_iter_ = 0
            self.best_epoch_ = None
            self._model = None
        self.class_weight_ = costs
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        from skmed._backend import intra_op_threads, seeded

        with seeded(seed), intra_op_threads(self._threads_for(hidden, len(X))):
            if continuing:
                self._fit_one(self.model_, X, y_enc, weights, seed, incremental)
            elif incremental:  # the first partial_fit: one network, from the first batch
                self._architecture = self._single(hidden, len(y_enc))
                model = self._new_model(self._architecture, seed)
                self._fit_one(model, X, y_enc, weights, seed, incremental)
            else:
                self._fit_members(hidden, X, y_enc, weights, seed)
        return self

    def _single(self, hidden: tuple[int, ...], n_train: int) -> dict[str, Any]:
        """The architecture of one network: hidden widths, batch norm, linear path's L2
        (``LogisticRegression``'s penalty ``||W||^2 / (2 C)`` on the summed loss of ``n_train``
        rows, written per row as the network's mean loss needs it)."""
        linear = self.linear_path and len(hidden) > 0
        l2 = 1.0 / (2.0 * float(self.linear_C) * n_train) if linear else None
        return {
            "hidden": hidden,
            "batch_normalization": bool(self.batch_normalization),
            "linear_l2": l2,
        }

    def _fit_one(self, model, X, y, weights, seed, incremental):
        """Train one network (``partial_fit``, ``warm_start``): early stopping on a split."""
        rows, validation = None, None
        if self.early_stopping and not incremental:
            rows, validation = self._validation_split(X, y, weights, seed)
        history = self._train(model, X, y, weights, seed, rows, validation, incremental)
        self._record([history], incremental)
        network = describe_keras(model)
        self._check_finite(network)
        self._drop_snapshot()
        self._model, self._network = model, network

    def _fit_members(self, hidden, X, y, weights, seed):
        """Train ``n_members`` networks, each stopped on its own fold; merge them into one."""
        n_members = int(min(self.n_members, len(y)))
        cross_fit = self.early_stopping and n_members > 1
        folds = stratified_folds(y, n_members, seed) if cross_fit else None
        networks, histories = [], []
        for member in range(n_members):
            member_seed = (seed + 7919 * member) % np.iinfo(np.int32).max
            rows, validation = None, None
            if cross_fit:
                rows = np.flatnonzero(folds != member)
                held_out = np.flatnonzero(folds == member)
                validation = (X[held_out], y[held_out], weights[held_out])
            elif self.early_stopping:
                rows, validation = self._validation_split(X, y, weights, member_seed)
            arch = self._single(hidden, len(y) if rows is None else len(rows))
            model = self._new_model(arch, member_seed)
            if arch["linear_l2"] is not None:
                self._start_linear(model, X, y, weights, rows)
            histories.append(self._train(model, X, y, weights, member_seed, rows, validation))
            networks.append(describe_keras(model))
            self._check_finite(networks[-1])
        self._record(histories, incremental=False)
        self._network = merge_members(networks)
        self._drop_snapshot()
        if n_members == 1:
            self._model = model
            self._architecture = arch
        else:  # model_ is the merged network: the same arrays predict_proba runs
            self._architecture = {
                "hidden": tuple(n_members * w for w in hidden),
                "batch_normalization": False,  # folded into the dense steps by describe_keras
                "linear_l2": self._single(hidden, len(y))["linear_l2"],
            }
            self._model = self._restore_model()

    def _drop_snapshot(self):
        """Forget the unpickled weights: the live (or rebuilt) model supersedes them."""
        for stale in ("_keras_weights", "_optimizer_weights"):
            self.__dict__.pop(stale, None)

    def _start_linear(self, model, X, y, weights, rows):
        """Set the linear path (and the output bias) to the member's logistic regression."""
        if rows is not None:
            X, y, weights = X[rows], y[rows], weights[rows]
        kernel, bias = logistic_start(X, y, weights, self.classes_.size, float(self.linear_C))
        model.get_layer(LINEAR_PATH).set_weights([kernel.astype(np.float32)])
        head = model.get_layer("head")
        head.set_weights([head.get_weights()[0], bias.astype(np.float32)])

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

    def _check_finite(self, network):
        if not all(np.isfinite(s[k]).all() for s in network for k in ("kernel", "bias")):
            raise FloatingPointError(
                "Training diverged: the weights became infinite or NaN. Scale the features "
                f"(e.g. StandardScaler) or lower learning_rate (now {self.learning_rate})."
            )

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

    def _threads_for(self, hidden: tuple[int, ...], n_rows: int) -> int | None:
        """One thread when a training step is too small to share (see intra_op_threads)."""
        widths = (self.n_features_in_, *hidden, self.classes_.size)
        batch = min(200, n_rows) if self.batch_size == "auto" else min(self.batch_size, n_rows)
        step_flops = 6 * batch * sum(a * b for a, b in zip(widths, widths[1:]))
        return 1 if step_flops < _MIN_FLOPS_PER_THREAD_STEP else None

    def _sample_weights(self, sample_weight, X):
        """Row weights of the loss: ``sample_weight`` rescaled to mean 1, in a new array."""
        weights = check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        ).copy()
        if weights.sum() <= 0:
            raise ValueError("sample_weight is zero for every row.")
        return weights / weights.mean()

    def _class_costs(self, y_enc, classes):
        """``class_weight`` as one misclassification cost per class (``None``: equal costs)."""
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            present = np.unique(y_enc)
            cw = np.zeros(classes.size)
            cw[present] = compute_class_weight("balanced", classes=present, y=y_enc)
            return cw
        unknown = set(self.class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(map(str, unknown))} that are not in "
                f"the classes {classes.tolist()}."
            )
        cw = np.array([float(self.class_weight.get(c, 1.0)) for c in classes])
        if not np.all(np.isfinite(cw)) or cw.min() < 0 or cw.max() <= 0:
            raise ValueError(
                f"class_weight must hold finite non-negative weights, at least one positive; "
                f"got {self.class_weight!r}."
            )
        return cw

    def _new_model(self, arch, seed=None):
        model = build_keras_mlp(
            self.n_features_in_,
            self.classes_.size,
            arch["hidden"],
            self.activation,
            float(self.dropout),
            float(self.alpha),
            arch["batch_normalization"],
            seed=seed,
            linear_l2=arch["linear_l2"],
        )
        self._compile(model)
        return model

    def _compile(self, model):
        from skmed._backend import import_keras

        keras = import_keras()
        optimizer = getattr(keras.optimizers, _OPTIMIZERS[self.optimizer])(
            learning_rate=float(self.learning_rate)
        )
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")

    def _train(self, model, X, y, weights, seed, rows, validation, incremental=False):
        """Train ``model`` on ``rows`` of X (all when None); return its history as a dict."""
        from skmed._backend import import_keras

        keras = import_keras()
        callbacks = list(self.callbacks or [])
        if validation is not None:
            stopper = keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.n_iter_no_change, restore_best_weights=True
            )
            callbacks.insert(0, stopper)
        n_rows = len(X) if rows is None else len(rows)
        batch_size = int(min(200, n_rows) if self.batch_size == "auto" else self.batch_size)
        epochs = 1 if incremental else int(self.epochs)
        if _numpy_training.eligible(self.optimizer, bool(self.batch_normalization)):
            fitted = _numpy_training.fit(  # reads the training rows in place: no copy of X
                model,
                X,
                y,
                weights,
                rows=rows,
                batch_size=batch_size,
                epochs=epochs,
                validation=validation,
                callbacks=callbacks,
                verbose=int(self.verbose),
                seed=seed,
            )
        else:
            if rows is not None:
                X, y, weights = X[rows], y[rows], weights[rows]
            fitted = model.fit(
                X,
                y,
                sample_weight=weights,
                batch_size=batch_size,
                epochs=epochs,
                validation_data=validation,
                callbacks=[*callbacks, stop_on_nan(keras)],
                verbose=int(self.verbose),
                shuffle=True,
            )
        history = fitted.history
        losses = [float(v) for v in history.get("loss", [])]
        if not losses or not np.all(np.isfinite(losses)):
            raise FloatingPointError(
                f"Training diverged: the loss became {losses[-1] if losses else 'undefined'} "
                f"after {len(losses)} epoch(s). Scale the features (e.g. StandardScaler) or "
                f"lower learning_rate (now {self.learning_rate})."
            )
        return {key: [float(v) for v in values] for key, values in history.items()}

    def _validation_split(self, X, y, weights, seed):
        """Training row indices and the (copied) stratified validation rows."""
        val = validation_rows(y, self.classes_.size, float(self.validation_fraction), seed)
        is_val = np.zeros(len(y), dtype=bool)
        is_val[val] = True
        return np.flatnonzero(~is_val), (X[val], y[val], weights[val])

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for ``X``, one column per class in ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features, with the columns seen in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities; each row sums to 1.
        """
        check_is_fitted(self)
        # validate_data costs ~100 us, 5x the forward pass of one row: finite float arrays of
        # the right width, for a model fitted without feature names, skip it; anything else
        # (and every error) goes through scikit-learn's checks and messages
        if hasattr(self, "feature_names_in_") or not is_plain_float_matrix(X, self.n_features_in_):
            check_numeric_frame(X)
            X = validate_data(
                self,
                X,
                reset=False,
                accept_sparse=("csr", "csc", "coo"),
                dtype=(np.float64, np.float32),
            )
        if sparse.issparse(X):
            X = X.toarray()
        return forward(self._network, X)

    def predict(self, X: Any) -> np.ndarray:
        """Predict the most probable class for each row of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features, with the columns seen in fit.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, of the same type as the labels seen in fit.
        """
        proba = self.predict_proba(X)
        if self.class_weight_ is not None:  # the least expected cost: weight x risk
            proba = proba * self.class_weight_
        return self.classes_[np.argmax(proba, axis=1)]

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
        """The trained weights as plain arrays (see ``skmed._network``); what predict runs."""
        check_is_fitted(self)
        return self._network

    def _restore_model(self):
        model = self._new_model(self._architecture)
        if getattr(self, "_keras_weights", None) is None:  # merged members: from the network
            set_keras_weights(model, self._network)
        else:
            load_snapshot(model, self._keras_weights, getattr(self, "_optimizer_weights", None))
        return model

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        model = state.pop("_model", None)
        if model is not None:  # snapshot the live Keras model as arrays; no Keras object pickled
            state["_keras_weights"], state["_optimizer_weights"] = snapshot(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "classes_" in state:
            self._model = None  # rebuilt from _keras_weights on first use of model_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_network")
