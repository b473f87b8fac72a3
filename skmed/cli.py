"""The ``skmed`` command line: ``demo``, ``train``, ``predict``, ``inspect`` and ``serve``.

This module only parses arguments, calls library functions and prints. Heavy imports happen
inside the command functions: ``skmed predict``, ``skmed inspect`` and ``skmed serve`` load
onnxruntime, numpy and pandas only (``serve`` also Starlette and uvicorn) -- never scikit-learn,
Keras or a Keras backend.

Errors from the library (bad files, bad columns, bad models) are printed as one line,
``skmed: error: <message>``, with exit status 1; usage errors exit with status 2. ``--debug``
(or ``SKMED_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from skmed._cli_args import CommandError, non_negative_int, positive_int
from skmed._cli_site import add_site_commands

__all__ = ["main"]

PROG = "skmed"


# ---------------------------------------------------------------------- output helpers


class _Stages:
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


def _fmt_ci(values: tuple[float, float, float]) -> str:
    est, lo, hi = values
    if lo != lo or hi != hi:  # NaN: no interval
        return f"{est:.3f}"
    return f"{est:.3f} (95% CI {lo:.3f}-{hi:.3f})"


#: Below this many rows, ``skmed train --validation auto`` validates by 5 x 5-fold CV: a
#: hold-out of a quarter of a few hundred patients wastes data and gives a noisy estimate, and
#: for the network CV came closer to the truth than the optimism bootstrap
#: (benchmarks/bench_validation.py; docs/evaluation.md).
AUTO_CV_ROWS = 1000


def _refit_progress(validation: str) -> Any:
    """A callback printing the refits done, every tenth of the way (a line each, log-friendly)."""

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"      {validation} refits: {done}/{total}", flush=True)

    return report


#: How the model card describes ``--impute``.
_IMPUTE_TEXT = {
    "median": "numeric columns by the training median",
    "iterative": "numeric columns by chained regressions on the others (IterativeImputer)",
    "knn": "numeric columns by the 5 nearest training patients (KNNImputer; the model file "
    "holds the training rows)",
}


#: What skmed demo and skmed train report doing, after reading the data (and a grid search).
_TRAINING_STAGES = (
    "training",
    "evaluation",
    "baseline and sample size",
    "ONNX export",
    "parity check",
    "writing files",
)


def _evidence_lines(report: Any) -> list[str]:
    """The baseline comparison's verdict and the sample-size sentence."""
    lines = []
    if report.comparison is not None:
        lines.append(f"Against logistic regression: {report.comparison['verdict']}")
        lines += [f"  {s}" for s in report.comparison["sentences"]]
    if report.sample_size is not None:
        lines.append(f"Sample size: {report.sample_size['sentence']}")
    return lines


def _summary_lines(result: Any, files: dict[str, str]) -> list[str]:
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
    ]
    if result.best_params:
        params = ", ".join(
            f"{k.split('__', 1)[-1]}={v}" for k, v in sorted(result.best_params.items())
        )
        lines.append(f"Grid search: best {params} (CV balanced accuracy {result.cv_score:.3f})")
    lines += [
        f"Epochs trained: {result.epochs_run} (early stopping, balanced class weights)",
        f"Balanced accuracy (held out): {_fmt_ci(head['balanced_accuracy'])}",
        *([result.report.validation["sentence"]] if result.report.validation is not None else []),
        f"ROC AUC (held out, {'binary' if len(result.classes) == 2 else 'macro one-vs-rest'}): "
        f"{_fmt_ci(head['roc_auc'])}",
        *_evidence_lines(result.report),
        f"ONNX parity: max abs probability difference {result.parity_max_abs_diff:.2e}, "
        f"labels agree on {result.parity_label_agreement:.1%} of held-out rows",
    ]
    names = {"model": "ONNX model", "report": "HTML report", "report_json": "JSON report"}
    width = max(len(names[k]) for k in files)
    lines.append("Files:")
    lines += [f"  {names[k].ljust(width)}  {os.path.abspath(v)}" for k, v in files.items()]
    return lines


# ---------------------------------------------------------------------- commands


