"""Judge MedicalMLPClassifier's defaults on real clinical tables, against the usual alternatives.

Every model runs in the same pipeline (median imputation + StandardScaler for numbers,
most-frequent imputation + OneHotEncoder for categories) under the same repeated stratified CV
(5 folds x 2 repeats). Per held-out fold: ROC AUC (macro one-vs-rest for multiclass), Brier score
(sum over classes, so binary scores are twice the single-column form), calibration slope and
intercept (one-vs-rest, averaged over classes); the table's figure is the mean over folds. The
summary averages tables, except the calibration slope (median over tables). Fit
time is the wall time of one pipeline fit, averaged over folds.

    pip install -c constraints.txt scikit-survival survset pytabkit
    python benchmarks/bench_defaults.py                 # everything, in one run (~1 h on 2 cores)
    python benchmarks/bench_defaults.py --models main   # no ablation
    python benchmarks/bench_defaults.py --quick         # 5 folds once, 6 tables
    python benchmarks/bench_defaults.py --json run.json # keep the per-table results
    python benchmarks/bench_defaults.py --load run.json # print a saved run's tables again

The targets of the "better by default" issue are checked at the end of a full run.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from clinical_tables import TABLES, tables
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmed import MedicalMLPClassifier
from skmed.metrics import calibration_intercept_slope


def prep() -> ColumnTransformer:
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    return ColumnTransformer(
        [
            ("num", numbers, make_column_selector(dtype_include="number")),
            ("cat", categories, make_column_selector(dtype_exclude="number")),
        ],
        sparse_threshold=0,  # dense for every model (HistGradientBoosting refuses sparse input)
    )


def realmlp():
    from pytabkit import RealMLP_TD_Classifier

    # pytabkit's README: cross-entropy checkpointing and no label smoothing when AUC / log loss
    # matter (its defaults pick the epoch by classification error)
    return RealMLP_TD_Classifier(
        n_threads=2, device="cpu", random_state=0, verbosity=0,
        val_metric_name="cross_entropy", use_ls=False,
    )  # fmt: skip


REFERENCE = {"hidden_layer_sizes": (16, 8, 4), "linear_path": False, "n_members": 1}

MAIN: dict[str, Callable] = {
    "skmed defaults": lambda: MedicalMLPClassifier(random_state=0),
    'skmed class_weight="balanced"': lambda: MedicalMLPClassifier(
        class_weight="balanced", random_state=0
    ),
    "LogisticRegression": lambda: LogisticRegression(max_iter=5000),
    "HistGradientBoosting": lambda: HistGradientBoostingClassifier(random_state=0),
    "MLPClassifier": lambda: MLPClassifier(max_iter=500, random_state=0),
    "RealMLP-TD (pytabkit)": realmlp,
    "skmed 0.1 defaults (16-8-4)": lambda: MedicalMLPClassifier(
        **REFERENCE, alpha=1e-4, random_state=0
    ),
}

#: The recipe with one piece taken away (or changed) at a time.
ABLATION: dict[str, Callable] = {
    "- linear path": lambda: MedicalMLPClassifier(linear_path=False, random_state=0),
    "- cross-fitted members (1 network, 10% split)": lambda: MedicalMLPClassifier(
        n_members=1, random_state=0
    ),
    "- hidden layers (5 logistic regressions)": lambda: MedicalMLPClassifier(
        hidden_layer_sizes=(), random_state=0
    ),
    "16-8-4 hidden layers": lambda: MedicalMLPClassifier(
        hidden_layer_sizes=(16, 8, 4), random_state=0
    ),
    "3 members": lambda: MedicalMLPClassifier(n_members=3, random_state=0),
}

QUICK_TABLES = [
    "hepatocellular death",
    "GBSG2 recurrence",
    "ACTG320 AIDS/death",
    "NWTCO relapse",
    "SEER prostate death",
    "colon differentiation (3)",
]


def one_vs_rest_calibration(y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    pairs = []
    columns = [1] if proba.shape[1] == 2 else range(proba.shape[1])
    for k in columns:
        p = np.clip(proba[:, k], 1e-6, 1 - 1e-6)
        pairs.append(calibration_intercept_slope((y == k).astype(int), p, pos_label=1))
    a, b = np.nanmean(np.asarray(pairs), axis=0)
    return float(a), float(b)


def evaluate(make: Callable, X: pd.DataFrame, y: pd.Series, cv) -> dict[str, float]:
    codes, labels = pd.factorize(y, sort=True)
    rows = []
    for train, test in cv.split(X, codes):
        model = make_pipeline(prep(), make())
        start = time.perf_counter()
        model.fit(X.iloc[train], labels[codes[train]])
        fit_s = time.perf_counter() - start
        proba = model.predict_proba(X.iloc[test])
        order = np.searchsorted(labels, model.classes_)
        full = np.zeros((len(test), labels.size))
        full[:, order] = proba
        yt = codes[test]
        if labels.size == 2:
            auc = roc_auc_score(yt, full[:, 1])
        else:
            auc = roc_auc_score(yt, full, multi_class="ovr", average="macro")
        onehot = np.eye(labels.size)[yt]
        brier = float(np.mean(np.sum((full - onehot) ** 2, axis=1)))
        intercept, slope = one_vs_rest_calibration(yt, full)
        rows.append((auc, brier, slope, intercept, fit_s))
    auc, brier, slope, intercept, fit_s = np.mean(rows, axis=0)
    return {"auc": auc, "brier": brier, "slope": slope, "intercept": intercept, "fit_s": fit_s}


def summary(results: dict, names: list[str], table_names: list[str]) -> pd.DataFrame:
    lr = "LogisticRegression"
    hgb = "HistGradientBoosting"
    out = []
    for name in names:
        per = pd.DataFrame([results[t][name] for t in table_names], index=table_names)
        row = {
            "model": name,
            "mean AUC": per["auc"].mean(),
            "mean Brier": per["brier"].mean(),
            # the median: a slope is unstable where a model nearly separates the classes
            "median calibration slope": per["slope"].median(),
            "calibration intercept": per["intercept"].mean(),
            "median fit s": per["fit_s"].median(),
        }
        for ref, label in ((lr, "worst vs LR"), (hgb, "worst vs HGB")):
            if all(ref in results[t] for t in table_names):
                diffs = [results[t][name]["auc"] - results[t][ref]["auc"] for t in table_names]
                row[label] = min(diffs)
        out.append(row)
    return pd.DataFrame(out).set_index("model")


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join([frame.index.name or "", *map(str, cols)]) + " |"]
    lines.append("|" + "---|" * (len(cols) + 1))
    for idx, row in frame.iterrows():
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines)


def check_targets(results: dict, table_names: list[str], main: pd.DataFrame) -> list[str]:
    new, lr, rml = "skmed defaults", "LogisticRegression", "RealMLP-TD (pytabkit)"
    bal = 'skmed class_weight="balanced"'
    lines = []

    def line(ok: bool, text: str) -> None:
        lines.append(f"[{'met' if ok else 'MISSED'}] {text}")

    m = main
    line(
        m.loc[new, "mean AUC"] >= m.loc[lr, "mean AUC"],
        f"mean AUC {m.loc[new, 'mean AUC']:.4f} >= LogisticRegression {m.loc[lr, 'mean AUC']:.4f}",
    )
    if rml in m.index:
        line(
            m.loc[new, "mean AUC"] >= m.loc[rml, "mean AUC"],
            f"mean AUC {m.loc[new, 'mean AUC']:.4f} >= RealMLP-TD {m.loc[rml, 'mean AUC']:.4f}",
        )
        ratio = m.loc[rml, "median fit s"] / m.loc[new, "median fit s"]
        line(
            ratio >= 5,
            f"median fit {m.loc[new, 'median fit s']:.2f} s is 1/{ratio:.1f} of "
            f"RealMLP-TD's {m.loc[rml, 'median fit s']:.2f} s (target 1/5)",
        )
    hgb = "HistGradientBoosting"
    if hgb in m.index:  # issue "Speed of the default recipe"
        ratio = m.loc[new, "median fit s"] / m.loc[hgb, "median fit s"]
        line(
            ratio <= 2,
            f"median fit {m.loc[new, 'median fit s']:.3f} s is {ratio:.2f}x "
            f"HistGradientBoosting's {m.loc[hgb, 'median fit s']:.3f} s (target <= 2x)",
        )
    line(
        m.loc[new, "worst vs LR"] >= -0.02,
        f"worst table vs LogisticRegression {m.loc[new, 'worst vs LR']:+.4f} (target >= -0.02)",
    )
    line(
        m.loc[new, "worst vs HGB"] >= -0.03,
        f"worst table vs HistGradientBoosting {m.loc[new, 'worst vs HGB']:+.4f} (target >= -0.03)",
    )
    line(
        m.loc[new, "mean Brier"] <= m.loc[lr, "mean Brier"],
        f"mean Brier {m.loc[new, 'mean Brier']:.4f} <= LogisticRegression "
        f"{m.loc[lr, 'mean Brier']:.4f}",
    )
    if bal in m.index:
        gap = m.loc[bal, "mean AUC"] - m.loc[new, "mean AUC"]
        line(
            abs(gap) <= 0.01,
            f'class_weight="balanced": mean AUC {gap:+.4f} vs unweighted (target within 0.01)',
        )
        ci = m.loc[bal, "calibration intercept"]
        line(
            abs(ci) <= 0.1,
            f'class_weight="balanced": mean calibration intercept {ci:+.4f} (target within +-0.1)',
        )
    return lines  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", choices=["all", "main", "ablation"], default="all")
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all chosen)")
    parser.add_argument("--tables", nargs="*", help="table names (default: all)")
    parser.add_argument("--quick", action="store_true", help="5 folds once, 6 tables")
    parser.add_argument("--json", help="write the raw per-table results here")
    parser.add_argument("--load", help="print the tables of a run saved with --json")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    candidates = dict(MAIN) if args.models in ("all", "main") else {}
    if args.models in ("all", "ablation"):
        candidates.update(ABLATION)
        candidates.setdefault("skmed defaults", MAIN["skmed defaults"])
    if args.only:
        candidates = {k: v for k, v in {**MAIN, **ABLATION}.items() if k in args.only}
    try:
        import pytabkit  # noqa: F401
    except ImportError:
        print("pytabkit not installed: RealMLP-TD skipped\n")
        candidates.pop("RealMLP-TD (pytabkit)", None)
    names = args.tables or (QUICK_TABLES if args.quick else list(TABLES))
    repeats = 1 if args.quick else 2
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)
    print(f"5-fold x {repeats} repeated stratified CV on {len(names)} tables; "
          f"{len(candidates)} models\n", flush=True)  # fmt: skip
    results: dict[str, dict] = {}
    started = time.perf_counter()
    if args.load:  # the tables of a saved run, without running it again
        with open(args.load) as fh:
            results = json.load(fh)
        names = []
        candidates = {n: {**MAIN, **ABLATION}[n] for n in next(iter(results.values()))}
    for table, X, y in tables(names):
        results[table] = {}
        for name, make in candidates.items():
            results[table][name] = evaluate(make, X, y, cv)
        aucs = ", ".join(f"{n} {r['auc']:.3f}" for n, r in results[table].items())
        print(f"{table} ({len(y)} rows, {time.perf_counter() - started:.0f} s): {aucs}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    tnames = list(results)
    main_names = [n for n in candidates if n in MAIN]
    abl_names = [n for n in candidates if n in ABLATION or n == "skmed defaults"]
    print("\n## Summary\n")
    table = summary(results, main_names or list(candidates), tnames)
    print(markdown(table))
    print("\n## ROC AUC per table\n")
    per = pd.DataFrame(
        {n: [results[t][n]["auc"] for t in tnames] for n in candidates}, index=tnames
    )
    per.index.name = "table"
    print(markdown(per))
    if len(abl_names) > 1:
        print("\n## Ablation\n")
        print(markdown(summary(results, abl_names, tnames)))
    if {"skmed defaults", "LogisticRegression", "HistGradientBoosting"} <= set(candidates):
        print("\n## Targets\n")
        print("\n".join(check_targets(results, tnames, table)))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
