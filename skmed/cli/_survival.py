"""skmed train --time COLUMN --event COLUMN: a survival model, trained, checked and exported.

The same recipe as the classifier path (:mod:`skmed.cli._train`): the preprocessing that
:func:`~skmed.pipeline.make_clinical_pipeline` builds, ending in
:class:`~skmed.MedicalMLPSurvival`; a held-out split stratified by event; Harrell's C on the
held-out rows; one ONNX file, checked against the Python model on the held-out rows before it
is written; the survival report (:func:`skmed.report.build_survival_report`) of the held-out
rows.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from skmed.cli._args import CommandError, require_option_columns, screen_features
from skmed.cli._output import (
    Stages,
    file_lines,
    finish,
    fmt_ci,
    left_out_lines,
    predictors_text,
)

#: What skmed train reports doing for a survival model, after reading the data.
SURVIVAL_STAGES = ("training", "evaluation", "ONNX export", "parity check", "writing files")

#: Fewest events a survival model is trained on (2 for each side of the stratified split).
MIN_EVENTS = 4

#: The event column's text values (case and surrounding spaces ignored).
EVENT_TRUE = frozenset({"1", "1.0", "true", "yes"})
EVENT_FALSE = frozenset({"0", "0.0", "false", "no"})


@dataclass
class SurvivalResult:
    """One survival training run, in memory: nothing is written yet."""

    pipeline: Any
    column_types: Any
    n_rows: int
    n_train: int
    n_test: int
    n_events: int
    n_events_test: int
    report: Any
    onnx_bytes: bytes
    parity: dict[str, float]
    epochs_run: int
    notes: list[str]


def check_survival_options(args: argparse.Namespace) -> None:
    """Refuse the classifier-only options of ``skmed train`` with a survival outcome."""
    if args.time == args.event:
        raise CommandError(f"--time and --event name the same column {args.time!r}.")
    refused = [
        ("--grid", args.grid, "it searches by balanced accuracy"),
        ("--group", args.group, "subgroup results are part of the report"),
        ("--explain-patients", args.explain_patients, "explanations are part of the report"),
        (
            f"--validation {args.validation}",
            args.validation in ("bootstrap", "cv"),
            "a survival model is validated on a held-out split, --test-size",
        ),
    ]
    for option, given, why in refused:
        if given:
            raise CommandError(
                f"{option} is for classifiers ({why}); leave it out with --time/--event."
            )


def _where(values: Any, row: int, source: str) -> str:
    """``line L of SOURCE holds VALUE`` for position ``row`` of a column read by
    :func:`skmed._io.read_csv` (line 1 is the header)."""
    value = values.iloc[row]
    value = value.item() if hasattr(value, "item") else value  # numpy scalar -> Python
    return f"line {int(values.index[row]) + 2} of {source} holds {value!r}"


def event_indicator(values: Any, column: str, source: str) -> Any:
    """The event column (no missing values) as booleans: 1/0, true/false or yes/no.

    Raises
    ------
    CommandError
        Naming the column, the first bad value and its line.
    """
    import numpy as np

    if values.dtype == bool:
        return values.to_numpy()
    if values.dtype.kind in "iuf":
        numbers = values.to_numpy(dtype=np.float64)
        bad = ~np.isin(numbers, (0.0, 1.0))
        event = numbers == 1.0
    else:
        text = values.astype(str).str.strip().str.lower()
        event = text.isin(EVENT_TRUE).to_numpy()
        bad = ~(event | text.isin(EVENT_FALSE).to_numpy())
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CommandError(
            f"event column {column!r} must hold 1/0, true/false or yes/no (1 = the event "
            f"happened, 0 = censored); {_where(values, first, source)} ({int(bad.sum())} "
            "such value(s))."
        )
    return event


def follow_up_times(values: Any, column: str, source: str) -> Any:
    """The time column (no missing values) as float64 durations >= 0.

    Raises
    ------
    CommandError
        Naming the column, the first bad value and its line.
    """
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    not_finite = ~np.isfinite(numbers)  # text (read as NaN here) or infinite
    for bad, rule in (
        (not_finite, "must hold finite numbers (follow-up durations)"),
        (~not_finite & (numbers < 0), "must hold durations from the start of follow-up (>= 0)"),
    ):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise CommandError(
                f"time column {column!r} {rule}; {_where(values, first, source)} "
                f"({int(bad.sum())} such value(s))."
            )
    return numbers


def check_outcome(
    frame: Any, time_column: str, event_column: str, source: str
) -> tuple[Any, Any, Any, int]:
    """Split ``frame`` into features, event indicators and times, checking both columns.

    Rows missing the time or the event are left out (their number is returned).
    """
    require_option_columns("--time", [time_column], frame.columns, source)
    require_option_columns("--event", [event_column], frame.columns, source)
    keep = frame[time_column].notna() & frame[event_column].notna()
    n_dropped = int((~keep).sum())
    frame = frame[keep]
    if len(frame) == 0:
        raise CommandError(
            f"no row of {source} has both a {time_column!r} and an {event_column!r} value."
        )
    event = event_indicator(frame[event_column], event_column, source)
    times = follow_up_times(frame[time_column], time_column, source)
    n_events = int(event.sum())
    if n_events < MIN_EVENTS:
        raise CommandError(
            f"event column {event_column!r} records {n_events} event(s); a survival model "
            f"needs at least {MIN_EVENTS}."
        )
    return frame.drop(columns=[time_column, event_column]), event, times, n_dropped


def train_survival(
    X: Any,
    event: Any,
    times: Any,
    column_types: Any,
    *,
    test_size: float = 0.25,
    random_state: int = 0,
    epochs: int = 200,
    verbose: int = 0,
    impute: str = "median",
    allow_patient_rows: bool = False,
    metadata: dict[str, Any] | None = None,
    horizons: list[float] | None = None,
    n_bootstraps: int = 1000,
    title: str = "Survival model evaluation report",
    model_card: dict[str, Any] | None = None,
    optional_columns: Any = None,
    progress: Any = None,
) -> SurvivalResult:
    """Fit the preprocessing + MedicalMLPSurvival pipeline on a stratified split, evaluate it
    on the held-out rows (the survival report; ``horizons`` default to the quartiles of the
    training event times), export it and check the export on those rows. ``optional_columns``
    may be missing at prediction although complete in training (``skmed.to_onnx``'s)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from skmed._trained_export import export_trained
    from skmed.datasets import survival_target
    from skmed.neural_network import MedicalMLPSurvival
    from skmed.onnx._survival import check_survival_parity
    from skmed.pipeline import make_clinical_pipeline, prepare_features
    from skmed.report import build_survival_report
    from skmed.report._survival import default_horizons

    say = progress or (lambda stage: None)
    X = prepare_features(X, column_types)
    n = len(times)
    n_test = int(np.ceil(test_size * n))
    if n_test < 2 or n - n_test < 2 * MIN_EVENTS:
        raise ValueError(
            f"{n} rows are too few to hold out {n_test} for testing; use more data or change "
            "--test-size."
        )
    counts = np.bincount(event.astype(int), minlength=2)
    stratify = event if counts.min() >= 2 else None  # every patient may have had the event
    X_train, X_test, e_train, e_test, t_train, t_test = train_test_split(
        X, event, times, test_size=test_size, stratify=stratify, random_state=random_state
    )
    y_train, y_test = survival_target(e_train, t_train), survival_target(e_test, t_test)
    pipeline = make_clinical_pipeline(column_types, impute=impute, random_state=random_state)
    network = MedicalMLPSurvival(random_state=random_state, epochs=epochs, verbose=verbose)
    pipeline.steps[-1] = ("survival", network)

    say("training")
    pipeline.fit(X_train, y_train)
    say("evaluation")
    if horizons is None:
        horizons = default_horizons(e_train, t_train, t_test)
    report = build_survival_report(
        pipeline, X_test, y_train, y_test, horizons=horizons, n_bootstraps=n_bootstraps,
        random_state=random_state, title=title, model_card=model_card,
    )  # fmt: skip

    say("ONNX export")
    onnx_bytes, notes = export_trained(
        pipeline,
        X_train,
        column_types,
        {
            **(metadata or {}),
            "n_events_train": int(e_train.sum()),
            "validation": "holdout",
        },
        impute=impute,
        model_card=model_card,
        n_test=len(t_test),
        allow_patient_rows=allow_patient_rows,
        optional_columns=optional_columns,
    )
    say("parity check")
    # with how far the file's stepped curve is from the model's at the report's horizons
    parity = check_survival_parity(onnx_bytes, pipeline, X_test, 1e-5, times=horizons)
    return SurvivalResult(
        pipeline=pipeline,
        column_types=column_types,
        n_rows=n,
        n_train=int(len(t_train)),
        n_test=int(len(t_test)),
        n_events=int(event.sum()),
        n_events_test=int(e_test.sum()),
        report=report,
        onnx_bytes=onnx_bytes,
        parity=parity,
        epochs_run=int(network.n_iter_),
        notes=notes,
    )


def summary_lines(result: SurvivalResult, files: dict[str, str]) -> list[str]:
    ct = result.column_types
    parity, metrics = result.parity, result.report.metrics
    horizons = ", ".join(f"{h:g}" for h in result.report.settings["horizons"])

    def metric(name: str) -> str:
        return fmt_ci(tuple(metrics.loc[name, ["estimate", "ci_lower", "ci_upper"]]))

    return [
        f"Rows: {result.n_rows} ({result.n_train} training, {result.n_test} held out)",
        f"Events: {result.n_events} ({result.n_events - result.n_events_test} training, "
        f"{result.n_events_test} held out)",
        f"Features: {len(ct.numeric)} numeric, {len(ct.categorical)} categorical, "
        f"{len(ct.text)} symptom-list"
        + (f" (left out, no values: {', '.join(ct.empty)})" if ct.empty else ""),
        f"Epochs trained: {result.epochs_run} (early stopping)",
        f"Harrell's C (held out): {metric('harrell_c')}",
        f"Integrated Brier score (held out): {metric('integrated_brier')}",
        *(
            f"Time-dependent AUC at {name.split('@')[1]} (held out): {metric(name)}"
            for name in metrics.index
            if name.startswith("td_auc@")
        ),
        *result.notes,
        f"ONNX parity: max abs difference {parity['max_abs_diff_risk']:.2e} (risk), "
        f"{parity['max_abs_diff_survival']:.2e} (survival probability at the file's "
        f"{parity['n_stored_times']} stored times) on {parity['n_rows']} held-out rows; at the "
        f"report horizons, between stored times: {parity['max_abs_diff_at_times']:.3f}",
        f"Report horizons: {horizons}",
        *file_lines(files),
    ]


def cmd_train_survival(args: argparse.Namespace, frame: Any, files: dict[str, str]) -> int:
    """``skmed train`` with ``--time`` and ``--event``, on the table read (``--drop`` applied)."""
    source = repr(args.data)
    X, event, times, n_dropped = check_outcome(frame, args.time, args.event, source)
    from skmed.cli._train import card_over, read_user_card

    scan, types = screen_features(X, args)
    user_card = read_user_card(args, types)
    if not args.quiet:
        print(
            f"Read {len(frame)} rows from {args.data}: time {args.time!r}, event "
            f"{args.event!r} ({int(event.sum())} events, {int((~event).sum())} censored); "
            f"{len(types.numeric)} numeric, {len(types.categorical)} categorical and "
            f"{len(types.text)} symptom-list feature columns."
        )
        for line in left_out_lines(n_dropped, f"{args.time!r} or {args.event!r}", types, scan):
            print(line)
    stages = Stages(list(SURVIVAL_STAGES), enabled=not args.quiet)
    start = time.perf_counter()
    filled = {
        "outcome": f"time to event: {args.time!r} (follow-up time), {args.event!r} (1 = event, "
        "0 = censored)",
        "data": f"{args.data}: {len(times)} rows; hold-out of {args.test_size:.0%} stratified "
        "by event for evaluation.",
        "predictors": predictors_text(types, args.impute) + ".",
        "development": "MedicalMLPSurvival (Cox-type network) with early stopping.",
    }
    result = train_survival(
        X,
        event,
        times,
        types,
        test_size=args.test_size,
        random_state=args.seed,
        epochs=args.epochs,
        verbose=0 if args.quiet else 1,
        impute=args.impute,
        allow_patient_rows=args.allow_patient_rows,
        metadata={"time": args.time, "event": args.event},
        horizons=args.horizons,
        n_bootstraps=args.bootstraps,
        title=f"Survival evaluation report: {args.time} / {args.event}",
        model_card=card_over(user_card, filled),
        optional_columns=args.optional_columns,
        progress=stages,
    )
    return finish("train", result, files, stages, start, lines=summary_lines, quiet=args.quiet)
