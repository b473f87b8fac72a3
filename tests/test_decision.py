"""One decision, end to end: the rule a fitted model applies is the rule its file applies, and
every view (the report, ``skmed evaluate``, ``skmed inspect``) counts and states that rule.

For each rule -- the arg-max, ``class_weight`` costs (two and three classes), a
``FixedThresholdClassifier`` and a ``TunedThresholdClassifierCV`` -- the report's confusion
matrix equals the counts of the exported file's labels on the same held-out rows.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import (
    FixedThresholdClassifier,
    TunedThresholdClassifierCV,
    train_test_split,
)

from skmed import MedicalMLPClassifier, to_onnx
from skmed._decision import DecisionRule, rule_from_metadata
from skmed.report import build_report
from skmed.runtime import OnnxClassifier
from skmed.thresholds import decision_rule

SMALL = dict(hidden_layer_sizes=(8,), epochs=15, n_members=1, random_state=0)


def _data(n_classes: int, n: int = 420) -> tuple[pd.DataFrame, np.ndarray]:
    """Imbalanced classes (costs move the decision), overlapping (labels near the boundary)."""
    rng = np.random.default_rng(n_classes)
    shares = [0.7, 0.3] if n_classes == 2 else [0.6, 0.28, 0.12]
    y = rng.choice(np.array(["low", "mid", "high"][:n_classes]), size=n, p=shares)
    centre = pd.Series(y).map({"low": 0.0, "mid": 1.0, "high": 2.0}).to_numpy()
    X = pd.DataFrame(
        {
            "glucose": rng.normal(100 + 15 * centre, 20, n),
            "bmi": rng.normal(27 + 1.5 * centre, 4, n),
            "age": rng.normal(50, 12, n),
        }
    )
    return X, y


def _model(kind: str):
    if kind == "argmax":
        return MedicalMLPClassifier(class_weight=None, **SMALL)
    net = MedicalMLPClassifier(class_weight="balanced", **SMALL)
    if kind.startswith("costs"):
        return net
    if kind == "fixed":
        return FixedThresholdClassifier(net, threshold=0.35, pos_label="mid")
    return TunedThresholdClassifierCV(net, scoring="balanced_accuracy", cv=3, random_state=0)


CASES = {
    "argmax": ("argmax", 2),
    "costs-binary": ("costs", 2),
    "costs-multiclass": ("costs", 3),
    "fixed": ("threshold", 2),
    "tuned": ("threshold", 2),
}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, tmp_path_factory):
    X, y = _data(CASES[request.param][1])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
    model = _model(request.param).fit(X_train, y_train)
    path = tmp_path_factory.mktemp("decision") / "model.onnx"
    to_onnx(model, X_train, path=path)
    runtime = OnnxClassifier(path)
    runtime.path = path  # for `skmed inspect` below
    return request.param, model, runtime, X_test, y_test


def _counts(y_true, labels, classes) -> list[list[int]]:
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    out = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, labels):
        out[index[t], index[p]] += 1
    return out.tolist()


def test_the_file_applies_the_models_rule(fitted):
    case, model, runtime, X_test, _ = fitted
    rule = decision_rule(model)
    assert rule.rule == CASES[case][0]
    assert runtime.decision == rule  # threshold, weights, positive class and source
    classes = runtime.classes_
    file_labels = runtime.predict(X_test)
    np.testing.assert_array_equal(file_labels, model.predict(X_test))
    picked = rule.predict_index(runtime.predict_proba(X_test), classes)
    np.testing.assert_array_equal(classes[picked], file_labels)


def test_report_counts_are_the_files_labels(fitted):
    case, model, runtime, X_test, y_test = fitted
    proba = model.predict_proba(X_test)
    report = build_report(y_test, proba, model=model, n_bootstraps=20, plots=False)
    op = report.operating_point
    classes = runtime.classes_.tolist()
    assert op["classes"] == classes
    assert op["confusion_matrix"] == _counts(y_test, runtime.predict(X_test), classes)
    assert op["description"] == runtime.decision.describe()
    assert op["rule"] == runtime.decision.rule
    if len(classes) == 2:
        assert op["threshold"] == pytest.approx(runtime.decision.threshold, abs=1e-12)
        pos = classes.index(op["pos_label"])
        c = op["confusion"]
        matrix = np.array(op["confusion_matrix"])
        assert c["tp"] == matrix[pos, pos] and c["fn"] == matrix[pos, 1 - pos]
        assert c["fp"] == matrix[1 - pos, pos] and c["tn"] == matrix[1 - pos, 1 - pos]
        rows = report.metrics.set_index("metric")["estimate"]
        assert rows["sensitivity"] == pytest.approx(c["tp"] / (c["tp"] + c["fn"]))
        assert rows["specificity"] == pytest.approx(c["tn"] / (c["tn"] + c["fp"]))
    else:  # per-class sensitivity of the file's labels (costs: arg-max of weights x risk)
        matrix = np.array(op["confusion_matrix"])
        table = report.metrics.set_index(["class", "metric"])["estimate"]
        for k, label in enumerate(classes):
            expected = matrix[k, k] / matrix[k].sum()
            assert table[(label, "sensitivity")] == pytest.approx(expected)


def test_evaluate_reports_the_rule_stored_in_the_file(fitted):
    from skmed import evaluate

    case, _, runtime, X_test, y_test = fitted
    report = evaluate(runtime, X_test, y_test, n_bootstraps=20, plots=False)
    op = report.operating_point
    classes = runtime.classes_.tolist()
    assert op["confusion_matrix"] == _counts(y_test, runtime.predict(X_test), classes)
    assert op["source"].startswith("stored in the file")
    assert runtime.decision.source in op["source"]
    assert op["rule"] == runtime.decision.rule and op["weights"] == (
        list(runtime.decision.weights) if runtime.decision.weights is not None else None
    )


def test_inspect_states_the_files_rule(fitted):
    _, _, runtime, _, _ = fitted
    out = _skmed("inspect", runtime.path)
    info = json.loads(_skmed("inspect", runtime.path, "--json"))
    assert f"Decision: {runtime.decision.describe()}" in out
    assert info["decision"] == json.loads(json.dumps(runtime.decision.to_dict()))


def _skmed(*args) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "skmed", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


# ---------------------------------------------------------------------- the rule itself


def test_costs_for_two_classes_are_the_equivalent_threshold():
    rule = DecisionRule.build(["no", "yes"], weights=[0.6, 1.9], source="class_weight")
    assert rule.threshold == pytest.approx(0.6 / 2.5)
    rng = np.random.default_rng(0)
    p1 = rng.random(2000)
    proba = np.column_stack([1 - p1, p1])
    away = np.abs(p1 - rule.threshold) > 1e-9  # ties aside
    as_threshold = (p1 >= rule.threshold).astype(int)
    np.testing.assert_array_equal(
        rule.predict_index(proba, ["no", "yes"])[away], as_threshold[away]
    )
    assert "least expected cost with class weights 0.6, 1.9 (class_weight)" in rule.describe()


def test_rule_round_trips_through_metadata():
    classes = ["a", "b", "c"]
    rule = DecisionRule.build(classes, weights=[1.0, 2.0, 4.0], source="class_weight='balanced'")
    meta = {"decision_weights": json.dumps([1.0, 2.0, 4.0]), "decision_source": rule.source}
    assert rule_from_metadata(classes, meta) == rule
    threshold = {"threshold": json.dumps({"value": 0.2, "pos_label": "b"})}
    assert rule_from_metadata(["a", "b"], threshold).predict_index(
        np.array([[0.79, 0.21], [0.81, 0.19]]), ["a", "b"]
    ).tolist() == [1, 0]


def test_report_threshold_overrides_the_rule_with_a_note():
    X, y = _data(2, n=200)
    p = np.clip(X["glucose"].to_numpy() / 200.0, 0, 1)
    proba = np.column_stack([1 - p, p])
    costs = DecisionRule.build(["low", "mid"], weights=[2.0, 1.0], source="costs")
    report = build_report(
        y,
        proba,
        classes=["low", "mid"],
        decision=costs,
        threshold=0.6,
        n_bootstraps=10,
        plots=False,
    )
    op = report.operating_point
    assert op["threshold"] == 0.6 and op["source"] == "given by the caller"
    assert any("overrides the model's own rule" in n for n in report.notes)
    with pytest.raises(ValueError, match="class weights .* do not match the 3 classes"):
        build_report(
            np.array(["a", "b", "c"] * 10),
            np.full((30, 3), 1 / 3),
            classes=["a", "b", "c"],
            decision=DecisionRule.build(["a", "b"], weights=[1.0, 2.0]),
            n_bootstraps=10,
            plots=False,
        )
