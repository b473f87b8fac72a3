"""Judge MedicalMLPSurvival's defaults on real censored tables, against scikit-survival's models.

Tables ship inside scikit-survival's wheel (no download): veterans' lung cancer, WHAS500,
GBSG2, AIDS, FLCHAIN (with missing values) and the breast-cancer gene table. Every model runs in
the same pipeline (median imputation + StandardScaler for numbers, most-frequent imputation +
OneHotEncoder for categories) under the same repeated CV (5 folds x 2 repeats, folds stratified
by event). Per held-out fold: Harrell's C of ``predict`` and the integrated Brier score (IPCW,
censoring distribution from the training fold) on 20 times between the 10th and 80th
percentiles of the held-out times, both from scikit-survival's metric functions. Fit time is
the wall time of one pipeline fit.

    pip install -c constraints.txt scikit-survival
    python benchmarks/bench_survival.py            # 5 folds x 2 repeats, every table
    python benchmarks/bench_survival.py --quick    # 5 folds once
    python benchmarks/bench_survival.py --quick --models ablation   # pycox LogisticHazard and
                                                   # DeepSurv, skmed without its parts

The issue's goal (mean C-index >= Cox's, mean integrated Brier <= Cox's) is checked at the end.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from bench_defaults import prep  # the same preprocessing as the classifier's benchmark
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sksurv import datasets
from sksurv.ensemble import GradientBoostingSurvivalAnalysis, RandomSurvivalForest
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import concordance_index_censored, integrated_brier_score

from skmed import MedicalMLPSurvival

TABLES = {
    "veterans": datasets.load_veterans_lung_cancer,
    "whas500": datasets.load_whas500,
    "gbsg2": datasets.load_gbsg2,
    "aids": datasets.load_aids,
    "flchain": datasets.load_flchain,
    "breast_cancer": datasets.load_breast_cancer,
}

COX = "Cox (sksurv, alpha=1)"
MODELS = {
    COX: lambda seed: CoxPHSurvivalAnalysis(alpha=1.0),
    "RandomSurvivalForest": lambda seed: RandomSurvivalForest(
        n_estimators=200, min_samples_leaf=10, n_jobs=2, random_state=seed
    ),
    "GradientBoostingSurvival": lambda seed: GradientBoostingSurvivalAnalysis(random_state=seed),
    "MedicalMLPSurvival()": lambda seed: MedicalMLPSurvival(random_state=seed),
}


def ablation_models() -> dict:
    """The formulations and the defaults' parts: pycox's discrete-time and Cox networks (no
    classical start, one network), and skmed without its linear path or its members."""
    from survival_peers import PycoxSurvival

    return {
        COX: MODELS[COX],
        "MedicalMLPSurvival()": MODELS["MedicalMLPSurvival()"],
        "MedicalMLPSurvival(linear_path=False)": lambda seed: MedicalMLPSurvival(
            linear_path=False, random_state=seed
        ),
        "MedicalMLPSurvival(linear_C='auto')": lambda seed: MedicalMLPSurvival(
            linear_C="auto", random_state=seed
        ),
        "MedicalMLPSurvival(n_members=1)": lambda seed: MedicalMLPSurvival(
            n_members=1, random_state=seed
        ),
        "pycox LogisticHazard": lambda seed: PycoxSurvival("logistic_hazard", random_state=seed),
        "pycox DeepSurv": lambda seed: PycoxSurvival("deepsurv", random_state=seed),
    }


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = TABLES[name]()
    X = X.copy()
    for column in X.columns:  # categories as text: one encoder path for every model
        if isinstance(X[column].dtype, pd.CategoricalDtype) or X[column].dtype == object:
            X[column] = X[column].astype(object).where(X[column].notna(), np.nan)
    event_field, time_field = y.dtype.names
    out = np.empty(len(y), dtype=[("event", bool), ("time", float)])
    out["event"], out["time"] = y[event_field], y[time_field]
    return X, out


def score_fold(model, X_train, y_train, X_test, y_test) -> tuple[float, float]:
    c = concordance_index_censored(y_test["event"], y_test["time"], model.predict(X_test))[0]
    # IPCW needs the censoring distribution of the training fold at each test time: test rows
    # followed up beyond the last training time are left out of the Brier score
    inside = y_test["time"] < y_train["time"].max()
    X_test, y_test = X_test.iloc[inside], y_test[inside]
    lo, hi = np.percentile(y_test["time"], [10, 80])
    times = np.linspace(lo, min(hi, y_test["time"].max() - 1e-9), 20)
    functions = model.predict_survival_function(X_test)
    survival = np.vstack([f(times) for f in functions])
    ibs = integrated_brier_score(y_train, y_test, survival, times)
    return float(c), float(ibs)


def run(repeats: int, models: dict) -> pd.DataFrame:
    rows = []
    for table in TABLES:
        X, y = load(table)
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)
        for fold, (train, test) in enumerate(cv.split(X, y["event"])):
            for name, make in models.items():
                model = make_pipeline(prep(), make(fold))
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X.iloc[train], y[train])
                fit_time = time.perf_counter() - start
                c, ibs = score_fold(model, X.iloc[train], y[train], X.iloc[test], y[test])
                rows.append((table, len(X), fold, name, c, ibs, fit_time))
        print(f"done {table}", flush=True)
    return pd.DataFrame(rows, columns=["table", "n", "fold", "model", "c", "ibs", "fit_s"])


def report(results: pd.DataFrame) -> None:
    per_table = results.groupby(["table", "model"])[["c", "ibs", "fit_s"]].mean().unstack()
    print("\nC-index per table (higher is better)")
    print(per_table["c"].round(3).to_string())
    print("\nIntegrated Brier score per table (lower is better)")
    print(per_table["ibs"].round(4).to_string())
    cox = COX
    summary = pd.DataFrame(
        {
            "mean C-index": per_table["c"].mean(),
            "mean IBS": per_table["ibs"].mean(),
            "worst table C vs Cox": (per_table["c"].sub(per_table["c"][cox], axis=0)).min(),
            "median fit (s)": results.groupby("model")["fit_s"].median(),
        }
    )
    print("\nSummary over tables")
    print(summary.round(4).to_string())
    mlp = summary.loc["MedicalMLPSurvival()"]
    c_gap = mlp["mean C-index"] - summary.loc[cox, "mean C-index"]
    ibs_gap = mlp["mean IBS"] - summary.loc[cox, "mean IBS"]
    print(
        f"\ngoal mean C >= Cox: {'met' if c_gap >= 0 else 'NOT met'} ({c_gap:+.4f}); "
        f"goal mean IBS <= Cox: {'met' if ibs_gap <= 0 else 'NOT met'} ({ibs_gap:+.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 folds once")
    parser.add_argument(
        "--models",
        choices=("main", "ablation"),
        default="main",
        help="main: against scikit-survival; ablation: formulations and the defaults' parts "
        "(needs pycox)",
    )
    args = parser.parse_args()
    models = MODELS if args.models == "main" else ablation_models()
    report(run(1 if args.quick else 2, models))


if __name__ == "__main__":
    main()