def _write_results(result: Any, files: dict[str, str]) -> None:
    """Write the model and reports together: all of them, or none."""
    from skmed._io import AtomicFiles

    with AtomicFiles() as staged:
        staged.add(files["model"], result.onnx_bytes)
        if "report" in files:
            staged.add(files["report"], result.report.to_html())
        if "report_json" in files:
            staged.add(files["report_json"], result.report.to_json())
        staged.commit()


def cmd_demo(args: argparse.Namespace) -> int:
    from skmed._io import check_output_path
    from skmed.datasets import load_diagnosis
    from skmed.pipeline import ColumnTypes

    out_dir = args.out_dir
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            f"cannot create the output directory {out_dir!r}: {exc.strerror}."
        ) from None
    files = {
        "model": os.path.join(out_dir, "model.onnx"),
        "report": os.path.join(out_dir, "report.html"),
        "report_json": os.path.join(out_dir, "report.json"),
    }
    for path in files.values():
        check_output_path(path)
    start = time.perf_counter()
    stages = _Stages(["data", *_TRAINING_STAGES], enabled=not args.quiet)
    stages("data")
    bunch = load_diagnosis(
        n_samples=args.n_samples, random_state=args.seed, include_symptom_text=True
    )
    types = ColumnTypes(
        numeric=[*bunch.numeric_features, *bunch.binary_features],
        categorical=list(bunch.categorical_features),
        text=list(bunch.text_features),
    )
    from skmed._workflow import train_evaluate_export

    result = train_evaluate_export(
        bunch.data,
        bunch.target,
        types,
        target="diagnosis",
        random_state=args.seed,
        epochs=args.epochs,
        n_bootstraps=args.bootstraps,
        groups=["sex"],
        explain_patients=args.explain_patients,
        title="skmed demo: assisted diagnosis (synthetic data)",
        model_card={
            "model_name": "skmed demo diagnosis MLP",
            "intended_use": "Demonstration of the skmed workflow only. Synthetic data: "
            "NOT for clinical use.",
            "outcome": "Diagnosis among five classes (healthy, viral infection, bacterial "
            "pneumonia, heart failure, anaemia).",
            "data": f"skmed.datasets.load_diagnosis(n_samples={args.n_samples}, "
            f"random_state={args.seed}); stratified 75/25 split.",
            "development": "Median / mode imputation with missing-value indicators, scaling, "
            "one-hot encoding; "
            "MedicalMLPClassifier with balanced class weights and early stopping.",
        },
        progress=stages,
    )
    stages("writing files")
    _write_results(result, files)
    stages.done()
    print()
    print(f"skmed demo finished in {time.perf_counter() - start:.1f} s")
    for line in _summary_lines(result, files):
        print(line)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from skmed._io import check_output_path, describe_names, read_csv

    files = {"model": check_output_path(args.out, "model")}
    if args.report:
        files["report"] = check_output_path(args.report, "report")
    if args.report_json:
        files["report_json"] = check_output_path(args.report_json, "report")
    if len(set(files.values())) != len(files):
        raise CommandError("the model and report paths must differ.")
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be between 0 and 1; got {args.test_size}.")

    frame = read_csv(args.data)
    drop = [c.strip() for c in (args.drop or "").split(",") if c.strip()]
    from skmed._workflow import check_target
    from skmed.pipeline import infer_column_types

    if args.target in drop:
        raise CommandError(f"--drop names the target column {args.target!r}.")
    missing = [c for c in drop if c not in frame.columns]
    if missing:
        raise CommandError(
            f"--drop names column(s) {missing} not in {args.data!r}; its columns are "
            f"{describe_names(frame.columns)}."
        )
    X, y, n_dropped = check_target(frame.drop(columns=drop), args.target, source=repr(args.data))
    validation = args.validation
    if validation == "auto":
        validation = "cv" if len(y) < AUTO_CV_ROWS else "holdout"
    from skmed.privacy import check_no_identifiers

    keep = [c.strip() for c in (args.keep or "").split(",") if c.strip()]
    scan = check_no_identifiers(X, keep=keep)  # ValueError -> one-line "skmed: error: ..."
    types = infer_column_types(X)
    groups = args.group or []
    unknown = [g for g in groups if g not in types.features]
    if unknown:
        raise CommandError(f"--group column(s) {unknown} are not feature columns.")

    stages = _Stages(
        [*(["grid search"] if args.grid else []), *_TRAINING_STAGES], enabled=not args.quiet
    )
    if not args.quiet:
        print(
            f"Read {len(frame)} rows from {args.data}: target {args.target!r} with "
            f"{y.nunique()} classes; {len(types.numeric)} numeric, {len(types.categorical)} "
            f"categorical and {len(types.text)} symptom-list feature columns."
        )
        if n_dropped:
            print(f"Left out {n_dropped} rows with no {args.target!r} value.")
        if types.empty:
            print(f"Left out columns without any value: {types.empty}.")
        if scan.flagged_columns:
            print(f"Training on flagged identifier columns kept by --keep: {scan.flagged_columns}.")
    from skmed._workflow import train_evaluate_export

    start = time.perf_counter()
    result = train_evaluate_export(
        X,
        y,
        types,
        target=args.target,
        test_size=args.test_size,
        random_state=args.seed,
        epochs=args.epochs,
        grid=args.grid,
        verbose=0 if args.quiet else 1,
        n_bootstraps=args.bootstraps,
        groups=groups,
        title=f"Clinical evaluation report: {args.target}",
        model_card={
            "outcome": f"{args.target} ({', '.join(map(str, sorted(y.unique(), key=str)))})",
            "data": f"{args.data}: {len(y)} rows; "
            + (
                f"stratified hold-out of {args.test_size:.0%} for evaluation."
                if validation == "holdout"
                else f"all rows for the final model; internal validation by {validation}."
            ),
            "predictors": f"numeric: {', '.join(types.numeric) or 'none'}; categorical: "
            f"{', '.join(types.categorical) or 'none'}; symptom lists: "
            f"{', '.join(types.text) or 'none'}. Missing values: {_IMPUTE_TEXT[args.impute]}, "
            "with a missing-value indicator for each numeric column that has gaps; categories "
            "by the most frequent.",
            "development": "MedicalMLPClassifier with balanced class weights and early stopping"
            + ("; hyperparameters by 3-fold grid search" if args.grid else "")
            + ".",
        },
        progress=stages,
        validation=validation,
        refits=args.refits,
        n_jobs=args.n_jobs,
        explain_patients=args.explain_patients,
        refit_progress=None if args.quiet else _refit_progress(validation),
        impute=args.impute,
        allow_patient_rows=args.allow_patient_rows,
    )
    stages("writing files")
    _write_results(result, files)
    stages.done()
    if not args.quiet:
        print()
        print(f"skmed train finished in {time.perf_counter() - start:.1f} s")
        for line in _summary_lines(result, files):
            print(line)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from skmed._io import atomic_write, check_output_path, iter_prediction_chunks
    from skmed.runtime import OnnxClassifier

    if args.chunk_size < 1:
        raise CommandError(f"--chunk-size must be positive; got {args.chunk_size}.")
    if args.out is not None:
        check_output_path(args.out, "predictions")
    if not os.path.exists(args.data):
        raise FileNotFoundError(f"no such file: {args.data!r}.")
    model = OnnxClassifier(args.model)
    schema = model.input_schema
    if schema.layout != "columns":
        raise CommandError(
            f"{args.model!r} takes one numeric matrix without column names; skmed predict needs "
            "a model exported from a pandas DataFrame (named columns)."
        )
    inputs = [(spec.name, spec.kind) for spec in schema.inputs]
    label_column = args.label_column
    proba_columns = [f"{args.proba_prefix}{c}" for c in model.classes_.tolist()]
    n_rows = 0

    def write(handle: Any) -> None:
        nonlocal n_rows
        if args.dask is not None:  # partitions scored on a Dask cluster (skmed.distributed)
            from skmed.distributed import write_predictions_csv

            n_rows = write_predictions_csv(
                args.model,
                args.data,
                handle,
                address=args.dask,
                label_column=label_column,
                proba_prefix=args.proba_prefix,
            )
            return
        first = True
        for frame, columns in iter_prediction_chunks(args.data, inputs, chunk_size=args.chunk_size):
            if first:
                clash = [c for c in [label_column, *proba_columns] if c in frame.columns]
                if clash:
                    raise CommandError(
                        f"{args.data!r} already has column(s) {clash}; rename them or choose "
                        "other names with --label-column / --proba-prefix."
                    )
            labels, proba = model.predict_with_proba(columns)
            out = frame.assign(**{label_column: labels})
            out = out.assign(**dict(zip(proba_columns, np.round(proba, 6).T)))
            out.to_csv(handle, header=first, index=False, lineterminator="\n")
            n_rows += len(frame)
            first = False

    if args.out is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        with atomic_write(args.out) as handle:
            write(handle)
        print(f"Wrote {n_rows} predictions to {args.out}", file=sys.stderr)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from skmed.runtime import OnnxClassifier

    model = OnnxClassifier(args.model)
    meta = dict(model.metadata)
    schema = model.input_schema
    classes = model.classes_.tolist()
    threshold = model.threshold
    if args.json:
        info = {
            "path": args.model,
            "inputs": [
                {"name": s.name, "type": s.kind, **({"width": s.width} if s.width != 1 else {})}
                for s in schema.inputs
            ],
            "classes": classes,
            "threshold": threshold,
            "metadata": meta,
        }
        print(json.dumps(info, indent=2, default=str))
        return 0
    size = os.path.getsize(args.model)
    print(f"Model: {args.model} ({size / 1024:.1f} KiB, {meta.get('skmed_format')})")
    print(f"Estimator: {meta.get('estimator', 'unknown')}")
    print(f"Inputs ({len(schema.inputs)}):")
    width = max(len(s.name) for s in schema.inputs)
    for s in schema.inputs:
        shape = f" x {s.width}" if s.width != 1 else ""
        print(f"  {s.name.ljust(width)}  {s.kind}{shape}")
    print(f"Classes ({len(classes)}): {', '.join(map(str, classes))}")
    if threshold is None:
        rule = "binary: probability >= 0.5" if len(classes) == 2 else "most probable class"
        print(f"Threshold: none ({rule})")
    else:
        print(f"Threshold: {threshold['value']:.6g} on class {threshold['pos_label']!r}")
    print("Metadata:")
    shown = {k: v for k, v in meta.items() if k not in ("inputs", "outputs", "classes")}
    key_width = max((len(k) for k in shown), default=0)
    for key in sorted(shown):
        value = shown[key].replace("\n", " ")
        if len(value) > 200 and not args.full:
            value = value[:197] + "..."
        print(f"  {key.ljust(key_width)}  {value}")
    return 0


