"""The point-of-care contract (skmed._contract, the runtime, the real server on loopback): no
confident answer for an empty or impossible patient, and every answer says which values were
imputed, out of range or unseen."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from serve_models import OPTIONAL, fit_models  # noqa: E402
from serve_process import Server  # noqa: E402

from skmed import to_onnx  # noqa: E402
from skmed._contract import training_range  # noqa: E402
from skmed.runtime import InputError, OnnxClassifier  # noqa: E402

CARD = {
    "model_name": "Pneumonia triage (tests)",
    "columns": {"temperature": {"label": "Body temperature", "unit": "°C", "range": [34, 42]}},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The symptoms model twice: as exported by default (its columns, never missing in the
    300 training rows, required; a model card's plausible range), and with every column
    optional (ranges from the training data)."""
    model, X = fit_models()["symptoms"]
    directory = tmp_path_factory.mktemp("contract")
    required, optional = directory / "required.onnx", directory / "optional.onnx"
    to_onnx(model, X.head(50), path=required, reference_data=X, model_card=CARD)
    to_onnx(
        model, X.head(50), path=optional, reference_data=X, optional_columns=OPTIONAL["symptoms"]
    )
    return model, X, required, optional


@pytest.fixture(scope="module")
def server(files, tmp_path_factory):
    _, _, required, optional = files
    with Server(tmp_path_factory.mktemp("serve"), str(required), str(optional)) as running:
        yield running


@pytest.fixture(scope="module")
def strict_server(files, tmp_path_factory):
    _, _, required, _ = files
    with Server(tmp_path_factory.mktemp("strict"), str(required), "--strict") as running:
        yield running


PATIENT = {"temperature": 38.4, "smoking": "never", "symptoms": ["fever", "cough"]}


def _predict(server, name, *records):
    return server.request("POST", f"/v1/models/{name}/predict", {"records": list(records)})


def test_a_plain_patient_carries_no_warning(server):
    status, answer, _ = _predict(server, "required", PATIENT)
    assert status == 200
    assert answer["predictions"][0]["warnings"] == []


@pytest.mark.parametrize("record", [{}, {"temperature": None, "smoking": None, "symptoms": None}])
def test_an_empty_patient_gets_no_answer(server, record):
    status, answer, _ = _predict(server, "optional", PATIENT, record)
    assert status == 422
    assert "Row 1 has no observed predictor" in answer["error"]["message"]
    assert answer["error"]["row"] == 1


def test_a_required_column_may_not_be_left_out(server):
    status, answer, _ = _predict(server, "required", {**PATIENT, "temperature": None})
    assert status == 422
    error = answer["error"]
    assert error["field"] == "temperature"
    assert "never missing in the model's training data" in error["message"]
    status, answer, _ = _predict(server, "required", {"smoking": "never", "symptoms": []})
    assert status == 422 and answer["error"]["field"] == "temperature"


def test_an_imputed_value_is_named(server):
    status, answer, _ = _predict(server, "optional", {**PATIENT, "temperature": None})
    assert status == 200
    (warning,) = answer["predictions"][0]["warnings"]
    assert (warning["column"], warning["kind"], warning["value"]) == (
        "temperature",
        "imputed",
        None,
    )


def test_out_of_range_against_the_card_and_the_training_data(server, files):
    status, answer, _ = _predict(server, "required", {**PATIENT, "temperature": 45.0})
    assert status == 200
    (warning,) = answer["predictions"][0]["warnings"]
    assert warning["kind"] == "out_of_range" and (warning["low"], warning["high"]) == (34, 42)
    assert "the model card's plausible range (34 to 42)" in warning["message"]
    # no card: Tukey's outer fences of the training quartiles
    _, X, _, optional = files
    low, high = training_range(OnnxClassifier(optional).input_profile["temperature"])
    q25, q75 = np.percentile(X["temperature"], [25, 75])
    assert low == pytest.approx(q25 - 3 * (q75 - q25), rel=0.02)
    status, answer, _ = _predict(server, "optional", {**PATIENT, "temperature": -500.0}, PATIENT)
    assert status == 200
    first, second = answer["predictions"]
    assert [w["kind"] for w in first["warnings"]] == ["out_of_range"] and second["warnings"] == []
    assert "the training data's range" in first["warnings"][0]["message"]


