"""skmed demo and skmed train."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from skmed.cli._args import CommandError, column_list, require_option_columns, screen_features
from skmed.cli._output import (
    AUTO_CV_ROWS,
    TRAINING_STAGES,
    Stages,
    finish,
    left_out_lines,
    predictors_text,
    refit_progress,
)


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
    stages = Stages(["data", *TRAINING_STAGES], enabled=not args.quiet)
    stages("data")
    bunch = load_diagnosis(
        n_samples=args.n_samples, random_state=args.seed, include_symptom_text=True
    )
    types = ColumnTypes(
        numeric=[*bunch.numeric_features, *bunch.binary_features],
        categorical=list(bunch.categorical_features),
        text=list(bunch.text_features),
    )
    card = read_user_card(args, types)
    from skmed._workflow import train_evaluate_export

    result = train_evaluate_export(
        bunch.data,
        bunch.target,
        types,
        optional_columns=args.optional_columns,
        target="diagnosis",
        random_state=args.seed,
        epochs=args.epochs,
        n_bootstraps=args.bootstraps,
        groups=["sex"],
        explain_patients=2 if args.explain_patients is None else args.explain_patients,
        title="skmed demo: assisted diagnosis (synthetic data)",
        model_card=card_over(
            card,
            {
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
        ),
        progress=stages,
    )
    return finish("demo", result, files, stages, start)


def cmd_train(args: argparse.Namespace) -> int:
    from skmed._io import check_output_path, read_csv

    survival = args.time is not None
    if args.event is not None and not survival:
        args.usage_error("--event goes with --time (a survival model), not with --target.")
    if survival and args.event is None:
        args.usage_error(
            "--time needs --event: the column saying whether the event happened (1, true or "
            "yes) or the patient was censored (0, false or no)."
        )
    files = {"model": check_output_path(args.out, "model")}
    if survival:
        from skmed.cli._survival import check_survival_options

        check_survival_options(args)
    elif args.horizons is not None:
        args.usage_error("--horizons goes with --time/--event (a survival model's report).")
    if args.report:
        files["report"] = check_output_path(args.report, "report")
    if args.report_json:
        files["report_json"] = check_output_path(args.report_json, "report")
    if len(set(files.values())) != len(files):
        raise CommandError("the model and report paths must differ.")
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be between 0 and 1; got {args.test_size}.")

    frame = read_csv(args.data, na_values=args.na_values)
    drop = column_list(args.drop)
    from skmed._workflow import check_target

    outcome = {"--time": args.time, "--event": args.event} if survival else {"": args.target}
    for option, column in outcome.items():
        if column in drop:
            named = f"the {option} column" if option else "the target column"
            raise CommandError(f"--drop names {named} {column!r}.")
    require_option_columns("--drop", drop, frame.columns, repr(args.data))
    if survival:
        from skmed.cli._survival import cmd_train_survival

        return cmd_train_survival(args, frame.drop(columns=drop), files)
    X, y, n_dropped = check_target(frame.drop(columns=drop), args.target, source=repr(args.data))
    validation = args.validation
    if validation == "auto":
        validation = "cv" if len(y) < AUTO_CV_ROWS else "holdout"
    scan, types = screen_features(X, args)
    groups = args.group or []
    require_option_columns("--group", groups, types.features, "the feature columns")
    card = read_user_card(args, types)

    stages = Stages(
        [*(["grid search"] if args.grid else []), *TRAINING_STAGES], enabled=not args.quiet
    )
    if not args.quiet:
        print(
            f"Read {len(frame)} rows from {args.data}: target {args.target!r} with "
            f"{y.nunique()} classes; {len(types.numeric)} numeric, {len(types.categorical)} "
            f"categorical and {len(types.text)} symptom-list feature columns."
        )
        for line in left_out_lines(n_dropped, repr(args.target), types, scan):
            print(line)
    from skmed._workflow import train_evaluate_export

    start = time.perf_counter()
    result = train_evaluate_export(
        X,
        y,
        types,
        optional_columns=args.optional_columns,
        target=args.target,
        test_size=args.test_size,
        random_state=args.seed,
        epochs=args.epochs,
        grid=args.grid,
        verbose=0 if args.quiet else 1,
        n_bootstraps=args.bootstraps,
        groups=groups,
        title=f"Clinical evaluation report: {args.target}",
        model_card=card_over(
            card,
            {
                "outcome": f"{args.target} ({', '.join(map(str, sorted(y.unique(), key=str)))})",
                "data": f"{args.data}: {len(y)} rows; "
                + (
                    f"stratified hold-out of {args.test_size:.0%} for evaluation."
                    if validation == "holdout"
                    else f"all rows for the final model; internal validation by {validation}."
                ),
                "predictors": predictors_text(types, args.impute)
                + ", with a missing-value indicator for each numeric column that has gaps; "
                "categories by the most frequent.",
                "development": "MedicalMLPClassifier with balanced class weights and early stopping"
                + ("; hyperparameters by 3-fold grid search" if args.grid else "")
                + ".",
            },
        ),
        progress=stages,
        validation=validation,
        refits=args.refits,
        n_jobs=args.n_jobs,
        explain_patients=args.explain_patients or 0,
        refit_progress=None if args.quiet else refit_progress(validation),
        impute=args.impute,
        allow_patient_rows=args.allow_patient_rows,
    )
    return finish("train", result, files, stages, start, quiet=args.quiet)


def read_user_card(args: argparse.Namespace, types: Any) -> dict[str, Any]:
    """The ``--card`` file, checked against the model's input columns (empty without one);
    read before training, so that a bad card stops the command at once."""
    if not args.card:
        return {}
    from skmed._card import read_card_file

    return read_card_file(args.card, columns=types.features)


def card_over(user: dict[str, Any], filled: dict[str, Any]) -> dict[str, Any]:
    """The card skmed fills in with the user's fields over it: the user's text wins."""
    return {**filled, **user}
