"""``skmed serve`` under load, beside the in-process ``OnnxClassifier``, in one run (issue #16).

The model is the realistic one: ``make_clinical_pipeline`` with the default classifier on the
built-in diagnosis table (numbers with missing values, categories, five classes), exported with
``skmed.to_onnx``. The real server (``skmed serve``, one uvicorn process) listens on loopback;
the load comes from this process, an asyncio client on keep-alive connections, one per
concurrent request. Settings: concurrency 1, 8 and 64, with 1-row and 1,000-row JSON requests,
``--requests`` per setting (bounded by ``--max-seconds``). In-process figures time
``OnnxClassifier.predict_with_proba`` on the same rows (a frame of 1,000 rows; one record). The
server runs with one worker process, then two (``--workers``).

1,000-row requests are sent as JSON and as an Arrow IPC stream (with an Arrow answer).

Goals: 0 errors; the 1-row p50 latency at concurrency 8 at most 1 ms above the in-process
call's; 1,000-row requests reach at least 50% of the in-process rows per second.

    python benchmarks/bench_serve.py                    # ~10 minutes on 2 cores (1 and 2 workers)
    python benchmarks/bench_serve.py --requests 2000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

_URL = re.compile(r"skmed serve: http://([^/]+)/")


def build_model(directory: Path) -> tuple[Path, object]:
    from skmed import to_onnx
    from skmed.datasets import load_diagnosis
    from skmed.pipeline import make_clinical_pipeline, prepare_features

    data = load_diagnosis(as_frame=True)
    X = prepare_features(data.data)
    pipeline = make_clinical_pipeline(X, random_state=0).fit(X, data.target)
    path = directory / "diagnosis.onnx"
    to_onnx(pipeline, X.head(200), path=path, reference_data=X)
    return path, X


def start_server(path: Path, log: Path, workers: int = 1) -> tuple[subprocess.Popen, str, int]:
    handle = open(log, "wb")  # noqa: SIM115 - lives as long as the server
    command = [sys.executable, "-m", "skmed", "serve", str(path), "--port", "0"]
    process = subprocess.Popen(
        [*command, "--max-rows", "10000", "--workers", str(workers)],
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = _URL.search(log.read_text(errors="replace"))
        if match:
            host, _, port = match.group(1).rpartition(":")
            return process, host, int(port)
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("skmed serve did not start")


ARROW = "application/vnd.apache.arrow.stream"


def request_bytes(host: str, port: int, body: bytes, arrow: bool = False) -> bytes:
    kind = ARROW if arrow else "application/json"
    accept = f"Accept: {ARROW}\r\n" if arrow else ""
    return (
        f"POST /v1/predict HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {kind}\r\n"
        f"{accept}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def arrow_body(frame) -> bytes:
    import pyarrow as pa
    import pyarrow.ipc

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


async def _one_connection(host, port, payload, count, latencies, errors, deadline):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while count[0] > 0 and time.perf_counter() < deadline:
            count[0] -= 1
            start = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200") or not body:
                errors.append(head.split(b"\r\n", 1)[0].decode())
    finally:
        writer.close()


async def _load(host, port, payload, concurrency, n_requests, max_seconds):
    latencies: list[float] = []
    errors: list[str] = []
    count = [n_requests]
    deadline = time.perf_counter() + max_seconds
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _one_connection(host, port, payload, count, latencies, errors, deadline)
            for _ in range(concurrency)
        )
    )
    return latencies, errors, time.perf_counter() - start


def run_load(host, port, payload, concurrency, n_requests, max_seconds):
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_load(host, port, payload, concurrency, n_requests, max_seconds))


def in_process(runtime, X, n_calls: int) -> dict[str, float]:
    for _ in range(min(50, n_calls)):
        runtime.predict_with_proba(X)
    times = []
    for _ in range(n_calls):
        start = time.perf_counter()
        runtime.predict_with_proba(X)
        times.append(time.perf_counter() - start)
    return _summary(times, sum(times), len(X) if not isinstance(X, list) else len(X))


def _summary(latencies, seconds, rows_per_request, errors=0):
    latencies = sorted(latencies)
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "req_per_s": n / seconds,
        "rows_per_s": n * rows_per_request / seconds,
        "p50_ms": 1e3 * statistics.median(latencies),
        "p99_ms": 1e3 * latencies[min(n - 1, int(0.99 * n))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per setting")
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time bound per setting")
    parser.add_argument(
        "--workers", default="1,2", help="server processes to measure, comma-separated"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()

    from skmed.runtime import OnnxClassifier

    directory = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    path, X = build_model(directory)
    runtime = OnnxClassifier(path)
    one = X.head(1).astype(object).where(X.head(1).notna(), None).to_dict(orient="records")
    thousand_frame = X.sample(1000, random_state=0, replace=len(X) < 1000)
    thousand = {c: [None if v != v else v for v in thousand_frame[c].tolist()] for c in X.columns}
    payloads = {
        "1 row": (json.dumps({"records": one}).encode(), False, 1),
        "1000 rows": (json.dumps({"columns": thousand}).encode(), False, 1000),
        "1000 rows, Arrow": (arrow_body(thousand_frame), True, 1000),
    }
    base = {
        1: in_process(runtime, one, min(args.requests, 5000)),
        1000: in_process(runtime, thousand_frame, min(args.requests // 10, 1000)),
    }
    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        log = directory / f"server-{workers}.log"
        process, host, port = start_server(path, log, workers)
        try:
            time.sleep(2.0 if workers > 1 else 0.0)  # the workers load their models
            for label, (body, arrow, rows) in payloads.items():
                payload = request_bytes(host, port, body, arrow)
                run_load(host, port, payload, 8, 200, 20)  # warm-up
                for concurrency in (1, 8, 64):
                    latencies, errors, seconds = run_load(
                        host, port, payload, concurrency, args.requests, args.max_seconds
                    )
                    summary = _summary(latencies, seconds, rows, len(errors))
                    results.append(
                        {
                            "workers": workers,
                            "request": label,
                            "rows": rows,
                            "concurrency": concurrency,
                            **summary,
                        }
                    )
                    print(
                        f"  {workers} worker(s), {label}, concurrency {concurrency:>2}: "
                        f"{summary['req_per_s']:8.0f} req/s, p50 {summary['p50_ms']:.3f} ms",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            process.terminate()
            process.wait(30)

    machine = platform.processor() or platform.machine()
    print(
        f"\nskmed serve vs in-process OnnxClassifier -- {machine}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; model: default "
        "MedicalMLPClassifier pipeline on the diagnosis table (23 columns, 5 classes)\n"
    )
    print(
        "| request | workers | concurrency | requests | errors | req/s | rows/s | p50 ms "
        "| p99 ms | vs in-process |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rows in (1, 1000):
        b = base[rows]
        print(
            f"| {rows} row{'s' if rows > 1 else ''} | - | in-process | {b['requests']} | 0 | "
            f"{b['req_per_s']:,.0f} | {b['rows_per_s']:,.0f} | {b['p50_ms']:.3f} | "
            f"{b['p99_ms']:.3f} | 1 |"
        )
        for r in (r for r in results if r["rows"] == rows):
            if rows == 1:
                versus = f"p50 +{r['p50_ms'] - b['p50_ms']:.3f} ms"
            else:
                versus = f"{r['rows_per_s'] / b['rows_per_s']:.0%} of rows/s"
            print(
                f"| {r['request']} | {r['workers']} | {r['concurrency']} | {r['requests']} | "
                f"{r['errors']} | {r['req_per_s']:,.0f} | {r['rows_per_s']:,.0f} | "
                f"{r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {versus} |"
            )
    errors = sum(r["errors"] for r in results)
    c8 = min(
        (r for r in results if r["rows"] == 1 and r["concurrency"] == 8),
        key=lambda r: r["p50_ms"],
    )
    overhead = c8["p50_ms"] - base[1]["p50_ms"]
    best = max((r for r in results if r["rows"] == 1000), key=lambda r: r["rows_per_s"])
    share = best["rows_per_s"] / base[1000]["rows_per_s"]
    print("\nGoals:")
    print(f"- errors: {errors} (goal 0): {'met' if errors == 0 else 'NOT met'}")
    print(
        f"- 1-row p50 overhead at concurrency 8 ({c8['workers']} worker(s)): {overhead:.3f} ms "
        "(goal <= 1 ms): "
        f"{'met' if overhead <= 1.0 else 'NOT met'}"
    )
    print(
        f"- 1,000-row requests, best setting ({best['request']}, {best['workers']} worker(s), "
        "concurrency "
        f"{best['concurrency']}): {share:.0%} of in-process rows/s (goal >= 50%): "
        f"{'met' if share >= 0.5 else 'NOT met'}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"in_process": base, "served": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
