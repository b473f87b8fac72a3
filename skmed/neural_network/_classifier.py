"""MedicalMLPClassifier: a Keras 3 multilayer perceptron that is a scikit-learn classifier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from skmed._compat import StrOptions, fit_context
from skmed._docstrings import fill_doc
from skmed.neural_network._base import DOCS, BaseMedicalMLP
from skmed.neural_network._checks import (
    check_no_missing_labels,
    unique_labels,
)


@fill_doc(DOCS)
class MedicalMLPClassifier(ClassifierMixin, BaseMedicalMLP):
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
    {{training_params}}
    class_weight : dict, "balanced" or None, default=None
        Misclassification cost of each class: :meth:`predict` returns the class with the
        largest ``class_weight * risk`` (``"balanced"``: ``n_samples / (n_classes * count)``,
        which for two classes predicts positive when the risk exceeds the training
        prevalence). Training is not reweighted, so :meth:`predict_proba` stays calibrated
        (van den Goorbergh et al., JAMIA 2022: imbalance corrections distort risks without
        improving discrimination).
    {{common_params}}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    {{input_attributes}}
    model_ : keras.Model
        The trained Keras model (rebuilt from the weights on first access after unpickling).
    history_ : dict of str to list of float
        Per-epoch ``"loss"`` and, with early stopping, ``"val_loss"``, over all fits so far
        (of the first member).
    n_iter_ : int
        Epochs run by the last ``fit`` (the longest member; cumulative over ``partial_fit``).
    {{best_epoch_attributes}}
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
        **BaseMedicalMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
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
        tol: float = 1e-4,
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
        self.tol = tol
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fitting

    @fill_doc(DOCS)
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MedicalMLPClassifier:
        """Train the network on ``X``, ``y``.

        Parameters
        ----------
        {{X_fit}}
        y : array-like of shape (n_samples,)
            Class labels: strings, integers or booleans.
        {{sample_weight}}

        Returns
        -------
        self : MedicalMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    @fill_doc(DOCS)
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
        {{sample_weight}}

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

    def _n_outputs(self) -> int:
        return int(self.classes_.size)

    def _fit_unguarded(self, X, y, sample_weight, classes, incremental):
        hidden = self._validated_hidden_layer_sizes()  # before the data: its error first
        continuing = hasattr(self, "classes_") and (incremental or self.warm_start)
        check_no_missing_labels(y)
        X, y = self._validate_fit_X(X, y, reset=not continuing)
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
        self.class_weight_ = costs
        self._train_network(X, y_enc, weights, hidden, continuing, incremental)
        return self

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

    # ------------------------------------------------------------------ prediction

    @fill_doc(DOCS)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for ``X``, one column per class in ``classes_``.

        {{X_predict}}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities; each row sums to 1.
        """
        X = self._validate_predict_X(X)
        return self._forward(X)

    @fill_doc(DOCS)
    def predict(self, X: Any) -> np.ndarray:
        """Predict the most probable class for each row of ``X``.

        {{X_predict}}

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, of the same type as the labels seen in fit.
        """
        proba = self.predict_proba(X)
        if self.class_weight_ is not None:  # the least expected cost: weight x risk
            proba = proba * self.class_weight_
        return self.classes_[np.argmax(proba, axis=1)]


# The path pickles and skops files have recorded since the first release (``skmed.classifier``
# re-exports the class), so files saved before and after the move to this package load alike.
MedicalMLPClassifier.__module__ = "skmed.classifier"
