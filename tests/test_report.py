"""skmed.report and skmed.plotting: the HTML/JSON report renders offline; plots return Displays."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from html_parts import parse_html
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmed.report import SECTIONS, ClinicalReport, build_report
from skmed.thresholds import tune_threshold

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def binary_case():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8].copy()
    rng = np.random.default_rng(0)
    X["sex"] = rng.choice(["F", "M"], len(X))
    X["site"] = rng.choice(["A", "B", "C"], len(X), p=[0.46, 0.46, 0.08])
    X.loc[X.index[:20], "mean radius"] = np.nan
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, test_size=0.4, random_state=0)
    numeric = list(X.columns[:8])
    from sklearn.impute import SimpleImputer

    pipe = make_pipeline(
        ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric)]),
        LogisticRegression(),
    )
    tuned = tune_threshold(pipe, X_tr, y_tr, min_value=0.95, cv=StratifiedKFold(5))
    return tuned, X_te, y_te.to_numpy()


@pytest.fixture(scope="module")
def binary_report(binary_case):
    tuned, X_te, y_te = binary_case
    return build_report(
        y_te,
        tuned.predict_proba(X_te),
        model=tuned,
        X=X_te,
        groups=["sex", "site"],
        title="Breast cancer <test>",
        n_bootstraps=200,
        model_card={"intended_use": "Second reader for biopsies", "site_notes": "demo only"},
    )


def test_report_html_has_every_section_and_embedded_image(binary_report, tmp_path):
    path = tmp_path / "report.html"
    text = binary_report.to_html(path)
    assert path.read_text(encoding="utf-8") == text
    parsed = parse_html(text)
    assert parsed.sections == list(SECTIONS)
    expected = {"roc", "precision_recall", "calibration", "confusion_matrix", "decision_curve"}
    assert set(binary_report.figures) == expected
    assert len(parsed.images) == len(expected)
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # opens offline: nothing fetched from the network, no scripts or stylesheets to load
    assert not [u for u in parsed.urls if u.startswith(("http://", "https://", "//"))]
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert "Breast cancer &lt;test&gt;" in text  # user text is escaped


def test_report_content_operating_point_subgroups_model_card(binary_case, binary_report):
    tuned, X_te, y_te = binary_case
    op = binary_report.operating_point
    assert op["threshold"] == tuned.best_threshold_
    assert "maximise specificity subject to sensitivity >= 0.95" in op["source"]
    p = tuned.predict_proba(X_te)[:, 1]
    hat = p >= tuned.best_threshold_
    assert op["confusion"]["tp"] == int(np.sum(hat & (y_te == 1)))
    assert op["confusion"]["tn"] == int(np.sum(~hat & (y_te == 0)))
    sens = op["confusion"]["tp"] / (y_te == 1).sum()
    assert op["metrics"]["sensitivity"]["estimate"] == pytest.approx(sens)
    sg = binary_report.subgroups
    assert set(sg["level"]) == {"F", "M", "A", "B", "C"}
    assert sg.loc[sg["level"] == "C", "too_small"].all()  # ~18 patients at site C
    assert any("site=C" in n for n in binary_report.notes)
    assert binary_report.data_summary["missing_fraction"]["mean radius"] > 0
    html_text = binary_report.to_html()
    assert "Second reader for biopsies" in html_text
    assert "site_notes" in html_text and "Not provided." in html_text  # missing card fields
    assert "too small" in html_text


def test_report_json_twin(binary_report, tmp_path):
    path = tmp_path / "report.json"
    binary_report.to_json(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {
        "data_summary",
        "metrics",
        "subgroups",
        "operating_point",
        "figures",
        "model_card",
        "calibration",
    } <= set(data)
    auc = [r for r in data["metrics"] if r["metric"] == "roc_auc"][0]
    expected = binary_report.metrics.set_index("metric").loc["roc_auc"]
    assert auc["estimate"] == pytest.approx(expected["estimate"])
    assert auc["ci_lower"] == pytest.approx(expected["ci_lower"])
    assert set(data["figures"]) == set(binary_report.figures)
    assert data["model_card"]["intended_use"] == "Second reader for biopsies"
    assert data["model_card"]["extra"] == {"site_notes": "demo only"}
    assert data["operating_point"]["threshold"] == pytest.approx(
        binary_report.operating_point["threshold"]
    )


def test_multiclass_report_and_threshold_error():
    X, y = load_iris(return_X_y=True)
    names = load_iris().target_names[y]
    model = LogisticRegression(max_iter=1000).fit(X[::2], names[::2])
    proba = model.predict_proba(X[1::2])
    report = build_report(names[1::2], proba, model=model, n_bootstraps=100)
    assert isinstance(report, ClinicalReport)
    assert set(report.metrics["class"]) == {"setosa", "versicolor", "virginica", "macro"}
    assert report.operating_point["threshold"] is None
    assert "decision_curve" not in report.figures and "roc" in report.figures
    assert parse_html(report.to_html()).sections == list(SECTIONS)
    json.loads(report.to_json())
    with pytest.raises(ValueError, match="threshold applies to binary problems only"):
        build_report(names[1::2], proba, model=model, threshold=0.3)


def test_report_bad_inputs():
    y = np.array([0, 1] * 30)
    p = np.linspace(0.05, 0.95, 60)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        build_report(y, p * 2, plots=False)
    with pytest.raises(ValueError, match=r"Grouping column\(s\) \['age_band'\] not found in X"):
        build_report(y, p, X=pd.DataFrame({"sex": ["F"] * 60}), groups=["age_band"], plots=False)
    with pytest.raises(ValueError, match=r"no samples of class\(es\) \['c'\]"):
        build_report(np.array(["a", "b"] * 30), np.full((60, 3), 1 / 3), classes=["a", "b", "c"])


def test_report_with_mlp_has_training_curves(breast_cancer_scaled):
    from skmed import MedicalMLPClassifier

    X, y = breast_cancer_scaled
    model = MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=15, random_state=0)
    model.fit(X[::2], y[::2])  # early stopping on: history_ has val_loss
    report = build_report(y[1::2], model.predict_proba(X[1::2]), model=model, n_bootstraps=50)
    assert "training" in report.figures
    assert report.model_info["type"] == "MedicalMLPClassifier"
    assert len(parse_html(report.to_html()).images) == 6


def test_report_pos_label_string_labels_and_clinical_metrics_attrs():
    rng = np.random.default_rng(1)
    y = np.where(rng.random(200) < 0.4, "sick", "well")
    p_sick = np.clip(0.4 * (y == "sick") + rng.uniform(0, 0.6, 200), 0, 1)
    proba = np.column_stack([p_sick, 1 - p_sick])  # columns: classes ["sick", "well"]
    report = build_report(y, proba, pos_label="sick", threshold=0.5, n_bootstraps=20, plots=False)
    op = report.operating_point
    assert op["pos_label"] == "sick" and "positive_label" not in op
    assert report.metrics.attrs["pos_label"] == "sick"
    assert "positive_label" not in report.metrics.attrs
    hat = p_sick >= 0.5
    sick = y == "sick"
    assert op["confusion"] == {
        "tp": int(np.sum(hat & sick)),
        "fp": int(np.sum(hat & ~sick)),
        "fn": int(np.sum(~hat & sick)),
        "tn": int(np.sum(~hat & ~sick)),
    }
    assert "<th>Positive class</th><td>sick</td>" in report.to_html()
    with pytest.raises(TypeError, match="positive_label"):
        build_report(y, proba, positive_label="sick", plots=False)


def test_training_history_of_calibrated_pipeline_marks_best_epoch(
    breast_cancer_scaled, close_figures
):
    from sklearn.calibration import CalibratedClassifierCV

    from skmed import MedicalMLPClassifier, plotting

    X, y = breast_cancer_scaled
    mlp = MedicalMLPClassifier(hidden_layer_sizes=(4,), epochs=12, random_state=0)
    model = make_pipeline(StandardScaler(), CalibratedClassifierCV(mlp, cv=2)).fit(X, y)
    fitted = model[-1].calibrated_classifiers_[0].estimator
    assert fitted.best_epoch_ is not None
    fig = plotting.plot_training_history(model)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["training loss", "validation loss", f"best epoch ({fitted.best_epoch_})"]
    assert len(fig.axes[0].lines[0].get_xdata()) == len(fitted.history_["loss"])


def test_report_without_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    y = np.array([0, 1] * 40)
    p = np.clip(0.3 * y + np.linspace(0.1, 0.6, 80), 0, 1)
    report = build_report(y, p, n_bootstraps=50)
    assert report.figures == {}
    assert any("pip install 'skmed[plot]'" in n for n in report.notes)
    assert parse_html(report.to_html()).sections == list(SECTIONS)
    from skmed import plotting

    with pytest.raises(ImportError, match=r"pip install 'skmed\[plot\]'"):
        plotting.plot_roc(y, p)


def test_importing_evaluation_modules_loads_neither_keras_nor_matplotlib():
    code = (
        "import sys, skmed.metrics, skmed.thresholds, skmed.calibration, skmed.plotting, "
        "skmed.report; bad = [m for m in ('keras', 'matplotlib', 'torch') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- plotting


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_plot_functions_return_displays_and_figures(close_figures):
    from matplotlib.figure import Figure
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    from skmed import plotting

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, 300), 0, 1)
    roc = plotting.plot_roc(y, p, n_bootstraps=100)
    assert isinstance(roc, RocCurveDisplay)
    band = roc.ci_band_
    assert np.all(band["tpr_lower"] <= band["tpr_upper"])
    assert roc.roc_auc == pytest.approx(
        __import__("sklearn.metrics", fromlist=["roc_auc_score"]).roc_auc_score(y, p)
    )
    assert isinstance(plotting.plot_precision_recall(y, p), PrecisionRecallDisplay)
    assert isinstance(plotting.plot_calibration(y, p), CalibrationDisplay)
    cm = plotting.plot_confusion_matrix(y, p, threshold=0.4)
    assert isinstance(cm, ConfusionMatrixDisplay)
    hat = p >= 0.4
    assert cm.confusion_matrix[1, 1] == np.sum(hat & (y == 1))
    assert cm.confusion_matrix[0, 1] == np.sum(hat & (y == 0))
    assert isinstance(plotting.plot_decision_curve(y, p), Figure)
    fig = plotting.plot_training_history({"loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.65]})
    assert isinstance(fig, Figure)
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [3, 3]


def test_plot_multiclass_and_errors(close_figures):
    from skmed import plotting

    X, y = load_iris(return_X_y=True)
    proba = LogisticRegression(max_iter=1000).fit(X, y).predict_proba(X)
    displays = plotting.plot_roc(y, proba, n_bootstraps=0)
    assert len(displays) == 3 and displays[0].ax_ is displays[2].ax_
    assert plotting.plot_confusion_matrix(y, proba).confusion_matrix.sum() == 150
    with pytest.raises(ValueError, match="Decision curves need a binary outcome"):
        plotting.plot_decision_curve(y, proba)
    with pytest.raises(ValueError, match="No training history found"):
        plotting.plot_training_history(LogisticRegression())
