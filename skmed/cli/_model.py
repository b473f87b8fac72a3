"""skmed predict, skmed inspect and skmed serve: the commands that run an exported file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from skmed._card import CARD_KEY
from skmed.cli._args import CommandError, horizon_name


def check_horizons(model: Any, args: argparse.Namespace) -> bool:
    """Whether ``model`` is a survival model; ``--horizons`` required for one, refused else."""
    from skmed.runtime import OnnxSurvival

    survival = isinstance(model, OnnxSurvival)
    if survival and args.horizons is None:
        raise CommandError(
            f"{args.model!r} holds a survival model: give --horizons, the times at which to "
            "predict the probability of no event yet (e.g. --horizons 365,1095,1825, in the "
            "unit of the training times)."
        )
    if not survival and args.horizons is not None:
        raise CommandError(
            f"--horizons is for survival models; {args.model!r} holds a classifier (it "
            "predicts a label and class probabilities)."
        )
    if survival and args.dask is not None:
        raise CommandError("--dask scores classifiers only; predict a survival model without it.")
    if survival and args.horizons[-1] > model.unique_times_[-1]:
        late = [horizon_name(h) for h in args.horizons if h > model.unique_times_[-1]]
        print(
            f"Note: horizon(s) {', '.join(late)} lie beyond the model's last event time; the "
            "survival there is its last estimate, carried forward.",
            file=sys.stderr,
        )
    return survival


def survival_columns(horizons: list[float], existing: Any, source: str) -> list[str]:
    """``risk`` and one ``survival_at_H`` column per horizon, refusing names the data has."""
    names = ["risk", *(f"survival_at_{horizon_name(h)}" for h in horizons)]
    clash = [c for c in names if c in set(existing)]
    if clash:
        raise ValueError(f"{source} already has column(s) {clash}; rename them first.")
    return names


def write_survival(model: Any, args: argparse.Namespace, inputs: Any, handle: Any) -> int:
    """Write the rows of ``args.data`` with their risk and survival at ``args.horizons``, chunk
    by chunk; return the number of rows."""
    from skmed._io import iter_prediction_chunks
    from skmed._scoring import prediction_csv

    n_rows = 0
    for frame, columns in iter_prediction_chunks(args.data, inputs, chunk_size=args.chunk_size):
        if n_rows == 0:
            names = survival_columns(args.horizons, frame.columns, repr(args.data))
        survival = model.predict_survival_at(columns, args.horizons)
        scored = frame.assign(**dict(zip(names, [model.predict(columns), *survival.T])))
        prediction_csv(scored, names, handle, header=n_rows == 0)
        n_rows += len(frame)
    return n_rows


def cmd_predict(args: argparse.Namespace) -> int:
    from skmed._io import (
        atomic_write,
        check_input_file,
        check_output_path,
        iter_prediction_chunks,
    )
    from skmed._scoring import column_inputs, prediction_columns, prediction_csv, score_frame

    if args.out is not None:
        check_output_path(args.out, "predictions")
    from skmed.runtime import load_model

    check_input_file(args.data)
    model: Any = load_model(args.model, strict=args.strict)
    survival = check_horizons(model, args)
    inputs = column_inputs(model, f"skmed predict ({args.model!r})")
    n_rows = 0

    def write(handle: Any) -> None:
        nonlocal n_rows
        if survival:
            n_rows = write_survival(model, args, inputs, handle)
            return
        if args.dask is not None:  # partitions scored on a Dask cluster (skmed.distributed)
            from skmed.distributed import write_predictions_csv

            n_rows = write_predictions_csv(
                args.model,
                args.data,
                handle,
                address=args.dask,
                label_column=args.label_column,
                proba_prefix=args.proba_prefix,
                runtime=model,  # opened above: only its bytes are read again, for the workers
            )
            return
        chunks = iter_prediction_chunks(args.data, inputs, chunk_size=args.chunk_size)
        for frame, columns in chunks:
            if n_rows == 0:
                proba_columns = prediction_columns(
                    model.classes_,
                    args.label_column,
                    args.proba_prefix,
                    frame.columns,
                    repr(args.data),
                )
            scored = score_frame(
                model, frame, columns, label_column=args.label_column, proba_columns=proba_columns
            )
            prediction_csv(scored, proba_columns, handle, header=n_rows == 0)
            n_rows += len(frame)

    if args.out is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        with atomic_write(args.out) as handle:
            write(handle)
        print(f"Wrote {n_rows} predictions to {args.out}", file=sys.stderr)
    if hasattr(model, "decision"):  # the rule behind the label column (survival has none)
        print(f"{args.label_column}: {model.decision.describe()}", file=sys.stderr)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from skmed.runtime import OnnxClassifier, OnnxSurvival, load_model

    model = load_model(args.model)
    meta = dict(model.metadata)
    schema = model.input_schema
    survival = isinstance(model, OnnxSurvival)
    if isinstance(model, OnnxSurvival):
        grid = model.unique_times_
        described: dict[str, Any] = {
            "task": "survival",
            "time_grid": {"size": int(grid.size), "min": float(grid[0]), "max": float(grid[-1])},
        }
    else:
        described = {
            "classes": model.classes_.tolist(),
            "threshold": model.threshold,
            "decision": model.decision.to_dict(),
        }
    if args.json:
        info = {
            "path": args.model,
            "inputs": [
                {"name": s.name, "type": s.kind, **({"width": s.width} if s.width != 1 else {})}
                for s in schema.inputs
            ],
            **described,
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
    if survival:
        grid = described["time_grid"]
        print("Task: survival (outputs: risk score, survival probabilities on the time grid)")
        steps = meta.get("time_grid_min_events", "1")
        held = "every training event time" if steps == "1" else f"steps of >= {steps} events"
        print(f"Time grid: {grid['size']} times, {grid['min']:g} to {grid['max']:g} ({held})")
    else:
        assert isinstance(model, OnnxClassifier)
        _print_decision(described["classes"], model.decision)
    print_card(meta)
    print("Metadata:")
    hidden = ("inputs", "outputs", "classes", "time_grid", "time_grid_min_events", CARD_KEY)
    shown = {k: v for k, v in meta.items() if k not in hidden}
    key_width = max((len(k) for k in shown), default=0)
    for key in sorted(shown):
        value = shown[key].replace("\n", " ")
        if len(value) > 200 and not args.full:
            value = value[:197] + "..."
        print(f"  {key.ljust(key_width)}  {value}")
    return 0


def _print_decision(classes: list[Any], decision: Any) -> None:
    """The classes and the one rule the file's label output applies (as the server says it)."""
    print(f"Classes ({len(classes)}): {', '.join(map(str, classes))}")
    print(f"Decision: {decision.describe()}")


def print_card(meta: dict[str, str]) -> None:
    """The file's model card: its text fields under their headings, then per predictor the
    label with its unit and the plausible range (nothing without a card)."""
    from skmed._card import FIELD_TITLES, card_columns, card_from_metadata

    card = card_from_metadata(meta)
    if not card:
        return
    print("Model card:")
    for key, value in card.items():
        if key != "columns":
            print(f"  {FIELD_TITLES.get(key, key)}: {' '.join(str(value).split())}")
    notes = card_columns(card)
    if notes:
        print("  Predictors:")
        width = max(len(name) for name in notes)
        titles = {name: note.title(name) for name, note in notes.items()}
        title_width = max(len(t) for t in titles.values())
        for name, note in notes.items():
            line = (
                f"    {name.ljust(width)}  {titles[name].ljust(title_width)}  {note.range_text()}"
            )
            print(line.rstrip())


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
        strict=args.strict,
    )
    return 0
