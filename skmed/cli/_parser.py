"""The argument parser of every command (handlers live in their modules)."""

from __future__ import annotations

import argparse
from typing import Any

from skmed import __version__
from skmed.cli._args import non_negative_int, positive_int
from skmed.cli._model import cmd_inspect, cmd_predict, cmd_serve
from skmed.cli._output import AUTO_CV_ROWS
from skmed.cli._site import add_site_commands
from skmed.cli._train import cmd_demo, cmd_train

PROG = "skmed"

EPILOG = """\
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
        epilog=EPILOG,
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
    add_serve(sub, common, raw)
    add_site_commands(sub, common, raw)
    return parser


def add_serve(sub: Any, common: argparse.ArgumentParser, raw: Any) -> None:
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
