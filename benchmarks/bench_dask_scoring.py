"""Batch scoring of a 10M-row CSV: single-process ``skmed predict`` against Dask workers.

Generates a CSV (default 10,000,000 rows: an identifier, four numeric lab columns with missing
values, two categorical columns) in a temporary directory, exports a small fitted pipeline with
:func:`skmed.to_onnx`, and scores the file

1. with ``skmed predict model.onnx data.csv --out ...`` in one process (the reference);
2. with ``skmed predict ... --dask local:N`` (the command starts its own LocalCluster);
3. with :func:`skmed.distributed.score_dask` on an N-worker LocalCluster started here
   (loopback only, one thread per worker), writing CSV, then Parquet.

It prints rows/s, the speed-up over (1), peak RSS of the command's process (1, 2) and of each
worker (3, measured with ``resource.getrusage`` on fresh workers), and checks that every CSV
output is byte-identical to the reference. Needs ``pip install 'skmed[dask]'``.

    python benchmarks/bench_dask_scoring.py                 # ~5-10 minutes on 2 cores
    python benchmarks/bench_dask_scoring.py --rows 1000000  # quick look
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pandas as pd

# run the command in a fresh parent and report the peak RSS of that command alone
_MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys
    proc = subprocess.run([sys.executable, "-m", "skmed", *sys.argv[1:]])
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.exit(proc.returncode)
    """
)


def make_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    severity = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            "patient_id": np.char.add("P", np.arange(n).astype(str)),
            "age": rng.integers(18, 95, n).astype(np.float64),
            "crp": np.abs(rng.normal(5 + 30 * severity, 10, n)).round(1),
            "temperature": rng.normal(36.8 + 0.8 * severity, 0.4, n).round(1),
            "heart_rate": rng.normal(75 + 10 * severity, 12, n).round(0),
            "sex": rng.choice(np.array(["F", "M"], dtype=object), n),
            "smoking": rng.choice(np.array(["never", "former", "current"], dtype=object), n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "crp"] = np.nan
    frame.loc[rng.random(n) < 0.05, "temperature"] = np.nan
    frame["severity"] = np.array(["mild", "moderate", "severe"], dtype=object)[severity]
    return frame


def export_model(directory: str) -> str:
    import skmed
    from skmed.pipeline import infer_column_types, make_clinical_pipeline, prepare_features

    train = make_frame(3000, seed=0)
    X, y = train.drop(columns=["patient_id", "severity"]), train["severity"]
    types = infer_column_types(X)
    X = prepare_features(X, types)
    pipe = make_clinical_pipeline(
        types, hidden_layer_sizes=(32, 16), epochs=20, early_stopping=False, random_state=0
    ).fit(X, y)
    path = os.path.join(directory, "model.onnx")
    skmed.to_onnx(pipe, X.head(50), path=path)
    return path


def write_csv(path: str, n_rows: int, chunk: int = 1_000_000) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, "wb") as f:
        for i, start in enumerate(range(0, n_rows, chunk)):
            frame = make_frame(min(chunk, n_rows - start), seed=100 + i)
            frame["patient_id"] = "P" + (frame.index + start).astype(str)
            frame = frame.drop(columns=["severity"])
            table = pa.Table.from_pandas(frame, preserve_index=False)
            pacsv.write_csv(
                table,
                f,
                write_options=pacsv.WriteOptions(include_header=i == 0, quoting_style="none"),
            )


def run_command(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``skmed ARGS`` in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"skmed {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return seconds, int(proc.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--blocksize", default="4MB")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from skmed.distributed import score_dask, worker_peak_memory

    rows = []
    with tempfile.TemporaryDirectory(prefix="skmed-bench-dask-") as d:
        model = export_model(d)
        data = os.path.join(d, "data.csv")
        t = time.perf_counter()
        write_csv(data, args.rows)
        size_mb = os.path.getsize(data) / 2**20
        print(
            f"generated {args.rows:,} rows, {size_mb:,.0f} MiB in {time.perf_counter() - t:.0f} s"
        )

        ref = os.path.join(d, "single.csv")
        seconds, rss = run_command(["predict", model, data, "--out", ref])
        rows.append(("`skmed predict` (1 process)", seconds, f"{rss:.0f} (process)", "reference"))
        print(rows[-1])

        out = os.path.join(d, "dask_cli.csv")
        seconds, rss = run_command(
            ["predict", model, data, "--dask", f"local:{args.workers}", "--out", out]
        )
        same = "identical" if filecmp.cmp(out, ref, shallow=False) else "DIFFERENT"
        rows.append(
            (
                f"`skmed predict --dask local:{args.workers}` (incl. cluster start)",
                seconds,
                f"{rss:.0f} (max of client and workers)",
                same,
            )
        )
        print(rows[-1])
        os.remove(out)

        cluster = LocalCluster(
            n_workers=args.workers,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        with Client(cluster) as client:
            for label, target in [("CSV", "scored.csv"), ("Parquet", "scored.parquet")]:
                client.restart()  # fresh workers: the peak RSS below is this run's
                out = os.path.join(d, target)
                start = time.perf_counter()
                n = score_dask(model, data, blocksize=args.blocksize, output=out, client=client)
                seconds = time.perf_counter() - start
                assert n == args.rows, n
                peaks = sorted(worker_peak_memory(client).values())
                if label == "CSV":
                    same = "identical" if filecmp.cmp(out, ref, shallow=False) else "DIFFERENT"
                    os.remove(out)
                else:
                    check = pd.read_parquet(out, columns=["predicted_label"])["predicted_label"]
                    first = pd.read_csv(ref, usecols=["predicted_label"])["predicted_label"]
                    same = "labels identical" if check.equals(first) else "DIFFERENT"
                rows.append(
                    (
                        f"`score_dask(..., output=*.{target.split('.')[1]})`, "
                        f"{args.workers} workers",
                        seconds,
                        " / ".join(f"{p:.0f}" for p in peaks) + " (per worker)",
                        same,
                    )
                )
                print(rows[-1])
        cluster.close()

    base = rows[0][1]
    print()
    print(
        f"{args.rows:,} rows, {size_mb:,.0f} MiB CSV, {args.workers} worker processes x 1 thread, "
        f"blocksize {args.blocksize}; {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}"
    )
    print()
    print("| run | seconds | rows/s | speed-up | peak RSS (MiB) | output vs reference |")
    print("|---|---:|---:|---:|---|---|")
    for name, seconds, rss, same in rows:
        print(
            f"| {name} | {seconds:.1f} | {args.rows / seconds:,.0f} | {base / seconds:.2f}x "
            f"| {rss} | {same} |"
        )


if __name__ == "__main__":
    main()