# ---------------------------------------------------------------------- parser


_EPILOG = """\
quick start:
  skmed demo                                   train, evaluate and export on built-in data
  skmed train DATA.csv --target COLUMN         train on your CSV; writes model.onnx, report.html
  skmed predict model.onnx DATA.csv            predictions (onnxruntime only, streamed)
  skmed inspect model.onnx                     inputs, classes, threshold, metadata

Run `skmed COMMAND --help` for the options of a command. Exit status: 0 on success, 1 on an
error (one line on stderr; --debug or SKMED_DEBUG=1 shows the traceback), 2 on a usage error.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skmed`` command."""
    from skmed import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback on errors (also SKMED_DEBUG=1)",
    )
    # options shared by the commands that train (demo, train)
    training = argparse.ArgumentParser(add_help=False)
    training.add_argument(
        "--epochs",
        type=positive_int,
        default=200,
        metavar="N",
        help="maximum training epochs; early stopping usually ends sooner (default: 200)",
    )
    training.add_argument(
        "--bootstraps",
        type=non_negative_int,
        default=1000,
        metavar="N",
        help="bootstrap replicates for confidence intervals (default: 1000)",
    )
    training.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    training.add_argument(
        "--explain-patients",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="explain N example held-out patients in the report (their feature values are "
        "then shown; default: 0 for train, 2 for demo)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="skmed: train, evaluate, export and run clinical MLP classifiers.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"skmed {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    raw = argparse.RawDescriptionHelpFormatter

    # demo
    demo = sub.add_parser(
        "demo",
        parents=[common, training],
        formatter_class=raw,
        help="the main job, end to end, on the built-in diagnosis data",
        description=(
            "Generate the synthetic diagnosis data (skmed.datasets.load_diagnosis), build the\n"
            "preprocessing pipeline, train MedicalMLPClassifier with balanced class weights and\n"
            "early stopping, evaluate on a held-out 25% with bootstrap confidence intervals,\n"
            "export to ONNX, check the ONNX model against the Python model with skmed.runtime,\n"
            "and write model.onnx, report.html and report.json into --out-dir."
        ),
        epilog="example:\n  skmed demo --out-dir /tmp/skmed-demo",
    )
    demo.add_argument(
        "--out-dir",
        default="skmed-demo",
        metavar="DIR",
        help="directory for model.onnx, report.html and report.json (default: ./skmed-demo; "
        "created if missing)",
    )
    demo.add_argument(
        "--n-samples",
        type=positive_int,
        default=2000,
        metavar="N",
        help="number of synthetic patients (default: 2000)",
    )
    demo.add_argument("--quiet", "-q", action="store_true", help="print only the summary")
    demo.set_defaults(func=cmd_demo, explain_patients=2)

    # train
    train = sub.add_parser(
        "train",
        parents=[common, training],
        formatter_class=raw,
        help="train on a CSV file; write an ONNX model and an evaluation report",
        description=(
            "Train a MedicalMLPClassifier on a CSV file with a header row.\n\n"
            "Numeric and boolean columns are median-imputed and standardized; text columns\n"
            "holding lists ('fever; dry cough') are multi-hot encoded by SymptomEncoder; all\n"
            "other columns are categorical (most-frequent imputation, one-hot encoding).\n"
            "Rows with no target value are left out. A stratified --test-size share is held\n"
            "out; the rest trains the network (balanced class weights, early stopping; with\n"
            "--grid, a small 3-fold grid search over layer sizes, L2 penalty and dropout\n"
            "first). The held-out evaluation, with bootstrap confidence intervals, goes into\n"
            "the report; the model, with its preprocessing, into one ONNX file, checked\n"
            "against the Python model before it is written."
        ),
        epilog=(
            "examples:\n"
            "  skmed train patients.csv --target diagnosis\n"
            "  skmed train patients.csv --target outcome --drop patient_id,admission_date \\\n"
            "      --out models/outcome.onnx --report models/outcome.html --grid"
        ),
    )
    train.add_argument("data", metavar="DATA.csv", help="training data, CSV with a header row")
    train.add_argument("--target", required=True, metavar="COLUMN", help="the label column")
    train.add_argument(
        "--drop",
        metavar="COLUMNS",
        help="comma-separated columns to leave out (identifiers, dates, leakage)",
    )
    train.add_argument(
        "--keep",
        metavar="COLUMNS",
        help="comma-separated columns to train on although the identifier scan flags them "
        "(flagged columns must be named in --drop or --keep)",
    )
    train.add_argument(
        "--out",
        default="model.onnx",
        metavar="PATH",
        help="where to write the ONNX model (default: model.onnx)",
    )
    train.add_argument(
        "--report",
        default="report.html",
        metavar="PATH",
        help="where to write the HTML report (default: report.html)",
    )
    train.add_argument(
        "--report-json", metavar="PATH", help="also write the report as JSON to PATH"
    )
    train.add_argument(
        "--grid",
        action="store_true",
        help="grid-search hidden_layer_sizes, alpha and dropout (8 candidates, 3-fold CV, "
        "balanced accuracy) before the final fit",
    )
    train.add_argument(
        "--group",
        action="append",
        metavar="COLUMN",
        help="report subgroup performance by this column (repeatable)",
    )
    train.add_argument(
        "--test-size",
        type=float,
        default=0.25,
        metavar="FRACTION",
        help="share of rows held out for evaluation (default: 0.25)",
    )
    train.add_argument(
        "--validation",
        choices=["auto", "holdout", "bootstrap", "cv"],
        default="auto",
        help="holdout: fit on a stratified split, report on the rest; bootstrap: fit on all "
        "rows, optimism-corrected bootstrap of the whole pipeline; cv: fit on all rows, "
        f"5 x 5-fold cross-validation; auto: cv below {AUTO_CV_ROWS} rows, "
        "else holdout (default: auto)",
    )
    train.add_argument(
        "--impute",
        choices=["median", "iterative", "knn"],
        default="median",
        help="imputation of numeric columns, each with a missing-value indicator where it has "
        "gaps: median, iterative (chained BayesianRidge regressions) or knn (5 nearest "
        "patients; needs --allow-patient-rows) (default: median)",
    )
    train.add_argument(
        "--allow-patient-rows",
        action="store_true",
        help="let the model file hold training rows (needed by --impute knn, whose graph "
        "imputes from them)",
    )
    train.add_argument(
        "--refits",
        type=positive_int,
        default=100,
        metavar="N",
        help="bootstrap refits of the whole pipeline for --validation bootstrap (default: 100)",
    )
    train.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel refits and grid-search fits (joblib; -1: every core)",
    )
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    train.set_defaults(func=cmd_train)

    # predict
    predict = sub.add_parser(
        "predict",
        parents=[common],
        formatter_class=raw,
        help="predict a CSV file with an ONNX model (no scikit-learn or Keras needed)",
        description=(
            "Predict every row of a CSV file with a model written by skmed train or\n"
            "skmed.to_onnx.\n\n"
            "Uses only onnxruntime, numpy and pandas. The file is read in chunks, so memory\n"
            "stays bounded whatever its size. Columns are converted to the model's input types;\n"
            "a value that does not fit (e.g. text in a numeric column) stops with an error\n"
            "naming the column, the line and the value. The output is the input rows, with\n"
            "their columns unchanged, plus the predicted label and one probability column per\n"
            "class. With --out, the file appears only when complete."
        ),
        epilog=(
            "examples:\n"
            "  skmed predict model.onnx new_patients.csv --out predictions.csv\n"
            "  skmed predict model.onnx new_patients.csv | head"
        ),
    )
    predict.add_argument("model", metavar="model.onnx", help="model written by skmed")
    predict.add_argument("data", metavar="DATA.csv", help="rows to predict, CSV with a header")
    predict.add_argument(
        "--out", metavar="PATH", help="write the predictions to PATH (default: standard output)"
    )
    predict.add_argument(
        "--chunk-size",
        type=positive_int,
        default=20_000,
        metavar="ROWS",
        help="rows read and predicted at a time; bounds memory (default: 20000)",
    )
    predict.add_argument(
        "--label-column",
        default="predicted_label",
        metavar="NAME",
        help="name of the predicted label column (default: predicted_label)",
    )
    predict.add_argument(
        "--proba-prefix",
        default="proba_",
        metavar="PREFIX",
        help="prefix of the probability columns, one per class (default: proba_)",
    )
    predict.add_argument(
        "--dask",
        nargs="?",
        const="local",
        metavar="SCHEDULER",
        help="score the partitions on a Dask cluster: a scheduler address (tcp://HOST:8786; "
        "workers must see DATA.csv) or 'local[:N]' for N local worker processes (default: "
        "local, one per core); same output. Needs pip install 'skmed[dask]'",
    )
    predict.set_defaults(func=cmd_predict)

    # inspect
    inspect = sub.add_parser(
        "inspect",
        parents=[common],
        formatter_class=raw,
        help="show a model's inputs, classes, threshold and metadata",
        description=(
            "Describe an ONNX model written by skmed: its input columns with their types, the\n"
            "classes, the decision threshold (if any) and the stored metadata."
        ),
        epilog="example:\n  skmed inspect model.onnx --json",
    )
    inspect.add_argument("model", metavar="model.onnx", help="model written by skmed")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.add_argument("--full", action="store_true", help="do not shorten long metadata values")
    inspect.set_defaults(func=cmd_inspect)
    _add_serve(sub, common, raw)
    add_site_commands(sub, common, raw)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from skmed.serve import serve
    except ImportError as exc:
        raise CommandError(
            f"skmed serve needs Starlette and uvicorn ({exc.name} is not installed): "
            "pip install 'skmed[serve]'."
        ) from None
    serve(
        args.models,
        host=args.host,
        port=args.port,
        token_file=args.token_file,
        insecure=args.insecure,
        max_body_bytes=args.max_body_bytes,
        max_rows=args.max_rows,
        max_concurrency=args.max_concurrency,
        form=not args.no_form,
        workers=args.workers,
    )
    return 0


