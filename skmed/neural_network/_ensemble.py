"""Held-out rows for early stopping (members' folds, one network's split) and the
logistic-regression start of the linear path.

A MedicalMLPClassifier with ``n_members=k`` trains ``k`` networks. Member ``m`` learns on the
rows outside fold ``m`` and is stopped early on fold ``m``: every row trains ``k - 1`` members and
validates one, so no patient is set aside and each stopping decision is made on a fifth of the
data rather than on a 10% split (a dozen patients in a table of a few hundred). The members'
output logits are averaged (:func:`skmed.neural_network._network.merge_members`).

Each member's linear path starts at the L2-penalised logistic regression of its own training
rows (scikit-learn's :class:`~sklearn.linear_model.LogisticRegression`, the same ``C``), and its
hidden layers' output starts at zero: the untrained member *is* that logistic regression, and
training moves away from it only while the held-out loss improves.
"""

from __future__ import annotations

import warnings

import numpy as np


def class_sorted_order(y: np.ndarray, seed: int) -> np.ndarray:
    """Row indices grouped by class, shuffled within each class by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(y))
    return order[np.argsort(y[order], kind="stable")]


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold index (0 .. n_folds - 1) of each row: classes spread evenly, shuffled by ``seed``."""
    order = class_sorted_order(y, seed)
    folds = np.empty(len(y), dtype=np.int64)
    folds[order] = np.arange(len(y)) % n_folds
    return folds


def validation_rows(y: np.ndarray, n_classes: int, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a stratified ``fraction`` of the rows (one network's early stopping).

    ``fraction`` of each class (at least one row, and at least one left to train), drawn with
    ``seed``. Written out rather than ``train_test_split``, whose stratified shuffle peaks at ~9
    index arrays of the data's length (75 MB on 1M rows).
    """
    counts = np.bincount(y, minlength=n_classes)
    if counts[counts > 0].min() < 2:
        raise ValueError(
            f"early_stopping needs a stratified validation split of {fraction} of {len(y)} rows, "
            f"with every class in both parts; the smallest class has {counts[counts > 0].min()} "
            "row(s). Set early_stopping=False, raise validation_fraction, or provide more rows."
        )
    n_val = np.round(counts * fraction).astype(np.int64)
    n_val = np.where(counts > 0, np.clip(n_val, 1, np.maximum(counts - 1, 1)), 0)
    order = class_sorted_order(y, seed)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    val = np.concatenate([order[s : s + k] for s, k in zip(starts, n_val) if k > 0])
    val.sort()
    return val


def logistic_start(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    n_classes: int,
    C: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel ``(n_features, n_classes)`` and bias of the logistic regression of ``y`` on ``X``.

    Written in the softmax's parametrisation: a binary fit ``w`` becomes ``(-w/2, +w/2)``; a class
    absent from ``y`` gets a zero kernel column and a bias 10 below the others.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    present = np.unique(y)
    kernel = np.zeros((X.shape[1], n_classes))
    bias = np.zeros(n_classes)
    if present.size < 2:
        bias[:] = -10.0
        bias[present] = 0.0
        return kernel, bias
    from skmed._backend import thread_controller

    model = LogisticRegression(C=C, max_iter=500)
    # one OpenMP thread: the loss sums in a fixed order, so a fit in a worker thread (whose
    # OpenMP default differs) starts from the very same weights
    with warnings.catch_warnings(), thread_controller().limit(limits=1, user_api="openmp"):
        warnings.simplefilter("ignore", ConvergenceWarning)  # a starting point, refined by training
        model.fit(X, y, sample_weight=weights)
    if present.size == 2:
        coef = model.coef_[0] / 2.0
        kernel[:, present[0]], kernel[:, present[1]] = -coef, coef
        half = float(model.intercept_[0]) / 2.0
        bias[present[0]], bias[present[1]] = -half, half
    else:
        kernel[:, present] = model.coef_.T
        bias[present] = model.intercept_
    absent = np.setdiff1d(np.arange(n_classes), present)
    bias[absent] = bias[present].min() - 10.0
    return kernel, bias
