"""Shared fixtures: small data sets and fast estimator settings, so the suite stays quick."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

#: Settings that train a good-enough model on a few hundred rows in well under a second.
FAST = dict(
    hidden_layer_sizes=(16,), learning_rate=0.02, epochs=20, batch_size=32, early_stopping=False
)


def make_clinical_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A small mixed patient table: labs with NaN, text categoricals, string labels."""
    rng = np.random.default_rng(seed)
    disease = rng.choice(["healthy", "flu", "pneumonia"], size=n, p=[0.5, 0.3, 0.2])
    severity = pd.Series(disease).map({"healthy": 0.0, "flu": 1.0, "pneumonia": 2.0}).to_numpy()
    frame = pd.DataFrame(
        {
            "age": rng.normal(50, 15, n).round(),
            "crp": np.abs(rng.normal(5 + 30 * severity, 10, n)),
            "temperature": rng.normal(36.8 + 0.8 * severity, 0.4, n),
            "sex": rng.choice(["F", "M"], size=n),
            "smoker": np.where(severity + rng.normal(0, 1, n) > 1.5, "current", "never"),
            "cough": (rng.random(n) < 0.2 + 0.3 * severity).astype(np.int64),
        }
    )
    frame.loc[rng.random(n) < 0.15, "crp"] = np.nan
    frame.loc[rng.random(n) < 0.05, "temperature"] = np.nan
    return frame, pd.Series(disease, name="disease")


@pytest.fixture(scope="session")
def clinical_frame():
    return make_clinical_frame()


@pytest.fixture(scope="session")
def breast_cancer_scaled():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.fixture(scope="session")
def iris_scaled():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), load_iris().target_names[y]
