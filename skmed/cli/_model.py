"""skmed predict, skmed inspect and skmed serve: the commands that run an exported file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from skmed.cli._args import CommandError


def cmd_predict(args: argparse.Namespace) -> int:
    from skmed._io import (
        atomic_write,
        check_input_file,
        check_output_path,
        iter_prediction_chunks,
    )
    from skmed._scoring import column_inputs, prediction_columns, prediction_csv, score_frame
    from skmed.runtime import OnnxClassifier

    if args.out is not None:
        check_output_path(args.out, "predictions")
    check_input_file(args.data)
    model = OnnxClassifier(args.model)
    inputs = column_inputs(model, f"skmed predict ({args.model!r})")
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
                label_column=args.label_column,
                proba_prefix=args.proba_prefix,
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
