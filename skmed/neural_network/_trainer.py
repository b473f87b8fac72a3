"""Training the network: one Keras model, or cross-fitted members merged into one network.

The estimator validates its data and parameters, then hands the arrays to a :class:`Trainer`
built from its parameters; the trainer knows Keras, early stopping and the members, nothing of
labels or scikit-learn's contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from skmed.neural_network import _members, _numpy_training
from skmed.neural_network._ensemble import stratified_folds, validation_rows
from skmed.neural_network._heads import HEADS, Head
from skmed.neural_network._keras_state import early_stopping, stop_on_nan
from skmed.neural_network._network import (
    ACTIVATION_ALIASES,
    LINEAR_PATH,
    Network,
    build_keras_mlp,
    describe_keras,
    merge_members,
    set_keras_weights,
)
from skmed.neural_network._numpy_step import Optimizer, Spec

#: the ``optimizer`` parameter's values -> Keras optimizer class names
OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}

#: The ``linear_C`` values ``"auto"`` chooses among, on each member's held-out rows.
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

#: ``linear_C="auto"`` without held-out rows (``early_stopping=False``): the fixed default.
DEFAULT_C = 1.0

# Below this many FLOPs per training step, one BLAS thread trains as fast as two on an idle
# machine and much faster on a busy one (benchmarks/bench_threads.py; see intra_op_threads).
MIN_FLOPS_PER_THREAD_STEP = 1e8


@dataclass
class _Member:
    """One trained member: its history, network, ``linear_C``, architecture, Keras model."""

    history: dict[str, list[float]]
    network: Network
    C: float
    arch: dict[str, Any]
    model: Any


@dataclass
class Trainer:
    """The training settings of one fit, read from an estimator's parameters."""

    n_features: int
    n_outputs: int
    activation: str
    dropout: float
    alpha: float
    linear_path: bool
    linear_C: float | str
    n_members: int
    batch_normalization: bool
    optimizer: str
    learning_rate: float
    batch_size: int | str
    epochs: int
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    tol: float
    verbose: int
    callbacks: list[Any] | None
    head: Head

    @classmethod
    def from_params(
        cls, params: dict[str, Any], n_features: int, n_outputs: int, head: str = "softmax"
    ) -> Trainer:
        """The settings among an estimator's ``get_params()``, for an output ``head``."""
        fixed = ("n_features", "n_outputs", "head")
        names = [f for f in cls.__dataclass_fields__ if f not in fixed]
        settings = {name: params[name] for name in names}
        return cls(n_features, n_outputs, head=HEADS[head], **settings)

    # ------------------------------------------------------------------ one network

    def threads_for(self, hidden: tuple[int, ...], n_rows: int) -> int | None:
        """One thread when a training step is too small to share (see intra_op_threads)."""
        widths = (self.n_features, *hidden, self.n_outputs)
        step_flops = 6 * self._batch(n_rows) * sum(a * b for a, b in zip(widths, widths[1:]))
        return 1 if step_flops < MIN_FLOPS_PER_THREAD_STEP else None

    def single(
        self, hidden: tuple[int, ...], n_train: int, C: float | None = None
    ) -> dict[str, Any]:
        """The architecture of one network: hidden widths, batch norm, linear path's L2
        (``LogisticRegression``'s penalty ``||W||^2 / (2 C)`` on the summed loss of ``n_train``
        rows, written per row as the network's mean loss needs it; ``C`` the member's)."""
        linear = self.linear_path and len(hidden) > 0
        C = self.fixed_C() if C is None else C
        l2 = 1.0 / (2.0 * C * n_train) if linear else None
        return {
            "hidden": hidden,
            "batch_normalization": bool(self.batch_normalization),
            "linear_l2": l2,
        }

    def new_model(self, arch: dict[str, Any], seed: int | None = None) -> Any:
        """A compiled Keras model of architecture ``arch``."""
        from skmed._backend import import_keras

        model = build_keras_mlp(
            self.n_features,
            self.n_outputs,
            arch["hidden"],
            self.activation,
            float(self.dropout),
            float(self.alpha),
            arch["batch_normalization"],
            seed=seed,
            linear_l2=arch["linear_l2"],
            output_activation=self.head.activation,
        )
        keras = import_keras()
        optimizer = getattr(keras.optimizers, OPTIMIZERS[self.optimizer])(
            learning_rate=float(self.learning_rate)
        )
        model.compile(optimizer=optimizer, loss=self.head.keras_loss())
        return model

    def restore(self, arch: dict[str, Any], network: Network) -> Any:
        """A Keras model of ``arch`` holding the weights of ``network``."""
        model = self.new_model(arch)
        set_keras_weights(model, network)
        return model

    def fit_one(self, model, X, y, weights, seed, incremental):
        """Train one network (``partial_fit``, ``warm_start``): early stopping on a split.

        Returns the history and the trained network.
        """
        rows, validation = None, None
        if self.early_stopping and not incremental:
            rows, validation = self._validation_split(X, y, weights, seed)
        history = self._train(model, X, y, weights, seed, rows, validation, incremental)
        network = describe_keras(model)
        self._check_finite(network)
        return history, network

    # ------------------------------------------------------------------ members

    def fit_members(self, hidden, X, y, weights, seed):
        """Train ``n_members`` networks, each stopped on its own fold; merge them into one.

        Returns the histories, the merged network, the architecture of the model that holds
        it, and the Keras model (the one member's; ``None`` for merged members, whose model is
        built from the merged network when first asked for).
        """
        n_members = int(min(self.n_members, len(y)))
        cross_fit = self.early_stopping and n_members > 1
        folds = stratified_folds(self.head.strata(y), n_members, seed) if cross_fit else None
        if n_members > 1 and self._keras_free():
            fitted = self._members_without_keras(hidden, X, y, weights, seed, folds, n_members)
        else:
            fitted = [
                self._member_with_keras(m, hidden, X, y, weights, seed, folds, n_members > 1)
                for m in range(n_members)
            ]
        histories = [member.history for member in fitted]
        self.chosen_C: list[float] = [member.C for member in fitted]
        network = merge_members([member.network for member in fitted])
        if n_members == 1:
            return histories, network, fitted[0].arch, fitted[0].model
        merged = {  # model_ is the merged network: the same arrays predict_proba runs
            "hidden": tuple(n_members * w for w in hidden),
            "batch_normalization": False,  # folded into the dense steps by describe_keras
            "linear_l2": self.single(hidden, len(y), float(np.mean(self.chosen_C)))["linear_l2"],
        }
        return histories, network, merged, None

    def _member_rows(self, member, X, y, weights, folds, member_seed):
        """Member ``member``'s training rows (``None``: all) and held-out rows (or ``None``)."""
        if folds is not None:
            held_out = np.flatnonzero(folds == member)
            return np.flatnonzero(folds != member), (X[held_out], y[held_out], weights[held_out])
        if self.early_stopping:
            return self._validation_split(X, y, weights, member_seed)
        return None, None

    def _member_setup(self, member, hidden, X, y, weights, seed, folds):
        """Member ``member``'s seed, rows, held-out rows, ``linear_C``, architecture and the
        classical start of its linear path (``None`` without one): the same on both paths."""
        member_seed = self._member_seed(seed, member)
        rows, validation = self._member_rows(member, X, y, weights, folds, member_seed)
        C = self._member_C(X, y, weights, rows, validation, hidden)
        arch = self.single(hidden, len(y) if rows is None else len(rows), C)
        start = None
        if arch["linear_l2"] is not None:
            start = self._classical_start(X, y, weights, rows, C)
        return member_seed, rows, validation, C, arch, start

    @staticmethod
    def _member_seed(seed: int, member: int) -> int:
        return (seed + 7919 * member) % np.iinfo(np.int32).max

    def _member_with_keras(self, member, hidden, X, y, weights, seed, folds, of_several):
        """One member trained as a compiled Keras model (callbacks, progress bar, optimizers
        the numpy step does not reproduce): its history, network, ``linear_C`` and model.

        One of several members trained by the numpy step starts from :mod:`._members`' weights
        and seeds, so a progress bar or a callback that only watches changes no weight.
        """
        member_seed, rows, validation, C, arch, start = self._member_setup(
            member, hidden, X, y, weights, seed, folds
        )
        model = self.new_model(arch, member_seed)
        train_seed: Any = member_seed
        if of_several and _numpy_training.eligible(self.optimizer, self.batch_normalization):
            values = _members.starting_weights(self._spec(arch), self.head, member_seed, start)
            for variable, value in zip(_numpy_training.spec_of(model)[1], values, strict=True):
                variable.assign(value)
            train_seed = _members.seeds(member_seed)[1]
        elif start is not None:
            model.get_layer(LINEAR_PATH).set_weights([start[0]])
            head = model.get_layer("head")
            head.set_weights([head.get_weights()[0], start[1]])
        history = self._train(model, X, y, weights, train_seed, rows, validation)
        network = describe_keras(model)
        self._check_finite(network)
        return _Member(history, network, C, arch, model)

    def _keras_free(self) -> bool:
        """Whether members can train without a Keras model: nothing watches the training and
        the numpy step reproduces the optimizer."""
        return (
            _numpy_training.eligible(self.optimizer, bool(self.batch_normalization))
            and not self.callbacks
            and not self.verbose
        )

    def _members_without_keras(self, hidden, X, y, weights, seed, folds, n_members):
        """Members trained together by :mod:`._members` (numpy alone)."""
        rows, validations, Cs, archs, starts, member_seeds = [], [], [], [], [], []
        for member in range(n_members):
            member_seed, member_rows, validation, C, arch, start = self._member_setup(
                member, hidden, X, y, weights, seed, folds
            )
            for values, value in zip(
                (rows, validations, Cs, archs, starts, member_seeds),
                (member_rows, validation, C, arch, start, member_seed),
            ):
                values.append(value)  # fmt: skip
        n_train = max(len(y) if r is None else len(r) for r in rows)
        optimizer = Optimizer(self.optimizer, float(self.learning_rate))
        trained = _members.train(
            [self._spec(arch) for arch in archs], optimizer, X, y, weights, rows=rows,
            validations=validations, starts=starts,
            member_seeds=member_seeds, batch_size=self._batch(n_train), epochs=int(self.epochs),
            patience=int(self.n_iter_no_change), tol=float(self.tol), head=self.head,
            eps=_numpy_training.keras_epsilon(),
        )  # fmt: skip
        fitted = []
        for (history, network), C, arch in zip(trained, Cs, archs, strict=True):
            self._check_losses([float(v) for v in history["loss"]])
            self._check_finite(network)
            fitted.append(_Member(history, network, C, arch, None))
        return fitted

    def _spec(self, arch: dict[str, Any]) -> Spec:
        """The numpy step's view of a network of architecture ``arch`` (as new_model builds)."""
        hidden = arch["hidden"]
        return Spec(
            widths=(self.n_features, *hidden, self.n_outputs),
            activation=ACTIVATION_ALIASES[self.activation] if hidden else "linear",
            dropout=float(self.dropout) if hidden else 0.0,
            l2=(float(self.alpha),) * (len(hidden) + 1),
            skip_l2=arch["linear_l2"],
        )

    # ------------------------------------------------------------------ steps

    def _batch(self, n_rows: int) -> int:
        return int(min(200, n_rows) if self.batch_size == "auto" else min(self.batch_size, n_rows))

    def fixed_C(self) -> float:
        """``linear_C`` where no held-out rows choose it."""
        return DEFAULT_C if self.linear_C == "auto" else float(self.linear_C)

    def _member_C(self, X, y, weights, rows, validation, hidden) -> float:
        """The member's ``linear_C``: the given one, or with ``"auto"`` the one of
        :data:`C_GRID` whose classical model (the head's start) fits the member's training
        rows with the best loss on its held-out rows."""
        if self.linear_C != "auto" or validation is None or not (self.linear_path and hidden):
            return self.fixed_C()
        if rows is not None:
            X, y, weights = X[rows], y[rows], weights[rows]
        return self.head.select_C(X, y, weights, validation, C_GRID)

    def _classical_start(self, X, y, weights, rows, C):
        """The member's classical model (kernel and bias of the linear path, float32)."""
        if rows is not None:
            X, y, weights = X[rows], y[rows], weights[rows]
        kernel, bias = self.head.start(X, y, weights, self.n_outputs, C)
        return kernel.astype(np.float32), bias.astype(np.float32)

    def _validation_split(self, X, y, weights, seed):
        """Training row indices and the (copied) stratified validation rows."""
        fraction = float(self.validation_fraction)
        strata = self.head.strata(y)
        val = validation_rows(strata, self.head.n_strata(self.n_outputs), fraction, seed)
        is_val = np.zeros(len(y), dtype=bool)
        is_val[val] = True
        return np.flatnonzero(~is_val), (X[val], y[val], weights[val])

    def _check_losses(self, losses: list[float]) -> None:
        if not losses or not np.all(np.isfinite(losses)):
            raise FloatingPointError(
                f"Training diverged: the loss became {losses[-1] if losses else 'undefined'} "
                f"after {len(losses)} epoch(s). Scale the features (e.g. StandardScaler) or "
                f"lower learning_rate (now {self.learning_rate})."
            )

    def _check_finite(self, network: Network) -> None:
        if not all(np.isfinite(s[k]).all() for s in network for k in ("kernel", "bias")):
            raise FloatingPointError(
                "Training diverged: the weights became infinite or NaN. Scale the features "
                f"(e.g. StandardScaler) or lower learning_rate (now {self.learning_rate})."
            )

    def _train(self, model, X, y, weights, seed, rows, validation, incremental=False):
        """Train ``model`` on ``rows`` of X (all when None); return its history as a dict."""
        from skmed._backend import import_keras

        keras = import_keras()
        callbacks = list(self.callbacks or [])
        if validation is not None:
            callbacks.insert(0, early_stopping(keras, int(self.n_iter_no_change), float(self.tol)))
        batch_size = self._batch(len(X) if rows is None else len(rows))
        epochs = 1 if incremental else int(self.epochs)
        common = {"batch_size": batch_size, "epochs": epochs, "verbose": int(self.verbose)}
        if _numpy_training.eligible(self.optimizer, bool(self.batch_normalization)):
            # reads the training rows in place: no copy of X
            fitted = _numpy_training.fit(
                model, X, y, weights, rows=rows, validation=validation, callbacks=callbacks,
                seed=seed, head=self.head, **common,
            )  # fmt: skip
        else:
            if rows is not None:
                X, y, weights = X[rows], y[rows], weights[rows]
            if validation is not None and not self.head.row_separable:
                # the Cox loss's risk sets span a batch: validate on all held-out rows at once
                common["validation_batch_size"] = len(validation[0])
            fitted = model.fit(
                X, y, sample_weight=weights, validation_data=validation,
                callbacks=[*callbacks, stop_on_nan(keras)], shuffle=True, **common,
            )  # fmt: skip
        self._check_losses([float(v) for v in fitted.history.get("loss", [])])
        return {key: [float(v) for v in values] for key, values in fitted.history.items()}
