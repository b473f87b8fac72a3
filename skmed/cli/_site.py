"""The ``skmed`` commands that work on an exported file at a new site: evaluate, drift, recalibrate.

Each handler checks its arguments, calls the library and prints; files appear only when complete.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Any

from skmed.cli._args import (
    CommandError,
    Commands,
    add_count,
    add_options,
    horizons,
    require_option_columns,
)


def add_site_commands(command: Commands) -> None:
    """Add ``evaluate``, ``drift`` and ``recalibrate`` to the ``skmed`` commands."""
    evaluate = command(
        "evaluate",
        cmd_evaluate,
        "evaluate ONNX models on labelled local data (external validation)",
        "Score a CSV file with a model written by skmed train or skmed.to_onnx (onnxruntime,\n"
        "no Keras, no fitted pipeline) and report as skmed train does: metrics with\n"
        "bootstrap confidence intervals, calibration, decision curve, subgroups, at the\n"
        "model's own operating threshold, with the model card from the file and the data's\n"
        "drift (and outcome rate) against the training summary the file stores. Several\n"
        "models are compared on the same rows: the first is reported in full, and each\n"
        "other one's paired bootstrap difference from it in AUC, Brier score and net\n"
        "benefit is given with its interval. A survival model (skmed train --time/--event)\n"
        "is evaluated with --time and --event instead of --target: Harrell's and Uno's C,\n"
        "integrated Brier score, time-dependent AUC and calibration at --horizons, with\n"
        "intervals, and drift. Files appear only when complete.",
        "examples:\n  skmed evaluate model.onnx site_b.csv --target diagnosis --group sex "
        "--report site_b.html\n  skmed evaluate model.onnx model-site_b.onnx site_b.csv "
        "--target diagnosis\n  skmed evaluate survival.onnx site_b.csv --time days --event died "
        "--horizons 365,1095",
    )
    evaluate.add_argument(
        "models", metavar="model.onnx", nargs="+", help="model(s) written by skmed"
    )
    add_options(
        evaluate,
        "data",
        "target",
        "group",
        "report",
        "report_json",
        target={"required": False, "help": "the label column (a classifier)"},
    )
    evaluate.add_argument(
        "--time",
        metavar="COLUMN",
        help="the follow-up time column (a survival model, with --event)",
    )
    evaluate.add_argument(
        "--event",
        metavar="COLUMN",
        help="with --time: the column saying whether the event happened (1, true, yes) or the "
        "patient was censored (0, false, no)",
    )
    evaluate.add_argument(
        "--horizons",
        type=horizons,
        metavar="TIMES",
        help="with --time/--event: comma-separated times of the time-dependent AUC and the "
        "calibration, in the unit of the training times (default: the quartiles of these "
        "rows' event times)",
    )
    add_count(evaluate, "--bootstraps", 1000, "")
    add_count(evaluate, "--seed", 0, "", minimum=0, metavar=None)

    drift = command(
        "drift",
        cmd_drift,
        "compare new data with the training summary in an ONNX model (no labels needed)",
        "Compare the columns of a CSV file with the aggregate training summary stored in a\n"
        "model written by skmed train or skmed.to_onnx: missingness change, standardized\n"
        "mean difference and median shift of numeric columns, new, vanished and re-weighted\n"
        "categories. Flags follow the thresholds of skmed.drift. Uses onnxruntime, numpy and\n"
        "pandas only.",
        "example:\n  skmed drift model.onnx this_month.csv --json drift.json",
    )
    add_options(
        drift,
        "model",
        "data",
        data={"help": "new rows, CSV with a header"},
    )
    drift.add_argument("--json", metavar="PATH", help="also write the comparison as JSON")
    add_options(
        drift,
        "target",
        target={
            "required": False,
            "help": "the label column, if known: its rate is compared with the training prevalence",
        },
    )

    recal = command(
        "recalibrate",
        cmd_recalibrate,
        "recalibrate an ONNX model on labelled local data, into a new file",
        "Fit recalibration in the large (--method intercept) or logistic recalibration\n"
        "(--method logistic: intercept and slope; multinomial for several classes) on a\n"
        "site's labelled rows and write a NEW ONNX file with the update inside the graph,\n"
        "its parity checked and its provenance (parent hash, method, coefficients, rows,\n"
        "events, date) in the metadata. The original file is never modified.",
        "example:\n  skmed recalibrate model.onnx site_b.csv --target diagnosis "
        "--method logistic --out model-site_b.onnx",
    )
    add_options(recal, "model", "data", "target")
    recal.add_argument(
        "--method",
        choices=["intercept", "logistic"],
        default="logistic",
        help="(default: logistic)",
    )
    recal.add_argument("--out", required=True, metavar="PATH", help="the new ONNX file")
    add_options(
        recal,
        "report",
        "report_json",
        report={
            "help": "write the HTML report of the new model on these rows, with calibration "
            "before and after"
        },
    )


def _labelled(args: argparse.Namespace) -> tuple[Any, Any]:
    """The rows of ``args.data`` and their ``--target`` labels (none may be missing)."""
    import numpy as np

    from skmed._io import read_csv

    frame = read_csv(args.data)
    require_option_columns("--target", [args.target], frame.columns, repr(args.data))
    y = frame.pop(args.target)
    if y.isna().any():
        row = int(np.flatnonzero(y.isna().to_numpy())[0])
        raise CommandError(f"--target {args.target!r} is missing on line {row + 2}.")
    return frame, y


def _outcome(args: argparse.Namespace) -> tuple[Any, Any]:
    """The rows of ``args.data`` and their outcome: ``--target`` labels, or the (event, time)
    of ``--time`` and ``--event`` (rows missing either are left out, with a note)."""
    if args.time is None and args.event is None:
        if args.target is None:
            raise CommandError(
                "give --target (a classifier's label column) or --time and --event (a survival "
                "model's follow-up and event columns)."
            )
        if args.horizons is not None:
            raise CommandError("--horizons goes with --time and --event (a survival model).")
        return _labelled(args)
    if args.time is None or args.event is None:
        raise CommandError("--time and --event go together: give both (a survival model).")
    if args.target is not None or args.group:
        option = "--target" if args.target is not None else "--group"
        raise CommandError(f"{option} is for classifiers; leave it out with --time/--event.")
    from skmed._io import read_csv
    from skmed.cli._survival import check_outcome
    from skmed.datasets import survival_target

    frame = read_csv(args.data)
    X, event, times, n_dropped = check_outcome(frame, args.time, args.event, repr(args.data))
    if n_dropped:
        print(f"Left out {n_dropped} row(s) without {args.time!r} or {args.event!r}.")
    return X, survival_target(event, times)


def cmd_recalibrate(args: argparse.Namespace) -> int:
    from skmed._io import check_output_path
    from skmed.recalibration import PredictionShareWarning, recalibrate

    check_output_path(args.out, "model")
    reports = {"report": args.report, "report_json": args.report_json}
    for path in (p for p in reports.values() if p is not None):
        check_output_path(path, "report")
    if os.path.exists(args.out) and os.path.samefile(args.out, args.model):
        raise CommandError("--out is the model file itself; the original is never overwritten.")
    frame, y = _labelled(args)
    with warnings.catch_warnings():  # printed below with the rule, once
        warnings.simplefilter("ignore", PredictionShareWarning)
        result = recalibrate(args.model, frame, y, method=args.method)
    report = None
    if args.report is not None or args.report_json is not None:
        report = result.report(frame, y, plots=args.report is not None)
    result.save(args.out)
    if report is not None:
        _write_reports(report, args.report, args.report_json)
    p = result.provenance
    print(f"Recalibrated {args.model} on {args.data} ({p['n_rows']} rows), method {p['method']}.")
    if p["intercept"] is not None:
        print(f"  logit p' = {p['intercept']:+.3f} + {p['slope']:.3f} * logit p")
    print(f"  {result.decision['note']}")
    for warning in result.decision["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"  new model  {os.path.abspath(args.out)}")
    for label, path in (("HTML report", args.report), ("JSON report", args.report_json)):
        if path is not None:
            print(f"  {label}  {os.path.abspath(path)}")
    return 0


def _write_reports(report: Any, html_path: str | None, json_path: str | None) -> None:
    """Both reports, or neither."""
    from skmed._io import AtomicFiles

    with AtomicFiles() as staged:
        if html_path is not None:
            staged.add(html_path, report.to_html())
        if json_path is not None:
            staged.add(json_path, report.to_json())
        staged.commit()


def cmd_evaluate(args: argparse.Namespace) -> int:

    from skmed._evaluation import TaskMismatch, evaluate
    from skmed._io import check_output_path

    outputs = {"report": args.report, "report_json": args.report_json}
    for path in (p for p in outputs.values() if p is not None):
        check_output_path(path, "report")
    frame, y = _outcome(args)
    require_option_columns("--group", args.group or [], frame.columns, repr(args.data))
    try:
        report = evaluate(
            args.models if len(args.models) > 1 else args.models[0],
            frame,
            y,
            groups=args.group or None,
            n_bootstraps=args.bootstraps,
            random_state=args.seed,
            plots=args.report is not None,
            horizons=args.horizons,
        )
    except TaskMismatch as error:
        options = "--target" if args.target is None else "--time and --event"
        raise CommandError(f"{error} Give {options} for {args.models[0]!r}.") from error
    _write_reports(report, args.report, args.report_json)
    print(f"Evaluated {args.models[0]} on {args.data}: {len(frame)} rows.")
    print(report.performance_sentence())
    drift = report.drift or {}
    if drift.get("note"):
        print(drift["note"])
    else:
        flagged = drift.get("flagged", [])
        print(
            f"Drift: {len(flagged)} column(s) flagged"
            + (f" ({', '.join(flagged)})" if flagged else "")
        )
    outcome = [o for o in drift.get("outcome", []) if o["flagged"]]
    for o in outcome:
        print(
            f"Outcome: class {o['class']} is {o['share_new']:.1%} of these rows against "
            f"{o['share_reference']:.1%} in training (flagged)"
        )
    for sentence in (getattr(report, "comparison", None) or {}).get("sentences", []):
        print(f"Compared: {sentence}")
    for label, path in (("HTML report", args.report), ("JSON report", args.report_json)):
        if path is not None:
            print(f"  {label}  {os.path.abspath(path)}")
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    import json

    from skmed._io import atomic_write, check_output_path, read_csv
    from skmed.drift import check_drift

    if args.json is not None:
        check_output_path(args.json, "drift report")
    if args.target is not None:
        frame, y = _labelled(args)
    else:
        frame, y = read_csv(args.data), None
    report = check_drift(args.model, frame, y)
    if args.json is not None:
        with atomic_write(args.json) as handle:
            json.dump(report.to_dict(), handle, indent=2)
    if report.note:
        print(report.note)
        return 0
    print(
        f"Drift of {args.data} ({report.n_rows} rows) against the training summary in {args.model}:"
    )
    width = max(len(c.column) for c in report.columns)
    for c in report.columns:
        missing = (
            f"missing {c.missing_reference:.0%} -> {c.missing_new:.0%}"
            if c.missing_reference is not None and c.missing_new is not None
            else ""
        )
        extra = f", SMD {c.smd:+.2f}" if c.smd is not None else ""
        mark = "FLAG " if c.flags else "ok   "
        why = f"  [{'; '.join(c.flags)}]" if c.flags else ""
        print(f"  {mark}{c.column.ljust(width)}  {missing}{extra}{why}")
    flagged = report.flagged
    print(
        f"Flagged: {len(flagged)} of {len(report.columns)} columns"
        + (f" ({', '.join(flagged)})" if flagged else "")
    )
    if report.outcome_note:
        print(report.outcome_note)
    for o in report.outcome:
        mark = "FLAG " if o.flagged else "ok   "
        print(
            f"  {mark}outcome {o.class_}: {o.share_reference:.1%} in training, "
            f"{o.share_new:.1%} now"
        )
    return 0
