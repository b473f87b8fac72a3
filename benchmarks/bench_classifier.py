"""MedicalMLPClassifier against scikit-learn's MLPClassifier (and scikeras if installed).

Same architecture (64, 32), batch 256, 10 epochs, no early stopping, Adam lr 1e-3, standard-
scaled float32 inputs. Prints one Markdown table; quote ratios from a single run.

    python benchmarks/bench_classifier.py            # ~2 minutes on 2 cores
    python benchmarks/bench_classifier.py --quick    # fewer rows and repeats
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skmed import MedicalMLPClassifier

HIDDEN, BATCH, EPOCHS, LR = (64, 32), 256, 10, 1e-3


def datasets(n_rows: int):
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer", X, y
    X, y = make_classification(
        n_rows, 30, n_informative=10, n_classes=3, weights=[0.8, 0.15, 0.05], random_state=0
    )
    yield f"synthetic {n_rows:,}", X, y


def candidates():
    yield (
        "sklearn MLPClassifier",
        lambda seed: MLPClassifier(
            HIDDEN,
            batch_size=BATCH,
            max_iter=EPOCHS,
            learning_rate_init=LR,
            tol=0,
            n_iter_no_change=EPOCHS + 1,
            random_state=seed,
        ),
    )
    yield (
        f"skmed MedicalMLPClassifier [{backend()}]",
        lambda seed: MedicalMLPClassifier(
            HIDDEN,
            batch_size=BATCH,
            epochs=EPOCHS,
            learning_rate=LR,
            alpha=1e-4,
            early_stopping=False,
            random_state=seed,
        ),
    )
    try:
        from scikeras.wrappers import KerasClassifier
    except ImportError:
        return

    def scikeras(seed):
        def build(meta):
            import keras

            model = keras.Sequential([keras.Input((meta["n_features_in_"],))])
            for width in HIDDEN:
                model.add(keras.layers.Dense(width, activation="relu"))
            model.add(keras.layers.Dense(meta["n_classes_"], activation="softmax"))
            return model

        return KerasClassifier(
            build,
            loss="sparse_categorical_crossentropy",
            optimizer="adam",
            optimizer__learning_rate=LR,
            batch_size=BATCH,
            epochs=EPOCHS,
            verbose=0,
            random_state=seed,
        )

    yield f"scikeras KerasClassifier [{backend()}]", scikeras


def backend() -> str:
    from skmed._backend import select_backend

    return select_backend()


def timed(fn, repeats: int, *args) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return times


def predict_each(model, rows) -> None:
    for row in rows:
        model.predict_proba(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_rows, repeats = (20_000, 2) if args.quick else (100_000, 3)
    warnings.filterwarnings("ignore")
    print(f"host: {os.cpu_count()} CPUs; backend {backend()}; {repeats} fits each, median\n")
    print(
        "| data | estimator | fit s | train rows/s | x MLPClassifier | balanced acc "
        "| 1-row predict_proba us | 100k-row predict_proba rows/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, X, y in datasets(n_rows):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
        scaler = StandardScaler().fit(X_tr)
        X_tr = scaler.transform(X_tr).astype(np.float32)
        X_te = scaler.transform(X_te).astype(np.float32)
        X_big = np.resize(X_te, (100_000, X_te.shape[1]))
        baseline = None
        for label, make in candidates():
            fit_times, models = [], []
            for seed in range(repeats):
                model = make(seed)
                fit_times += timed(model.fit, 1, X_tr, y_tr)
                models.append(model)
            fit_s = statistics.median(fit_times)
            rows_s = len(X_tr) * EPOCHS / fit_s
            baseline = baseline or rows_s
            model = models[0]
            acc = statistics.median(balanced_accuracy_score(y_te, m.predict(X_te)) for m in models)
            rows = [X_te[i : i + 1] for i in range(200)]
            model.predict_proba(rows[0])
            one = statistics.median(timed(predict_each, 5, model, rows))
            one_us = one / len(rows) * 1e6
            batch = statistics.median(timed(model.predict_proba, 3, X_big))
            print(
                f"| {name} | {label} | {fit_s:.3f} | {rows_s:,.0f} | {rows_s / baseline:.2f} "
                f"| {acc:.3f} | {one_us:,.0f} | {len(X_big) / batch:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
