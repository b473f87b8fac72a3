"""Pieces built separately, working together: symptom lists in the CLI pipeline, explanations in
the report."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from skmed import to_onnx
from skmed.datasets import load_diagnosis
from skmed.pipeline import infer_column_types, make_clinical_pipeline
from skmed.preprocessing import SymptomEncoder
from skmed.runtime import OnnxClassifier

FAST = dict(hidden_layer_sizes=(16,), learning_rate=0.02, epochs=15, early_stopping=False)


@pytest.fixture(scope="module")
def symptom_pipeline():
    data = load_diagnosis(n_samples=500, include_symptom_text=True)
    X, y = data.data, data.target
    types = infer_column_types(X)
    pipe = make_clinical_pipeline(types, **FAST, random_state=0).fit(X, y)
    return pipe, X, y, types


def test_clinical_pipeline_encodes_symptom_lists_and_exports_them(symptom_pipeline):
    pipe, X, _, types = symptom_pipeline
    assert types.text == ["symptoms"]
    assert "sex" in types.categorical
    encoders = [t for _, t, cols in pipe[0].transformers_ if isinstance(t, SymptomEncoder)]
    assert len(encoders) == 1 and "fever" in encoders[0].vocabulary_[0]
    runtime = OnnxClassifier(to_onnx(pipe, X.head(20)).SerializeToString())
    new = X.head(50).copy()
    new.loc[new.index[:3], "symptoms"] = ["Fever;  DRY cough", "", "never seen symptom"]
    np.testing.assert_allclose(runtime.predict_proba(new), pipe.predict_proba(new), atol=1e-5)
    np.testing.assert_array_equal(runtime.predict(new), pipe.predict(new))


def test_report_shows_explanations(symptom_pipeline):
    pytest.importorskip("matplotlib")
    from skmed.explain import column_importance, explain_patient
    from skmed.report import build_report

    pipe, X, y, _ = symptom_pipeline
    importance = column_importance(pipe, X.head(200), y.head(200), n_repeats=3)
    patient = explain_patient(pipe, X.iloc[[0]], baseline=X.head(200))
    report = build_report(
        y,
        pipe.predict_proba(X),
        model=pipe,
        n_bootstraps=50,
        importance=importance,
        explanations=[patient],
    )
    page = report.to_html()

    class Collect(HTMLParser):
        ids: set = set()
        images = 0

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            self.ids.add(attrs.get("id"))
            self.images += tag == "img" and attrs.get("src", "").startswith("data:image/png")

    parser = Collect()
    parser.feed(page)
    assert {"explanations", "fig-importance", "fig-waterfall_0"} <= parser.ids
    assert patient.summary().split(".")[0] in page
    assert report.to_dict()["explanations"][0]["summary"] == patient.summary()