def _add_serve(sub: Any, common: argparse.ArgumentParser, raw: Any) -> None:
    serve = sub.add_parser(
        "serve",
        parents=[common],
        formatter_class=raw,
        help="serve ONNX models over HTTP: JSON/CSV API, OpenAPI document, web form",
        description=(
            "Serve models written by skmed train or skmed.to_onnx over HTTP until Ctrl-C or\n"
            "SIGTERM (in-flight requests finish first). Endpoints: POST /v1/predict, GET\n"
            "/v1/model, GET /healthz, GET /readyz, GET /openapi.json, and the web form at /.\n"
            "Several models are served under /v1/models/NAME/... (NAME: the file's stem, or\n"
            "NAME=PATH).\n\n"
            "Binds 127.0.0.1 unless --host says otherwise. A bearer token (--token-file, or\n"
            "$SKMED_SERVE_TOKEN) protects /v1/ and /openapi.json; another address than loopback\n"
            "is refused without one unless --insecure. Request rows and values are never\n"
            "logged. Needs pip install 'skmed[serve]'."
        ),
        epilog=(
            "examples:\n"
            "  skmed serve model.onnx\n"
            "  skmed serve triage=a.onnx sepsis=b.onnx --port 9000\n"
            "  skmed serve model.onnx --host 0.0.0.0 --token-file /run/secrets/skmed-token"
        ),
    )
    serve.add_argument("models", nargs="+", metavar="[NAME=]model.onnx", help="models to serve")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=non_negative_int,
        default=8000,
        help="port; 0 picks a free one (default: 8000)",
    )
    serve.add_argument(
        "--token-file", metavar="PATH", help="file whose first line is the bearer token"
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without a token (e.g. behind an authenticating proxy)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=positive_int,
        default=10_000_000,
        metavar="BYTES",
        help="largest request body (default: 10000000)",
    )
    serve.add_argument(
        "--max-rows",
        type=positive_int,
        default=10_000,
        metavar="ROWS",
        help="most rows per request (default: 10000)",
    )
    serve.add_argument(
        "--max-concurrency",
        type=positive_int,
        default=256,
        metavar="N",
        help="connections served at once; more get 503 (default: 256)",
    )
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="server processes sharing the port, each with its own copy of the models (default: 1)",
    )
    serve.add_argument("--no-form", action="store_true", help="do not serve the web form at /")
    serve.set_defaults(func=cmd_serve)


def _debug_requested(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    if os.environ.get("SKMED_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    if args is not None:
        return bool(getattr(args, "debug", False))
    return "--debug" in argv


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = f"missing key {text}"
    if isinstance(exc, OSError) and exc.strerror:
        name = f" {exc.filename!r}" if exc.filename else ""
        text = f"{exc.strerror}{name}"
    text = " ".join(text.split()) or type(exc).__name__
    if isinstance(exc, (CommandError, ValueError, FileNotFoundError, OSError)):
        return text
    return f"{type(exc).__name__}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skmed`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        return int(args.func(args))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        if _debug_requested(args, argv):
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `skmed predict ... | head`
        with contextlib.suppress(OSError, ValueError):  # silence the flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - every error is reported the same way
        if _debug_requested(args, argv):
            raise
        message = _one_line(exc)
        hint = (
            ""
            if isinstance(exc, (CommandError, ValueError, OSError))
            else (" (run with --debug for the traceback)")
        )
        print(f"{PROG}: error: {message}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
