"""Train, evaluate on a held-out split, export to ONNX and check parity: what ``skmed train`` and
``skmed demo`` run.

:func:`check_target` validates the label column before anything heavy is imported;
:func:`train_evaluate_export` does the rest and returns everything in memory (the ONNX bytes,
the :class:`~skmed.report.ClinicalReport`, the parity check), so the caller writes all files
at the end, atomically, or none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from skmed._baseline import (
    baseline_comparison,
    baseline_pipeline,
    convergence_notes,
    interpretation,
    sample_size_check,
)
from skmed._columns import require_columns
from skmed._json import jsonable
from skmed.pipeline import ColumnTypes, default_param_grid, make_clinical_pipeline, prepare_features

#: The internal validations ``skmed train --validation`` offers.
VALIDATIONS = ("holdout", "bootstrap", "cv")

#: Fewest rows a class needs: 2 for the stratified held-out split, more for early stopping.
MIN_ROWS_PER_CLASS = 4


@dataclass
class TrainingResult:
    """Everything one training run produced; nothing is written to disk yet."""

    pipeline: Any
    column_types: ColumnTypes
    classes: list[Any]
    n_rows: int
    n_train: int
    n_test: int
    onnx_bytes: bytes
    report: Any
    parity_max_abs_diff: float
    parity_label_agreement: float
    validation: str = "holdout"
    best_params: dict[str, Any] | None = None
    cv_score: float | None = None
    epochs_run: int | None = None
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def headline(self) -> dict[str, tuple[float, float, float]]:
        """Balanced accuracy and ROC AUC as ``(estimate, ci_lower, ci_upper)``.

        Binary: the positive class's rows. Multiclass: balanced accuracy is the macro-averaged
        sensitivity (the mean recall, as :func:`sklearn.metrics.balanced_accuracy_score`), ROC
        AUC the macro one-vs-rest AUC.
        """
        table = self.report.metrics
        binary = len(self.classes) == 2
        rows = table if binary else table[table["class"] == "macro"]
        rows = rows.set_index("metric")
        out = {}
        for label, metric in (
            ("balanced_accuracy", "balanced_accuracy" if binary else "sensitivity"),
            ("roc_auc", "roc_auc"),
        ):
            row = rows.loc[metric]
            out[label] = (float(row["estimate"]), float(row["ci_lower"]), float(row["ci_upper"]))
        return out


def check_target(frame: Any, target: str, *, source: str = "the data") -> tuple[Any, Any, int]:
    """Split ``frame`` into features and labels, checking the label column.

    Rows whose label is missing are dropped (their number is returned).

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    n_dropped : int

    Raises
    ------
    ValueError
        If the column does not exist, has fewer than 2 classes, or a class has fewer than
        :data:`MIN_ROWS_PER_CLASS` rows.
    """
    require_columns([target], frame.columns, what="target column", where=source)
    y = frame[target]
    keep = y.notna()
    n_dropped = int((~keep).sum())
    frame, y = frame[keep], y[keep]
    counts = y.value_counts()
    if len(counts) < 2:
        only = f" ({counts.index[0]!r})" if len(counts) else ""
        raise ValueError(
            f"target column {target!r} has {len(counts)} class{only}; a classifier needs at "
            "least 2."
        )
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if len(rare):
        listing = ", ".join(f"{k!r} ({v})" for k, v in rare.items())
        raise ValueError(
            f"target column {target!r} has classes with fewer than {MIN_ROWS_PER_CLASS} rows: "
            f"{listing}; merge or drop them."
        )
    if y.dtype.kind == "f" and (y == y.round()).all():
        y = y.astype("int64")  # labels 0/1 read next to missing values become 0.0/1.0
    return frame.drop(columns=[target]), y, n_dropped


def train_evaluate_export(
    X: Any,
    y: Any,
    column_types: ColumnTypes,
    *,
    target: str = "target",
    test_size: float = 0.25,
    random_state: int = 0,
    epochs: int = 200,
    grid: bool = False,
    verbose: int = 0,
    n_bootstraps: int = 1000,
    groups: Sequence[str] | None = None,
    title: str = "Clinical evaluation report",
    model_card: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    validation: str = "holdout",
    refits: int = 100,
    n_jobs: int | None = None,
    explain_patients: int = 0,
    refit_progress: Callable[[int, int], None] | None = None,
    impute: str = "median",
    allow_patient_rows: bool = False,
    optional_columns: Any = None,
) -> TrainingResult:
    """Fit the clinical pipeline, validate it, export it and check the export.

    The classifier uses the default recipe with ``class_weight="balanced"`` read as decision
    costs (calibrated risks; ``predict`` weighs them by the inverse class frequencies) and
    early stopping. With ``grid=True``, :func:`~skmed.pipeline.default_param_grid` is searched
    with 3-fold stratified cross-validation on the training rows (balanced accuracy), then the
    best candidate is refitted.

    ``validation="holdout"`` fits on a stratified split and reports on the held-out rows;
    ``"bootstrap"`` and ``"cv"`` fit the final model on all rows and validate the whole
    pipeline with :func:`skmed.validation.internal_validation` (``refits`` bootstrap refits, or
    5 x 5-fold CV), reporting on the out-of-bag / out-of-fold predictions. Either way the
    report compares the network with a logistic regression on the same predictors, validated
    the same way, and checks the sample size.

    Parameters
    ----------
    X : pandas.DataFrame
        Features (the target removed).
    y : pandas.Series
        Labels.
    column_types : ColumnTypes
        Which columns are numeric / categorical.
    target : str
        Name of the label, stored in the model's metadata.
    progress : callable, default=None
        Called with the name of each stage as it starts.
    validation : {"holdout", "bootstrap", "cv"}, default="holdout"
    refits : int, default=100
        Bootstrap refits for ``validation="bootstrap"``.
    n_jobs : int, default=None
        Parallel refits (joblib).
    explain_patients : int, default=0
        Example patients explained in the report (their feature values are then shown).
    refit_progress : callable, default=None
        Called with ``(done, total)`` after every refit of the network.
    impute : {"median", "iterative", "knn"}, default="median"
        Imputation of the numeric columns (:func:`~skmed.pipeline.make_clinical_pipeline`),
        with a missing-value indicator for each column that has gaps.
    allow_patient_rows : bool, default=False
        Needed with ``impute="knn"``: the exported graph then holds the training rows.
    optional_columns : list of str, default=None
        Columns a prediction may leave missing although they are complete in the training
        rows (:func:`skmed.to_onnx`'s ``optional_columns``); others such are required.

    Returns
    -------
    TrainingResult
    """
    import numpy as np
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

    from skmed._trained_export import export_trained
    from skmed.onnx import check_parity
    from skmed.report import build_report

    if validation not in VALIDATIONS:
        raise ValueError(f"validation must be one of {list(VALIDATIONS)}; got {validation!r}.")
    if impute == "knn" and not allow_patient_rows:
        raise ValueError(
            "impute='knn' keeps the training rows in the exported model (KNNImputer imputes "
            "from them): that is patient data in the file. Choose 'median' or 'iterative', or "
            "allow it explicitly (skmed train --allow-patient-rows)."
        )
    say = progress or (lambda stage: None)
    seconds: dict[str, float] = {}
    X = prepare_features(X, column_types)
    n_classes = int(y.nunique())
    holdout = validation == "holdout"
    if holdout:
        n_test = test_size if test_size >= 1 else int(np.ceil(test_size * len(y)))
        if n_test < n_classes or len(y) - n_test < 2 * n_classes:
            raise ValueError(
                f"{len(y)} rows are too few to hold out {n_test} for testing with {n_classes} "
                "classes; use more data or change --test-size."
            )
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=random_state
        )
    else:
        X_train, y_train = X, y
    params: dict[str, Any] = dict(
        class_weight="balanced",
        early_stopping=True,
        epochs=epochs,
        random_state=random_state,
        verbose=verbose,
        impute=impute,
    )
    pipeline = make_clinical_pipeline(column_types, **params)
    best_params = cv_score = None
    if grid:
        say("grid search")
        start = time.perf_counter()
        search = GridSearchCV(
            make_clinical_pipeline(column_types, **{**params, "verbose": 0}),
            default_param_grid(),
            scoring="balanced_accuracy",
            cv=StratifiedKFold(3, shuffle=True, random_state=random_state),
            refit=False,
            error_score="raise",
            verbose=1 if verbose else 0,
            n_jobs=n_jobs,
        )
        search.fit(X_train, y_train)
        best_params = dict(search.best_params_)
        cv_score = float(search.best_score_)
        pipeline.set_params(**best_params)
        seconds["grid search"] = time.perf_counter() - start

    say("training")
    start = time.perf_counter()
    baseline = baseline_pipeline(pipeline)
    internal = None
    training_notes: list[str] = []
    if holdout:
        with convergence_notes(training_notes):
            pipeline.fit(X_train, y_train)
            baseline.fit(X_train, y_train)
        proba = pipeline.predict_proba(X_test)
        baseline_proba = baseline.predict_proba(X_test)
    else:
        from skmed.validation import internal_validation

        pipeline.set_params(classifier__verbose=0)
        options: dict[str, Any] = dict(method=validation, n_bootstraps=refits, n_jobs=n_jobs)
        internal = internal_validation(
            pipeline, X, y, random_state=random_state, progress=refit_progress, **options
        )
        pipeline = internal.estimator
        lr = internal_validation(baseline, X, y, random_state=random_state, **options)
        baseline = lr.estimator
        # rows that some refit left out, for both models (nearly all of them)
        seen = ~np.isnan(internal.held_out_proba[:, 0]) & ~np.isnan(lr.held_out_proba[:, 0])
        X_test, y_test = X[seen], y[seen]
        proba, baseline_proba = internal.held_out_proba[seen], lr.held_out_proba[seen]
    seconds["training"] = time.perf_counter() - start

    say("evaluation")
    start = time.perf_counter()
    importance, explanations = interpretation(
        pipeline, X_train, X_test, y_test, proba, explain_patients, random_state
    )
    report = build_report(
        y_test,
        proba,
        model=pipeline,
        X=X_test,
        groups=list(groups) if groups else None,
        title=title,
        model_card=model_card,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
        importance=importance,
        explanations=explanations,
    )
    report.notes.extend(training_notes)
    if internal is not None:
        report.validation = internal.to_dict()
        report.notes.append(
            f"The final model is fitted on all {len(y)} rows; figures and intervals use the "
            f"{'out-of-bag' if validation == 'bootstrap' else 'out-of-fold'} predictions of "
            f"{len(y_test)} rows."
        )
    seconds["evaluation"] = time.perf_counter() - start

    say("baseline and sample size")
    start = time.perf_counter()
    binary = n_classes == 2
    order = [baseline.classes_.tolist().index(c) for c in pipeline.classes_.tolist()]
    report.comparison = baseline_comparison(
        y_test,
        proba,
        baseline_proba[:, order],
        pipeline.classes_,
        threshold=report.operating_point["threshold"] if binary else None,
        pos_label=report.operating_point.get("pos_label") if binary else None,
        n_bootstraps=n_bootstraps,
        random_state=random_state,
    )
    if report.figures:
        from skmed.plotting import plot_model_comparison

        report.add_figure("comparison", lambda ax: plot_model_comparison(report.comparison, ax=ax))
    report.sample_size = sample_size_check(pipeline, X_train, y_test, proba, len(y_train))
    report.notes.extend(report.sample_size["warnings"])
    seconds["baseline and sample size"] = time.perf_counter() - start

    say("ONNX export")
    start = time.perf_counter()
    classifier = pipeline[-1]
    metadata: dict[str, Any] = {
        "target": target,
        "validation": validation,
        "class_weight": "balanced",
    }
    if best_params:
        metadata["grid_best_params"] = {k: jsonable(v) for k, v in best_params.items()}
    onnx_bytes, notes = export_trained(
        pipeline,
        X_train,
        column_types,
        metadata,
        impute=impute,
        n_test=len(y_test) if holdout else 0,
        reference_target=y_train,
        allow_patient_rows=allow_patient_rows,
        model_card=model_card,  # carried in the file: a server's form, a later evaluation
        optional_columns=optional_columns,
    )
    report.notes.extend(notes)
    seconds["ONNX export"] = time.perf_counter() - start

    say("parity check")
    start = time.perf_counter()
    parity = check_parity(onnx_bytes, pipeline, X_test)
    diff, agreement = parity["max_abs_diff"], parity["label_agreement"]
    report.notes.append(
        f"ONNX export checked on the {len(y_test)} {'held-out ' if holdout else ''}rows with "
        "skmed.runtime: largest "
        f"probability difference {diff:.2e}, predicted labels identical for "
        f"{agreement:.2%} of rows."
    )
    seconds["parity check"] = time.perf_counter() - start

    return TrainingResult(
        pipeline=pipeline,
        column_types=column_types,
        classes=[jsonable(c) for c in classifier.classes_.tolist()],
        n_rows=int(len(y)),
        n_train=int(len(y_train)),
        n_test=int(len(y_test)),
        validation=validation,
        onnx_bytes=onnx_bytes,
        report=report,
        parity_max_abs_diff=diff,
        parity_label_agreement=agreement,
        best_params=best_params,
        cv_score=cv_score,
        epochs_run=int(classifier.n_iter_),
        seconds=seconds,
    )
