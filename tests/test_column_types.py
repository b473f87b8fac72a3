"""Column types at training: a numeric column with stray text is an error naming the column,
the CSV line and the entry (never a silent categorical column); ``na_values`` /
``--na-values`` read such entries as missing, ``categorical`` / ``--categorical`` keeps a column
as categories. Through ``skmed train`` (a subprocess and in-process) and from Python."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skmed.cli import main
from skmed.datasets import load_diagnosis
from skmed.pipeline import infer_column_types, make_clinical_pipeline, prepare_features
from skmed.runtime import OnnxClassifier

FAST = ["--epochs", "5", "--bootstraps", "50", "--validation", "holdout", "--quiet"]


def run(*args):
    """``skmed args`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def stray_csv(tmp_path):
    """The diagnosis table (200 rows) with "unknown" in ``crp_mg_l`` on file line 7 (data row 5)."""
    frame = load_diagnosis(n_samples=200, random_state=3).frame
    frame["crp_mg_l"] = frame["crp_mg_l"].astype(object)
    frame.loc[5, "crp_mg_l"] = "unknown"
    frame.to_csv(tmp_path / "train.csv", index=False)
    return tmp_path


def test_train_stops_naming_column_line_and_value_and_writes_nothing(stray_csv):
    proc = subprocess.run(
        [sys.executable, "-m", "skmed", "train", "train.csv", "--target", "diagnosis", *FAST],
        capture_output=True,
        text=True,
        cwd=stray_csv,
        env={**os.environ},
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skmed: error: "), proc.stderr
    message = lines[0]
    for fragment in ("'crp_mg_l'", "line 7 of 'train.csv'", "'unknown'", "1 of ", "--na-values"):
        assert fragment in message, message
    assert "--categorical crp_mg_l" in message
    assert sorted(os.listdir(stray_csv)) == ["train.csv"]  # no model, no report, no temp file


def test_na_values_turn_the_entry_into_a_missing_value_and_train(stray_csv):
    d = stray_csv
    rc, _, err = run("train", d / "train.csv", "--target", "diagnosis", "--na-values", "unknown",
                     "--out", d / "m.onnx", "--report", d / "r.html", *FAST)  # fmt: skip
    assert rc == 0, err
    model = OnnxClassifier(d / "m.onnx")
    numeric = json.loads(model.metadata["numeric_features"])
    assert "crp_mg_l" in numeric
    kinds = {s.name: s.kind for s in model.input_schema.inputs}
    assert kinds["crp_mg_l"] == "double"
    # the imputer saw the gap: a row without crp is scored like any other
    X = load_diagnosis(n_samples=20, random_state=4).data
    X.loc[0, "crp_mg_l"] = np.nan
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{rng.normal(50, 10):.1f},{rng.choice(['F', 'M'])},{'yes' if i % 2 else 'no'}"
            for i in range(40)]  # fmt: skip
    rows[2] = '51.0,"F\nsecond line",yes'  # a quoted field over two lines: lines 4-5
    rows[30] = "n.d.,M,no"
    text = "age,sex,ill\n" + "\n".join(rows[:10]) + "\n\n" + "\n".join(rows[10:]) + "\n"
    (tmp_path / "t.csv").write_text(text)
    # header 1, rows 0-1 on 2-3, row 2 on 4-5, rows 3-9 on 6-12, blank 13, row 10 on 14
    rc, _, err = run("train", tmp_path / "t.csv", "--target", "ill", *FAST)
    assert rc == 1
    assert f"line {14 + 20} of" in err and "'n.d.'" in err and "'age'" in err, err


def test_categorical_option_keeps_a_mostly_numeric_column_as_categories(stray_csv):
    d = stray_csv
    rc, _, err = run("train", d / "train.csv", "--target", "diagnosis", "--categorical",
                     "crp_mg_l", "--out", d / "m.onnx", *FAST)  # fmt: skip
    assert rc == 0, err
    model = OnnxClassifier(d / "m.onnx")
    assert "crp_mg_l" in json.loads(model.metadata["categorical_features"])
    rc, _, err = run("train", d / "train.csv", "--target", "diagnosis", "--categorical", "crp",
                     "--out", d / "m2.onnx", *FAST)  # fmt: skip
    assert rc == 1 and "'crp'" in err and "--categorical" in err
    assert not os.path.exists(d / "m2.onnx")


# ---------------------------------------------------------------------- from Python


def lab_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(5, 1, n).round(2).astype(object)
    return pd.DataFrame({"lab": values, "sex": rng.choice(["F", "M"], n)})


def test_python_side_names_column_row_and_value():
    frame = lab_frame()
    frame.loc[17, "lab"] = "unknown"
    for call in (infer_column_types, make_clinical_pipeline):
        message = r"'lab'.*index 17.*'unknown'.*na_values=\['unknown'\]"
        with pytest.raises(ValueError, match=message):
            call(frame)
    types = infer_column_types(frame, na_values=["unknown"])
    assert types.numeric == ["lab"] and types.categorical == ["sex"]
    X = prepare_features(frame, types)
    assert X["lab"].dtype == np.float64 and np.isnan(X.loc[17, "lab"])
    assert X["lab"].isna().sum() == 1
    np.testing.assert_allclose(X.loc[16, "lab"], float(frame.loc[16, "lab"]))
    assert infer_column_types(frame, categorical=["lab"]).categorical == ["lab", "sex"]
    with pytest.raises(ValueError, match="'labs'"):
        infer_column_types(frame, categorical=["labs"])


def test_na_values_match_numbers_and_surrounding_spaces():
    frame = lab_frame()
    frame.loc[3, "lab"] = " not done "
    frame.loc[4, "lab"] = -1
    frame.loc[5, "lab"] = "-1.0"
    types = infer_column_types(frame, na_values=["not done", "-1"])
    X = prepare_features(frame, types)
    assert X["lab"].isna().to_numpy().nonzero()[0].tolist() == [3, 4, 5]


@pytest.mark.parametrize(
    ("entries", "kind"),
    [
        # a lab with a third of the rows marked "not done": still a numeric column
        (["not done"] * 70 + [f"{v:.1f}" for v in np.linspace(1, 9, 130)], "error"),
        # a few kinds of stray entries among many numbers
        (["<5", ">1000", "haemolysed"] * 2 + [str(v) for v in range(194)], "error"),
        # many distinct free-text notes, rare: still a numeric column
        ([f"note {i}" for i in range(8)] + [str(v % 60) for v in range(192)], "error"),
        # a score 1-3 with "unknown"
        (["1", "2", "3"] * 50 + ["unknown"] * 50, "error"),
        # ICD-10 codes, some purely digits: categorical
        (["E11", "I10", "J45", "N18", "K21", "250"] * 34, "categorical"),
        # ICD-9 codes: mostly digits, with many distinct V/E codes: categorical
        ([f"{400 + i % 80}" for i in range(160)] + [f"V{i}" for i in range(40)], "categorical"),
        # words
        (["mild", "moderate", "severe", "1"] * 50, "categorical"),
        # stage codes made text on purpose (astype(str)): categorical
        (["1", "2", "3", "4"] * 50, "categorical"),
        # numbers as text with blanks: numeric
        ([" 1.5", "2", "", None, "3e2"] * 40, "numeric"),
    ],
)
def test_the_rule_separates_stray_entries_from_category_codes(entries, kind):
    other = ["a", "b"] * (len(entries) // 2)
    frame = pd.DataFrame({"x": pd.Series(entries, dtype=object), "y": other})
    if kind == "error":
        with pytest.raises(ValueError, match="'x' is numeric but"):
            infer_column_types(frame)
    else:
        types = infer_column_types(frame)
        assert "x" in (types.numeric if kind == "numeric" else types.categorical)
