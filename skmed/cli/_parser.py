"""The argument parser of every command (handlers live in their modules)."""

from __future__ import annotations

import argparse

from skmed import __version__
from skmed.cli._args import Commands, add_count, add_options, horizons, non_negative_int
from skmed.cli._model import cmd_inspect, cmd_predict, cmd_serve
from skmed.cli._output import AUTO_CV_ROWS
from skmed.cli._site import add_site_commands
from skmed.cli._train import cmd_demo, cmd_train

PROG = "skmed"

EPILOG = """\
quick start:
  skmed demo                                   train, evaluate and export on built-in data
  skmed train DATA.csv --target COLUMN         train on your CSV; writes model.onnx, report.html
  skmed train DATA.csv --time T --event E      a survival model; writes model.onnx, report.html
  skmed predict model.onnx DATA.csv            predictions (onnxruntime only, streamed)
  skmed inspect model.onnx                     inputs, classes, threshold, metadata

Run `skmed COMMAND --help` for the options of a command. Exit status: 0 on success, 1 on an
error (one line on stderr; --debug or SKMED_DEBUG=1 shows the traceback), 2 on a usage error.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skmed`` command."""

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback on errors (also SKMED_DEBUG=1)",
    )
    # options shared by the commands that train (demo, train)
    training = argparse.ArgumentParser(add_help=False)
    add_count(
        training,
        "--epochs",
        200,
        "maximum training epochs; early stopping usually ends sooner",
    )
    add_count(
        training,
        "--bootstraps",
        1000,
        "bootstrap replicates for confidence intervals",
        minimum=0,
    )
    training.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    training.add_argument(
        "--explain-patients",
        type=non_negative_int,
        default=None,  # set per command by its handler: a parent's action is shared
        metavar="N",
        help="explain N example held-out patients in the report (their feature values are "
        "then shown; default: 0 for train, 2 for demo)",
    )
    training.add_argument(
        "--optional-columns",
        nargs="+",
        default=None,
        metavar="COLUMN",
        help="columns a prediction may leave missing (imputed) although they are never missing "
        "in the training rows; without this such columns are required at the point of care",
    )
    training.add_argument(
        "--card",
        metavar="FILE",
        help="model card, TOML or YAML: intended use, users, population, limitations, contact, "
        "... and [columns.NAME] label, unit, range; stored in the model file and shown in the "
        "report, its text over what skmed fills in (see docs/cli.md)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="skmed: train, evaluate, export and run clinical MLP classifiers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"skmed {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    command = Commands(sub, common)

    demo = command(
        "demo",
        cmd_demo,
        "the main job, end to end, on the built-in diagnosis data",
        "Generate the synthetic diagnosis data (skmed.datasets.load_diagnosis), build the\n"
        "preprocessing pipeline, train MedicalMLPClassifier with balanced class weights and\n"
        "early stopping, evaluate on a held-out 25% with bootstrap confidence intervals,\n"
        "export to ONNX, check the ONNX model against the Python model with skmed.runtime,\n"
        "and write model.onnx, report.html and report.json into --out-dir.",
        "example:\n  skmed demo --out-dir /tmp/skmed-demo",
        parents=[training],
    )
    demo.add_argument(
        "--out-dir",
        default="skmed-demo",
        metavar="DIR",
        help="directory for model.onnx, report.html and report.json (default: ./skmed-demo; "
        "created if missing)",
    )
    add_count(demo, "--n-samples", 2000, "number of synthetic patients")
    add_options(demo, "quiet")
    add_train(
        command(
            "train",
            cmd_train,
            "train on a CSV file; write an ONNX model and an evaluation report",
            "Train a MedicalMLPClassifier on a CSV file with a header row.\n\n"
            "Numeric and boolean columns are median-imputed and standardized; text columns\n"
            "holding lists ('fever; dry cough') are multi-hot encoded by SymptomEncoder; all\n"
            "other columns are categorical (most-frequent imputation, one-hot encoding). A\n"
            "column of numbers with a few kinds of other entry ('unknown', '<5') is an error\n"
            "naming the line: list such entries in --na-values, or the column in\n"
            "--categorical.\n"
            "Rows with no target value are left out. A stratified --test-size share is held\n"
            "out; the rest trains the network (balanced class weights, early stopping; with\n"
            "--grid, a small 3-fold grid search over layer sizes, L2 penalty and dropout\n"
            "first). The held-out evaluation, with bootstrap confidence intervals, goes into\n"
            "the report; the model, with its preprocessing, into one ONNX file, checked\n"
            "against the Python model before it is written.\n\n"
            "With --time and --event instead of --target, trains a MedicalMLPSurvival (a Cox-type\n"
            "network) on the same preprocessing: a --test-size share, stratified by event, is\n"
            "held out for the survival report (Harrell's and Uno's C, integrated Brier score,\n"
            "time-dependent AUC and calibration at --horizons); the ONNX file is checked the\n"
            "same way.",
            "examples:\n"
            "  skmed train patients.csv --target diagnosis\n"
            "  skmed train cohort.csv --time days --event died --drop patient_id\n"
            "  skmed train patients.csv --target outcome --drop patient_id,admission_date \\\n"
            "      --out models/outcome.onnx --report models/outcome.html --grid",
            parents=[training],
        )
    )
    add_predict(
        command(
            "predict",
            cmd_predict,
            "predict a CSV file with an ONNX model (no scikit-learn or Keras needed)",
            "Predict every row of a CSV file with a model written by skmed train or\n"
            "skmed.to_onnx.\n\n"
            "Uses only onnxruntime, numpy and pandas. The file is read in chunks, so memory\n"
            "stays bounded whatever its size. Columns are converted to the model's input types;\n"
            "a value that does not fit (e.g. text in a numeric column) stops with an error\n"
            "naming the column, the line and the value. The output is the input rows, with\n"
            "their columns unchanged, plus the predicted label and one probability column per\n"
            "class; for a survival model (skmed train --time/--event), the risk score and one\n"
            "survival_at_H column per --horizons time H. With --out, the file appears only when\n"
            "complete.",
            "examples:\n"
            "  skmed predict model.onnx new_patients.csv --out predictions.csv\n"
            "  skmed predict survival.onnx cohort.csv --horizons 365,1095,1825\n"
            "  skmed predict model.onnx new_patients.csv | head",
        )
    )
    inspect = command(
        "inspect",
        cmd_inspect,
        "show a model's inputs, classes, threshold and metadata",
        "Describe an ONNX model written by skmed: its input columns with their types, the\n"
        "classes, the decision threshold (if any) and the stored metadata; for a survival\n"
        "model, its time grid instead of classes.",
        "example:\n  skmed inspect model.onnx --json",
    )
    add_options(inspect, "model")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.add_argument("--full", action="store_true", help="do not shorten long metadata values")
    add_serve(
        command(
            "serve",
            cmd_serve,
            "serve ONNX models over HTTP: JSON/CSV API, OpenAPI document, web form",
            "Serve models written by skmed train or skmed.to_onnx over HTTP until Ctrl-C or\n"
            "SIGTERM (in-flight requests finish first). Endpoints: POST /v1/predict, GET\n"
            "/v1/model, GET /healthz, GET /readyz, GET /openapi.json, and the web form at /.\n"
            "Several models are served under /v1/models/NAME/... (NAME: the file's stem, or\n"
            "NAME=PATH).\n\n"
            "Binds 127.0.0.1 unless --host says otherwise. A bearer token (--token-file, or\n"
            "$SKMED_SERVE_TOKEN) protects /v1/ and /openapi.json; another address than loopback\n"
            "is refused without one unless --insecure. Request rows and values are never\n"
            "logged. Needs pip install 'skmed[serve]'.",
            "examples:\n"
            "  skmed serve model.onnx\n"
            "  skmed serve triage=a.onnx sepsis=b.onnx --port 9000\n"
            "  skmed serve model.onnx --host 0.0.0.0 --token-file /run/secrets/skmed-token",
        )
    )
    add_site_commands(command)
    return parser


def add_train(train: argparse.ArgumentParser) -> None:
    """The options of ``skmed train`` beyond the shared training ones."""
    train.add_argument("data", metavar="DATA.csv", help="training data, CSV with a header row")
    outcome = train.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--target", metavar="COLUMN", help="the label column (a classifier)")
    outcome.add_argument(
        "--time",
        metavar="COLUMN",
        help="the follow-up time column, with --event: trains a survival model instead",
    )
    train.add_argument(
        "--event",
        metavar="COLUMN",
        help="with --time: the column saying whether the event happened (1, true, yes) or the "
        "patient was censored (0, false, no)",
    )
    train.add_argument(
        "--horizons",
        type=horizons,
        metavar="TIMES",
        help="with --time/--event: comma-separated times of the report's time-dependent AUC "
        "and calibration (default: the quartiles of the training event times)",
    )
    train.set_defaults(usage_error=train.error)
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
        "--categorical",
        metavar="COLUMNS",
        help="comma-separated columns to treat as categories whatever they hold (numbers "
        "used as codes, or a mostly numeric column whose text entries are categories)",
    )
    train.add_argument(
        "--na-values",
        nargs="+",
        action="extend",
        metavar="TOKEN",
        help="entries to read as missing values in every column (e.g. unknown 'not done' "
        "-1), besides blank, NA, N/A, n/a, NaN, NULL, null; a column of numbers with a few "
        "kinds of other entry stops training, naming the line (see docs/cli.md)",
    )
    train.add_argument(
        "--out",
        default="model.onnx",
        metavar="PATH",
        help="where to write the ONNX model (default: model.onnx)",
    )
    add_options(
        train,
        "report",
        "report_json",
        report={
            "default": "report.html",
            "help": "where to write the HTML report (default: report.html)",
        },
        report_json={"help": "also write the report as JSON to PATH"},
    )
    train.add_argument(
        "--grid",
        action="store_true",
        help="grid-search hidden_layer_sizes, alpha and dropout (8 candidates, 3-fold CV, "
        "balanced accuracy) before the final fit",
    )
    add_options(
        train, "group", group={"help": "report subgroup performance by this column (repeatable)"}
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
        "imputes from them) and, for a survival model, every training event time (else its "
        "curves are stored on steps of >= 10 events)",
    )
    add_count(
        train,
        "--refits",
        100,
        "bootstrap refits of the whole pipeline for --validation bootstrap",
        minimum=2,
    )
    train.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel refits and grid-search fits (joblib; -1: every core)",
    )
    add_options(train, "quiet", quiet={"help": "no progress bar and no summary"})


