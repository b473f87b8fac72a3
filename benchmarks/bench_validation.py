"""How close each internal validation comes to the true out-of-sample AUC and calibration slope.

Run: python benchmarks/bench_validation.py [--simulations 20] [--n 300] [--refits 100]

Each simulation draws a development sample of ``--n`` patients from a known logistic model
(3 real predictors, 12 noise ones, one interaction, 20% prevalence), fits skmed's default
pipeline (``StandardScaler`` + ``MedicalMLPClassifier()``), and measures its true performance on
20,000 independent patients. Against it, the table compares the estimates a developer would
report: the apparent (training) performance, a 25% hold-out (model refitted on 75%), the
optimism-corrected bootstrap and 5 x 5-fold cross-validation (both with the model fitted on
all rows). Mean absolute error and mean signed error over the simulations, and seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmed import MedicalMLPClassifier
from skmed.metrics import calibration_intercept_slope
from skmed.validation import internal_validation


def simulate(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 15))
    logit = 0.9 * X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] + 0.5 * X[:, 0] * X[:, 1] - 1.6
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=20)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--refits", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    model = make_pipeline(StandardScaler(), MedicalMLPClassifier(random_state=0))
    rng = np.random.default_rng(0)
    X_big, y_big = simulate(20_000, rng)
    errors: dict[str, list[tuple[float, float]]] = {}
    seconds: dict[str, float] = {}

    def record(name: str, auc: float, slope: float, truth: tuple[float, float], t: float) -> None:
        errors.setdefault(name, []).append((auc - truth[0], slope - truth[1]))
        seconds[name] = seconds.get(name, 0.0) + t

    for s in range(args.simulations):
        X, y = simulate(args.n, rng)
        start = time.perf_counter()
        boot = internal_validation(model, X, y, n_bootstraps=args.refits, n_jobs=args.n_jobs)
        t_boot = time.perf_counter() - start
        p_big = boot.estimator.predict_proba(X_big)[:, 1]
        truth = (roc_auc_score(y_big, p_big), calibration_intercept_slope(y_big, p_big)[1])
        table = boot.table
        record(
            "apparent",
            table.loc["roc_auc", "apparent"],
            table.loc["calibration_slope", "apparent"],
            truth,
            0.0,
        )
        record(
            f"bootstrap ({args.refits} refits)",
            table.loc["roc_auc", "corrected"],
            table.loc["calibration_slope", "corrected"],
            truth,
            t_boot,
        )
        start = time.perf_counter()
        cv = internal_validation(model, X, y, method="cv", n_jobs=args.n_jobs, random_state=s)
        record(
            "5 x 5-fold CV",
            cv.table.loc["roc_auc", "mean"],
            cv.table.loc["calibration_slope", "mean"],
            truth,
            time.perf_counter() - start,
        )
        start = time.perf_counter()
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=s)
        held = clone(model).fit(X_tr, y_tr).predict_proba(X_te)[:, 1]
        record(
            "25% hold-out",
            roc_auc_score(y_te, held),
            calibration_intercept_slope(y_te, held)[1],
            truth,
            time.perf_counter() - start,
        )
        print(f"simulation {s + 1}/{args.simulations}: true AUC {truth[0]:.3f}", flush=True)

    print(
        f"\n{args.simulations} simulations, n = {args.n}, true performance on 20,000 new patients"
    )
    print("| estimate | AUC: mean abs error | AUC: mean error | slope: mean abs error "
          "| slope: mean error | seconds per simulation |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, values in errors.items():
        v = np.array(values)
        print(
            f"| {name} | {np.abs(v[:, 0]).mean():.3f} | {v[:, 0].mean():+.3f} | "
            f"{np.abs(v[:, 1]).mean():.3f} | {v[:, 1].mean():+.3f} | "
            f"{seconds[name] / args.simulations:.1f} |"
        )


if __name__ == "__main__":
    main()