def test_an_unseen_category_is_named(server):
    status, answer, _ = _predict(server, "required", {**PATIENT, "smoking": "vaping"})
    assert status == 200
    (warning,) = answer["predictions"][0]["warnings"]
    assert (warning["column"], warning["kind"], warning["value"]) == (
        "smoking",
        "unseen_category",
        "vaping",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("temperature", True, "must hold numbers (double), but row 0 holds bool value True"),
        ("temperature", "38.4", "must hold numbers (double), but row 0 holds str value '38.4'"),
        ("smoking", 3, "must hold text (string), but row 0 holds int value 3"),
    ],
)
def test_strict_json_types(server, field, value, message):
    status, answer, _ = _predict(server, "required", {**PATIENT, field: value})
    assert status == 422
    assert answer["error"]["field"] == field and message in answer["error"]["message"]


def test_a_strict_server_refuses_what_it_would_warn_of(strict_server):
    status, _, _ = _predict(strict_server, "required", PATIENT)
    assert status == 200
    for change, kind in (
        ({"temperature": 45.0}, "out_of_range"),
        ({"smoking": "vaping"}, "unseen"),
    ):
        status, answer, _ = _predict(strict_server, "required", {**PATIENT, **change})
        assert status == 422, answer
        assert (
            kind in answer["error"]["message"]
            and "Strict mode refuses it" in (answer["error"]["message"])
        )


def test_openapi_describes_what_is_accepted(server, strict_server):
    _, document, _ = server.request("GET", "/openapi.json")
    record = document["components"]["schemas"]["required.Record"]
    assert set(record["required"]) == {"temperature", "smoking"}  # no symptom: an empty list
    smoking = record["properties"]["smoking"]
    assert "enum" not in smoking  # any text is accepted (with a warning) ...
    assert "unseen_category" in smoking["description"]
    temperature = record["properties"]["temperature"]
    assert temperature["type"] == "number"  # required: not nullable
    assert "Body temperature (°C)" in temperature["description"]
    assert "Plausible range (model card): 34 to 42" in temperature["description"]
    optional = document["components"]["schemas"]["optional.Record"]
    assert "required" not in optional and optional["properties"]["temperature"]["type"] == [
        "number",
        "null",
    ]
    row = document["components"]["schemas"]["required.Prediction"]
    assert "warnings" in row["required"]
    _, strict, _ = strict_server.request("GET", "/openapi.json")
    enum = strict["components"]["schemas"]["required.Record"]["properties"]["smoking"]["enum"]
    assert sorted(enum) == ["current", "former", "never"]  # ... unless the server is strict


# ---------------------------------------------------------------------- the runtime


def test_runtime_warnings_and_strict_mode(files):
    model, X, required, optional = files
    runtime = OnnxClassifier(optional)
    rows = [PATIENT, {**PATIENT, "temperature": None, "smoking": "vaping"}]
    rows = [{**r, "symptoms": ";".join(r["symptoms"])} for r in rows]
    warnings = runtime.input_warnings(rows)
    assert warnings[0] == []
    assert [(w["column"], w["kind"]) for w in warnings[1]] == [
        ("temperature", "imputed"),
        ("smoking", "unseen_category"),
    ]
    labels, proba, again = runtime.predict_with_proba(rows, return_warnings=True)
    assert again == warnings
    np.testing.assert_array_equal(labels, runtime.predict(rows))
    strict = OnnxClassifier(optional, strict=True)
    np.testing.assert_allclose(strict.predict_proba(rows[:1]), proba[:1])
    with pytest.raises(InputError, match=r"Row 1: temperature is missing: the model imputed it"):
        strict.predict_proba(rows)
    with pytest.raises(InputError, match="Row 0 has no observed predictor"):
        runtime.predict_proba([{"temperature": None, "smoking": None, "symptoms": None}])


def test_skmed_predict_strict(files, tmp_path):
    import pandas as pd

    from skmed.cli import main

    _, X, required, _ = files
    rows = X.head(5).copy()
    rows.loc[rows.index[3], "temperature"] = 47.5
    rows.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", str(required), str(tmp_path / "rows.csv"), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 5
    out.unlink()
    code = main(
        ["predict", str(required), str(tmp_path / "rows.csv"), "--strict", "--out", str(out)]
    )
    assert code != 0 and not out.exists()  # nothing written


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_a_stray_text_value_is_named_for_every_pandas_dtype(files, dtype):
    """A read_csv column with one stray entry holds text: the error names that entry's row,
    not the first number held as text."""
    import pandas as pd

    _, X, _, optional = files
    rows = X.head(4).copy()
    text = ["37.1", "38.0", "unknown", "36.9"]
    rows["temperature"] = pd.Series(text, index=rows.index).astype(dtype)
    with pytest.raises(InputError, match=r"row 2 holds str value 'unknown'") as info:
        OnnxClassifier(optional).predict_proba(rows)
    assert (info.value.column, info.value.row) == ("temperature", 2)
