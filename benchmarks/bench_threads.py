"""One BLAS thread or all of them: where MedicalMLPClassifier's training threshold comes from.

skmed trains on one BLAS thread when a training step costs fewer than
``skmed.neural_network._trainer.MIN_FLOPS_PER_THREAD_STEP`` floating-point operations
(6 x batch x weights): on small steps, handing work to a second thread costs more than the
arithmetic. This script fits the same network with 1 and with all threads over a range of step
sizes and prints the table; the threshold sits where the second thread starts to pay off.

    python benchmarks/bench_threads.py
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skmed import MedicalMLPClassifier
from skmed.neural_network import _trainer

CASES = [
    ((64, 32), 256),
    ((64, 32), 2048),
    ((256, 128), 256),
    ((256, 128), 1024),
    ((512, 256), 512),
]


def main() -> None:
    _trainer.MIN_FLOPS_PER_THREAD_STEP = 0  # the script sets the threads itself
    X, y = make_classification(40_000, 30, n_informative=10, n_classes=3, random_state=0)
    X = X.astype(np.float32)
    MedicalMLPClassifier(epochs=1).fit(X[:500], y[:500])  # warm-up: Keras import
    threads = os.cpu_count() or 1
    print(f"| hidden | batch | FLOP per step | 1 thread s | {threads} threads s | speed-up |")
    print("|---|---|---|---|---|---|")
    for hidden, batch in CASES:
        widths = (X.shape[1], *hidden, 3)
        flops = 6 * batch * sum(a * b for a, b in zip(widths, widths[1:]))
        seconds = []
        for n in (1, threads):
            runs = []
            for _ in range(3):
                clf = MedicalMLPClassifier(
                    hidden, batch_size=batch, epochs=2, early_stopping=False, random_state=0
                )
                with threadpool_limits(n):
                    start = time.perf_counter()
                    clf.fit(X, y)
                    runs.append(time.perf_counter() - start)
            seconds.append(statistics.median(runs))
        print(
            f"| {hidden} | {batch} | {flops:.1e} | {seconds[0]:.3f} | {seconds[1]:.3f} "
            f"| {seconds[0] / seconds[1]:.2f} |"
        )


if __name__ == "__main__":
    main()
