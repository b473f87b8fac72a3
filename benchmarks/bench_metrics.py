"""Benchmark skmed.metrics.clinical_metrics: bootstrap replicates x rows -> seconds.

Run: /work/venv/bin/python benchmarks/bench_metrics.py [--repeat 3]

Prints one row per case with the best of ``--repeat`` wall-clock times. The target is
1,000 replicates over 10,000 binary rows in under 2 s (all twelve metrics, including the
logistic-recalibration slope and intercept, which need a Newton fit per replicate).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import expit

from skmed.metrics import clinical_metrics

CASES = [
    # (label, n_rows, n_bootstraps, n_classes, ties)
    ("binary", 1_000, 1_000, 2, False),
    ("binary", 10_000, 1_000, 2, False),
    ("binary, tied scores", 10_000, 1_000, 2, True),
    ("binary", 100_000, 200, 2, False),
    ("3-class OvR + macro", 10_000, 1_000, 3, False),
]


def _data(n: int, n_classes: int, ties: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    if n_classes == 2:
        p = expit(rng.normal(1.2 * y - 0.6, 1.0))
        return y, (np.round(p, 2) if ties else p)
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[y]
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    clinical_metrics(*_data(500, 2, False), n_bootstraps=50)  # warm-up (imports, caches)
    header = f"{'case':<22}{'rows':>9}{'replicates':>12}{'seconds':>10}{'ms/replicate':>14}"
    print(header)
    print("-" * len(header))
    for label, n, b, k, ties in CASES:
        y, p = _data(n, k, ties)
        best = np.inf
        for _ in range(args.repeat):
            start = time.perf_counter()
            clinical_metrics(y, p, n_bootstraps=b, random_state=0)
            best = min(best, time.perf_counter() - start)
        print(f"{label:<22}{n:>9,}{b:>12,}{best:>10.3f}{1e3 * best / b:>14.3f}")


if __name__ == "__main__":
    main()