def add_predict(predict: argparse.ArgumentParser) -> None:
    """The options of ``skmed predict``."""
    add_options(predict, "model")
    predict.add_argument("data", metavar="DATA.csv", help="rows to predict, CSV with a header")
    predict.add_argument(
        "--out", metavar="PATH", help="write the predictions to PATH (default: standard output)"
    )
    add_count(
        predict,
        "--chunk-size",
        20_000,
        "rows read and predicted at a time; bounds memory",
        metavar="ROWS",
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
        "--horizons",
        type=horizons,
        metavar="TIMES",
        help="survival models only (and required for them): comma-separated times, in the unit "
        "of the training times, at which to predict the probability of no event yet",
    )
    predict.add_argument(
        "--strict",
        action="store_true",
        help="stop at a value imputed, out of range or an unseen category; nothing is written",
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


def add_serve(serve: argparse.ArgumentParser) -> None:
    """The options of ``skmed serve``."""
    serve.add_argument("models", nargs="+", metavar="[NAME=]model.onnx", help="models to serve")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    add_count(serve, "--port", 8000, "port; 0 picks a free one", minimum=0, metavar=None)
    serve.add_argument(
        "--token-file", metavar="PATH", help="file whose first line is the bearer token"
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without a token (e.g. behind an authenticating proxy)",
    )
    for flag, default, metavar, text in (
        ("--max-body-bytes", 10_000_000, "BYTES", "largest request body"),
        ("--max-rows", 10_000, "ROWS", "most rows per request"),
        ("--max-concurrency", 256, "N", "connections served at once; more get 503"),
        (
            "--workers",
            1,
            "N",
            "server processes sharing the port, each with its own copy of the models",
        ),
    ):
        add_count(serve, flag, default, text, metavar=metavar)
    serve.add_argument("--no-form", action="store_true", help="do not serve the web form at /")
    serve.add_argument("--strict", action="store_true", help="refuse (422) a row with a warning")
