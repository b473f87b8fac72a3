"""skmed.drift and `skmed drift`: new data against the training summary in the file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from serve_models import fit_models, mixed_frame

from skmed import to_onnx
from skmed.cli import main
from skmed.drift import SMD_LIMIT, check_drift


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model, X = fit_models()["mixed"]
    directory = tmp_path_factory.mktemp("drift")
    path = directory / "mixed.onnx"
    # the summary of a larger sample of the training population, so that its own sampling
    # error does not dominate the comparison
    reference = mixed_frame(3000, seed=0)[0]
    to_onnx(model, X.head(20), path=path, reference_data=reference)
    bare = directory / "bare.onnx"
    to_onnx(model, X.head(20), path=bare, reference_data=None)
    return path, bare


def _site(n=400, seed=5):
    X, _ = mixed_frame(n, seed=seed)  # the same generator as the training rows
    return X


def test_same_distribution_is_not_flagged(exported):
    report = check_drift(exported[0], _site())
    assert report.flagged == []
    by = {c.column: c for c in report.columns}
    assert abs(by["lactate"].smd) < SMD_LIMIT
    assert by["sex"].new_categories == {} and by["sex"].vanished_categories == []


def test_shifted_columns_are_flagged_and_only_they(exported):
    X = _site()
    X["lactate"] = X["lactate"] + 1.5  # about one training SD
    X.loc[X.index[:120], "bmi"] = np.nan  # 30% more missing
    X["sex"] = X["sex"].astype(object)
    X.loc[X.index[:40], "sex"] = "unknown"  # a new category of 40 rows
    X.loc[X.index[40:45], "sex"] = "x"  # a rare one: counted, not listed
    report = check_drift(exported[0], X)
    assert sorted(report.flagged) == ["bmi", "lactate", "sex"]
    by = {c.column: c for c in report.columns}
    assert by["lactate"].smd > 0.8 and by["lactate"].median_shift > 0.5
    assert any("missing" in f for f in by["bmi"].flags)
    assert by["sex"].new_categories == {"unknown": 40}
    assert by["sex"].n_rare_new_values == 5
    assert "x" not in json.dumps(report.to_dict()["columns"][4]["new_categories"])
    assert not by["age"].flags and not by["smoker"].flags


def test_file_without_summary_and_bad_input(exported):
    report = check_drift(exported[1], _site())
    assert report.columns == [] and "holds no training summary" in report.note
    with pytest.raises(ValueError, match=r"the model's column\(s\) \['lactate'\] not found in X"):
        check_drift(exported[0], _site().drop(columns=["lactate"]))
    with pytest.raises(ValueError, match="numeric in the model, but row 2 holds 'high'"):
        X = _site()
        X["lactate"] = X["lactate"].astype(object)
        X.loc[X.index[2], "lactate"] = "high"
        check_drift(exported[0], X)
    with pytest.raises(ValueError, match="no rows"):
        check_drift(exported[0], _site().head(0))


def test_cli(exported, tmp_path, capsys):
    X = _site()
    X["lactate"] = X["lactate"] + 1.5
    X.to_csv(tmp_path / "site.csv", index=False)
    out = tmp_path / "drift.json"
    assert main(["drift", str(exported[0]), str(tmp_path / "site.csv"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "FLAG lactate" in printed and "ok   bmi" in printed
    assert "Flagged: 1 of 5 columns (lactate)" in printed
    saved = json.loads(out.read_text())
    assert saved["flagged"] == ["lactate"] and saved["thresholds"]["smd"] == SMD_LIMIT
    assert main(["drift", str(exported[1]), str(tmp_path / "site.csv")]) == 0
    assert "cannot be compared" in capsys.readouterr().out


def test_unknown_outcome_labels_are_refused_as_evaluate_refuses_them(exported, tmp_path, capsys):
    X = _site(60)
    classes = ["no sepsis", "sepsis"]
    y = np.array(classes * 30, dtype=object)
    report = check_drift(exported[0], X, y)  # known labels (no stored counts to compare)
    assert "holds no training class counts" in report.outcome_note
    y[7] = "septic shock"
    message = r"labels hold \['septic shock'\], which the model does not know"
    with pytest.raises(ValueError, match=message):
        check_drift(exported[0], X, y)
    X.assign(outcome=y).to_csv(tmp_path / "site.csv", index=False)
    code = main(["drift", str(exported[0]), str(tmp_path / "site.csv"), "--target", "outcome"])
    assert code != 0
    assert "septic shock" in capsys.readouterr().err
