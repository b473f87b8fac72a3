"""Judge MedicalMLPClassifier's defaults on real clinical tables shipped inside PyPI packages.

Each table's outcome is a binary event indicator (death, recurrence, ...); features are the
table's clinical columns, mixed numeric and categorical, missing values kept. Every candidate
runs in the same pipeline (median imputation + scaling, one-hot encoding) under the same
stratified 5-fold CV, next to LogisticRegression and scikit-learn's MLPClassifier.

    pip install scikit-survival   # ships WHAS500, GBSG2, FLCHAIN, AIDS as package data
    python benchmarks/bench_defaults.py [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier


def tables():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    yield "breast cancer (sklearn)", X, y
    try:
        from sksurv import datasets as sd
    except ImportError:
        print("scikit-survival not installed: only breast cancer\n")
        return
    for name, loader, event in [
        ("WHAS500 death", sd.load_whas500, "fstat"),
        ("GBSG2 recurrence", sd.load_gbsg2, "cens"),
        ("AIDS event", sd.load_aids, "censor"),
        ("FLCHAIN death", sd.load_flchain, "death"),
    ]:
        X, y = loader()
        yield name, X, pd.Series(np.asarray(y[event], dtype=int))


def prep():
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )


CANDIDATES = {
    "skmed defaults": lambda: MedicalMLPClassifier(random_state=0),
    "skmed lr=3e-3": lambda: MedicalMLPClassifier(learning_rate=3e-3, random_state=0),
    "skmed patience=10": lambda: MedicalMLPClassifier(n_iter_no_change=10, random_state=0),
    "skmed alpha=1e-2": lambda: MedicalMLPClassifier(alpha=1e-2, random_state=0),
    "skmed no early stop": lambda: MedicalMLPClassifier(early_stopping=False, random_state=0),
    "sklearn MLPClassifier": lambda: MLPClassifier((16, 8, 4), max_iter=500, random_state=0),
    "LogisticRegression": lambda: LogisticRegression(max_iter=2000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 folds, first 3 candidates")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    folds = 3 if args.quick else 5
    names = list(CANDIDATES)[:3] + list(CANDIDATES)[-2:] if args.quick else list(CANDIDATES)
    print(f"{folds}-fold stratified CV; mean ROC AUC / log loss / fit s per fold\n")
    print("| table | rows | positives | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for table, X, y in tables():
        cells = []
        for name in names:
            start = time.perf_counter()
            scores = cross_validate(
                make_pipeline(prep(), CANDIDATES[name]()),
                X,
                y,
                cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                scoring=["roc_auc", "neg_log_loss"],
            )
            per_fold = (time.perf_counter() - start) / folds
            cells.append(
                f"{scores['test_roc_auc'].mean():.3f} / "
                f"{-scores['test_neg_log_loss'].mean():.3f} / {per_fold:.1f}"
            )
        print(f"| {table} | {len(y)} | {y.mean():.0%} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
