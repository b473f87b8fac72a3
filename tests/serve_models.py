"""Small exported models of every input shape the server must take, for the serving tests.

``write_models(directory)`` fits and exports four pipelines in a few seconds:

* ``binary``: breast cancer, 30 numeric columns, with a decision threshold;
* ``multiclass``: iris, three classes, misclassification costs;
* ``mixed``: int64, bool, float (one without an imputer), and a category its encoder refuses
  unknown values of, plus a model card;
* ``symptoms``: a symptom-list column next to numbers and a category.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SMALL = {"hidden_layer_sizes": (8,), "epochs": 8, "n_members": 1, "random_state": 0}

MODEL_CARD = {
    "intended_use": "Tests only <script>alert('x')</script> & nothing clinical.",
    "intended_users": "The test suite",
}


def mixed_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n).astype(np.int64),
            "bmi": rng.normal(27, 4, n),
            "lactate": rng.gamma(2.0, 1.0, n),
            "smoker": rng.random(n) < 0.3,
            "sex": rng.choice(["F", "M"], n).astype(object),
        }
    )
    X.loc[rng.random(n) < 0.1, "bmi"] = np.nan
    risk = 0.04 * (X["age"] - 55) + 0.6 * X["lactate"] - 1.2 + 0.8 * X["smoker"]
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "sepsis", "no sepsis")
    return X, y


def symptom_frame(n: int = 300, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    symptoms = ["cough", "fever", "headache", "rash", "fatigue"]
    cells = [";".join(rng.choice(symptoms, rng.integers(0, 4), replace=False)) for _ in range(n)]
    X = pd.DataFrame(
        {
            "temperature": rng.normal(37.2, 0.8, n),
            "smoking": rng.choice(["never", "former", "current"], n).astype(object),
            "symptoms": pd.Series(cells, dtype=object),
        }
    )
    has = X["symptoms"].str.contains
    score = 1.5 * has("fever") + 1.0 * has("cough") + (X["temperature"] - 37.2)
    y = np.select([score > 1.8, score > 0.6], ["pneumonia", "flu"], "healthy")
    return X, y


def fit_models() -> dict[str, tuple[object, pd.DataFrame]]:
    """name -> (fitted pipeline, training frame)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_breast_cancer, load_iris
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import FixedThresholdClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from skmed import MedicalMLPClassifier
    from skmed.preprocessing import SymptomEncoder

    models = {}
    cancer = load_breast_cancer(as_frame=True)
    Xb = cancer.data.rename(columns=lambda c: c.replace(" ", "_"))
    yb = np.where(cancer.target == 1, "benign", "malignant")
    binary = make_pipeline(StandardScaler(), MedicalMLPClassifier(**SMALL))
    binary = FixedThresholdClassifier(binary, threshold=0.3, pos_label="malignant")
    models["binary"] = (binary.fit(Xb, yb), Xb)

    iris = load_iris(as_frame=True)
    Xi = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    yi = iris.target_names[iris.target]
    multi = make_pipeline(
        StandardScaler(),
        MedicalMLPClassifier(**SMALL, class_weight={"setosa": 1, "versicolor": 2, "virginica": 1}),
    )
    models["multiclass"] = (multi.fit(Xi, yi), Xi)

    Xm, ym = mixed_frame()
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "bmi"]),
            ("lab", StandardScaler(), ["lactate"]),  # no imputer: lactate is required
            ("flag", "passthrough", ["smoker"]),
            (
                "sex",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
                ["sex"],
            ),
        ]
    )
    models["mixed"] = (make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(Xm, ym), Xm)

    Xs, ys = symptom_frame()
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["temperature"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["smoking"]),
            ("sym", SymptomEncoder(), ["symptoms"]),
        ]
    )
    models["symptoms"] = (make_pipeline(prep, MedicalMLPClassifier(**SMALL)).fit(Xs, ys), Xs)
    return models


#: Columns never missing in training that the serving tests leave out.
OPTIONAL = {"mixed": ["sex"], "symptoms": ["temperature", "smoking", "symptoms"]}


def write_models(directory: Path) -> dict[str, tuple[object, pd.DataFrame, Path]]:
    """Fit, export and write the four models; name -> (pipeline, frame, path)."""
    from skmed import to_onnx

    out = {}
    for name, (model, X) in fit_models().items():
        path = Path(directory) / f"{name}.onnx"
        metadata = {"model_card": MODEL_CARD} if name == "mixed" else None
        # the serving tests leave these out; never missing in training, they are otherwise
        # required (tests/test_contract.py exports without this)
        optional = OPTIONAL.get(name)
        to_onnx(
            model,
            X.head(50),
            path=path,
            reference_data=X,
            metadata=metadata,
            optional_columns=optional,
        )
        out[name] = (model, X, path)
    return out
