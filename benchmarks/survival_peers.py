"""pycox's neural survival models as scikit-survival-style estimators, for the ablation of
``bench_survival.py --models ablation``: LogisticHazard (discrete time, nnet-survival) and CoxPH
(DeepSurv), each an MLP of two hidden layers of 64 and 32 units, stopped early on a stratified
fifth of the training rows, as pycox's examples train them.

    pip install -c constraints.txt pycox
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split

from skmed._step_function import step_functions


class PycoxSurvival(BaseEstimator):
    """``kind="logistic_hazard"`` (``n_durations`` quantile bins) or ``kind="deepsurv"``."""

    def __init__(self, kind="logistic_hazard", n_durations=20, epochs=200, random_state=0):
        self.kind = kind
        self.n_durations = n_durations
        self.epochs = epochs
        self.random_state = random_state

    def fit(self, X, y):
        import torch
        import torchtuples as tt
        from pycox.models import CoxPH, LogisticHazard

        torch.manual_seed(self.random_state)
        X = np.asarray(X, dtype=np.float32)
        event, time = y["event"].astype(np.float32), y["time"].astype(np.float32)
        rows = np.arange(len(X))
        train, val = train_test_split(
            rows, test_size=0.2, stratify=event, random_state=self.random_state
        )
        if self.kind == "logistic_hazard":
            self.labtrans_ = LogisticHazard.label_transform(self.n_durations, scheme="quantiles")
            target = self.labtrans_.fit_transform(time[train], event[train])
            val_target = self.labtrans_.transform(time[val], event[val])
            out = self.labtrans_.out_features
        else:
            target, val_target, out = (time[train], event[train]), (time[val], event[val]), 1
        net = tt.practical.MLPVanilla(X.shape[1], [64, 32], out, batch_norm=False, dropout=0.1)
        if self.kind == "logistic_hazard":
            model = LogisticHazard(net, tt.optim.Adam(1e-3), duration_index=self.labtrans_.cuts)
        else:
            model = CoxPH(net, tt.optim.Adam(1e-3))
        model.fit(
            X[train], target, batch_size=min(256, len(train)), epochs=self.epochs,
            callbacks=[tt.callbacks.EarlyStopping(patience=20)], verbose=False,
            val_data=(X[val], val_target),
        )  # fmt: skip
        if self.kind == "deepsurv":
            model.compute_baseline_hazards(X, (time, event))
        self.model_ = model
        return self

    def _surv(self, X):
        X = np.asarray(X, dtype=np.float32)
        model = self.model_.interpolate(10) if self.kind == "logistic_hazard" else self.model_
        frame = model.predict_surv_df(X)  # rows: times, columns: patients
        return frame.index.to_numpy(dtype=np.float64), frame.to_numpy().T

    def predict(self, X):
        if self.kind == "deepsurv":
            return self.model_.predict(np.asarray(X, dtype=np.float32)).reshape(-1)
        grid, surv = self._surv(X)
        return -np.trapezoid(surv, grid, axis=1)  # minus the restricted mean survival time

    def predict_survival_function(self, X, return_array=False):
        grid, surv = self._surv(X)
        return surv if return_array else step_functions(grid, surv, 1.0)
