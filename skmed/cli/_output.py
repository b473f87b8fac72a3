"""What skmed demo and skmed train print: stages, progress, the summary; writing the files."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any


class Stages:
    """Prints ``[i/n] stage ...`` lines with the time each stage took."""

    def __init__(self, names: Sequence[str], enabled: bool = True) -> None:
        self.names = list(names)
        self.enabled = enabled
        self._current: str | None = None
        self._start = 0.0

    def __call__(self, name: str) -> None:
        self.done()
        if name not in self.names:
            self.names.append(name)
        self._current = name
        self._start = time.perf_counter()
        if self.enabled:
            i = self.names.index(name) + 1
            print(f"[{i}/{len(self.names)}] {name} ...", flush=True)

    def done(self) -> None:
        if self._current is not None and self.enabled:
            print(f"      {self._current}: {time.perf_counter() - self._start:.1f} s", flush=True)
        self._current = None


def left_out_lines(n_dropped: int, outcome: str, types: Any, scan: Any) -> list[str]:
    """What ``skmed train`` says it left out of the table read, and the identifiers it kept."""
    lines = []
    if n_dropped:
        lines.append(f"Left out {n_dropped} rows with no {outcome} value.")
    if types.empty:
        lines.append(f"Left out columns without any value: {types.empty}.")
    if scan.flagged_columns:
        lines.append(
            f"Training on flagged identifier columns kept by --keep: {scan.flagged_columns}."
        )
    return lines


def predictors_text(types: Any, impute: str) -> str:
    """The model card's predictors: the feature columns by type and how gaps are filled."""
    return (
        f"numeric: {', '.join(types.numeric) or 'none'}; categorical: "
        f"{', '.join(types.categorical) or 'none'}; symptom lists: "
        f"{', '.join(types.text) or 'none'}. Missing values: {IMPUTE_TEXT[impute]}"
    )


def fmt_ci(values: tuple[float, float, float]) -> str:
    est, lo, hi = values
    if lo != lo or hi != hi:  # NaN: no interval
        return f"{est:.3f}"
    return f"{est:.3f} (95% CI {lo:.3f}-{hi:.3f})"


#: Below this many rows, ``skmed train --validation auto`` validates by 5 x 5-fold CV: a
#: hold-out of a quarter of a few hundred patients wastes data and gives a noisy estimate, and
#: for the network CV came closer to the truth than the optimism bootstrap
#: (benchmarks/bench_validation.py; docs/evaluation.md).
AUTO_CV_ROWS = 1000


def refit_progress(validation: str) -> Any:
    """A callback printing the refits done, every tenth of the way (a line each, log-friendly)."""

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"      {validation} refits: {done}/{total}", flush=True)

    return report


#: How the model card describes ``--impute``.
IMPUTE_TEXT = {
    "median": "numeric columns by the training median",
    "iterative": "numeric columns by chained regressions on the others (IterativeImputer)",
    "knn": "numeric columns by the 5 nearest training patients (KNNImputer; the model file "
    "holds the training rows)",
}


#: What skmed demo and skmed train report doing, after reading the data (and a grid search).
TRAINING_STAGES = (
    "training",
    "evaluation",
    "baseline and sample size",
    "ONNX export",
    "parity check",
    "writing files",
)


def evidence_lines(report: Any) -> list[str]:
    """The baseline comparison's verdict and the sample-size sentence."""
    lines = []
    if report.comparison is not None:
        lines.append(f"Against logistic regression: {report.comparison['verdict']}")
        lines += [f"  {s}" for s in report.comparison["sentences"]]
    if report.sample_size is not None:
        lines.append(f"Sample size: {report.sample_size['sentence']}")
    return lines


def summary_lines(result: Any, files: dict[str, str]) -> list[str]:
    head = result.headline()
    ct = result.column_types
    classes = ", ".join(str(c) for c in result.classes)
    rows = (
        f"Rows: {result.n_rows} ({result.n_train} training, {result.n_test} held out)"
        if result.validation == "holdout"
        else f"Rows: {result.n_rows} (all for the final model; {result.validation} validation, "
        f"{result.n_test} rows with held-out predictions)"
    )
    lines = [
        rows,
        f"Features: {len(ct.numeric)} numeric, {len(ct.categorical)} categorical, "
        f"{len(ct.text)} symptom-list"
        + (f" (left out, no values: {', '.join(ct.empty)})" if ct.empty else ""),
        f"Classes ({len(result.classes)}): {classes}",
        # the rule the file applies; the balanced accuracy below is computed at it
        f"Decision: {result.report.operating_point['description']}",
    ]
    if result.best_params:
        params = ", ".join(
            f"{k.split('__', 1)[-1]}={v}" for k, v in sorted(result.best_params.items())
        )
        lines.append(f"Grid search: best {params} (CV balanced accuracy {result.cv_score:.3f})")
    lines += [
        f"Epochs trained: {result.epochs_run} (early stopping, balanced class weights)",
        f"Balanced accuracy (held out): {fmt_ci(head['balanced_accuracy'])}",
        *([result.report.validation["sentence"]] if result.report.validation is not None else []),
        f"ROC AUC (held out, {'binary' if len(result.classes) == 2 else 'macro one-vs-rest'}): "
        f"{fmt_ci(head['roc_auc'])}",
        *evidence_lines(result.report),
        f"ONNX parity: max abs probability difference {result.parity_max_abs_diff:.2e}, "
        f"labels agree on {result.parity_label_agreement:.1%} of held-out rows",
    ]
    return lines + file_lines(files)


def file_lines(files: dict[str, str]) -> list[str]:
    """The files ``skmed train`` wrote, one line each."""
    names = {"model": "ONNX model", "report": "HTML report", "report_json": "JSON report"}
    width = max(len(names[k]) for k in files)
    return [
        "Files:",
        *(f"  {names[k].ljust(width)}  {os.path.abspath(v)}" for k, v in files.items()),
    ]


# ---------------------------------------------------------------------- commands


def write_results(result: Any, files: dict[str, str]) -> None:
    """Write the model and reports together: all of them, or none."""
    from skmed._io import AtomicFiles

    with AtomicFiles() as staged:
        staged.add(files["model"], result.onnx_bytes)
        if "report" in files:
            staged.add(files["report"], result.report.to_html())
        if "report_json" in files:
            staged.add(files["report_json"], result.report.to_json())
        staged.commit()


def finish(
    command: str,
    result: Any,
    files: dict[str, str],
    progress: Any,
    started: float,
    *,
    lines: Callable[[Any, dict[str, str]], list[str]] = summary_lines,
    quiet: bool = False,
) -> int:
    """Write ``result``'s files, then (unless ``quiet``) say how long ``skmed command`` took and
    what it found and wrote; the exit status."""
    progress("writing files")
    write_results(result, files)
    progress.done()
    if not quiet:
        print()
        print(f"skmed {command} finished in {time.perf_counter() - started:.1f} s")
        for line in lines(result, files):
            print(line)
    return 0
