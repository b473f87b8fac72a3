"""Cross-fitted members and the logistic-regression start of the linear path.

A MedicalMLPClassifier with ``n_members=k`` trains ``k`` networks. Member ``m`` learns on the
rows outside fold ``m`` and is stopped early on fold ``m``: every row trains ``k - 1`` members and
validates one, so no patient is set aside and each stopping decision is made on a fifth of the
data rather than on a 10% split (a dozen patients in a table of a few hundred). The members'
output logits are averaged (:func:`skmed._network.merge_members`).

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
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=C, max_iter=500)
    # one OpenMP thread: the loss sums in a fixed order, so a fit in a worker thread (whose
    # OpenMP default differs) starts from the very same weights
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="openmp"):
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
