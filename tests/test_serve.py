"""``skmed serve``: the real server (uvicorn on a loopback port, in a subprocess) over HTTP."""

from __future__ import annotations

import json
import math
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from serve_models import write_models  # noqa: E402
from serve_process import Server  # noqa: E402

from skmed.runtime import OnnxClassifier  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return write_models(tmp_path_factory.mktemp("serve-models"))


@pytest.fixture(scope="module")
def server(models, tmp_path_factory):
    paths = [str(path) for _, _, path in models.values()]
    with Server(tmp_path_factory.mktemp("serve"), *paths) as running:
        yield running


def _records(X, n=20):
    rows = X.head(n).astype(object).where(X.head(n).notna(), None)
    return rows.to_dict(orient="records")


def _predict(server, name, body, **kwargs):
    return server.request("POST", f"/v1/models/{name}/predict", body, **kwargs)


@pytest.mark.parametrize("name", ["binary", "multiclass", "mixed", "symptoms"])
def test_parity_with_the_runtime(server, models, name):
    _, X, path = models[name]
    runtime = OnnxClassifier(path)
    rows = X.head(20)
    labels, proba = runtime.predict_with_proba(rows)
    records = _records(X)
    columns = {c: [r[c] for r in records] for c in X.columns}
    for body in ({"records": records}, {"columns": columns}):
        status, answer, headers = _predict(server, name, body)
        assert status == 200, answer
        assert headers["content-type"] == "application/json"
        got = np.array(
            [[p["probabilities"][str(c)] for c in runtime.classes_] for p in answer["predictions"]]
        )
        np.testing.assert_allclose(got, proba, rtol=0, atol=1e-12)
        assert [p["label"] for p in answer["predictions"]] == labels.tolist()
    status, answer, _ = _predict(server, name, rows.to_csv(index=False), content_type="text/csv")
    assert status == 200, answer
    got = np.array(
        [[p["probabilities"][str(c)] for c in runtime.classes_] for p in answer["predictions"]]
    )
    np.testing.assert_allclose(got, proba, rtol=0, atol=1e-12)


def test_binary_decision_at_the_threshold(server, models):
    _, X, path = models["binary"]
    status, answer, _ = _predict(server, "binary", {"records": _records(X, 60)})
    assert status == 200
    for p in answer["predictions"]:
        assert p["positive"] == (p["probabilities"]["malignant"] >= 0.3)
        assert p["label"] == ("malignant" if p["positive"] else "benign")
    status, described, _ = server.request("GET", "/v1/models/binary")
    rule = OnnxClassifier(path).decision
    assert described["decision"] == rule.to_dict()  # as skmed inspect --json states it
    assert (rule.rule, rule.pos_label, rule.threshold) == ("threshold", "malignant", 0.3)
    assert described["classes"] == ["benign", "malignant"]
    assert all(i["required"] for i in described["inputs"])  # StandardScaler, no imputer


def test_describe_mixed_model(server, models):
    status, described, _ = server.request("GET", "/v1/models/mixed")
    assert status == 200
    inputs = {i["name"]: i for i in described["inputs"]}
    assert list(inputs) == ["age", "bmi", "lactate", "smoker", "sex"]
    assert inputs["sex"]["categories"] == ["F", "M"] and inputs["sex"]["unknown_refused"]
    assert [inputs[c]["required"] for c in inputs] == [True, False, True, True, False]
    low, high = inputs["bmi"]["typical_range"]
    X = models["mixed"][1]
    assert low == pytest.approx(np.nanpercentile(X["bmi"], 5), rel=5e-3)
    assert high == pytest.approx(np.nanpercentile(X["bmi"], 95), rel=5e-3)
    assert described["model_card"]["intended_users"] == "The test suite"
    # a symptom-list column lists its vocabulary
    _, described, _ = server.request("GET", "/v1/models/symptoms")
    symptoms = next(i for i in described["inputs"] if i["name"] == "symptoms")
    assert symptoms["role"] == "symptoms" and symptoms["separator"] == ";"
    assert set(symptoms["symptoms"]) == {"cough", "fever", "headache", "rash", "fatigue"}


def test_symptoms_as_a_list_equal_the_joined_text(server, models):
    record = {"temperature": 38.4, "smoking": "never", "symptoms": "fever;cough"}
    as_list = {**record, "symptoms": ["fever", "cough"]}
    _, one, _ = _predict(server, "symptoms", {"records": [record]})
    _, two, _ = _predict(server, "symptoms", {"records": [as_list]})
    assert one["predictions"] == two["predictions"]
    expected = OnnxClassifier(models["symptoms"][2]).predict_proba([record])[0]
    got = list(one["predictions"][0]["probabilities"].values())
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_optional_fields_may_be_left_out(server, models):
    record = {"age": 61, "lactate": 2.5, "smoker": False}  # bmi and sex may be missing
    status, answer, _ = _predict(server, "mixed", {"records": [record]})
    assert status == 200, answer
    expected = OnnxClassifier(models["mixed"][2]).predict_proba(
        [{**record, "bmi": None, "sex": None}]
    )
    got = list(answer["predictions"][0]["probabilities"].values())
    np.testing.assert_allclose(got, expected[0], atol=1e-12)


GOOD = {"age": 61, "bmi": 30.1, "lactate": 2.5, "smoker": False, "sex": "F"}


@pytest.mark.parametrize(
    ("body", "status", "field", "row", "message"),
    [
        ({"records": [GOOD, {**GOOD, "bmi": "heavy"}]}, 422, "bmi", 1, "must hold numbers"),
        ({"records": [{**GOOD, "sex": "X"}]}, 422, "sex", 0, "unknown category 'X'"),
        ({"records": [{**GOOD, "lactate": None}]}, 422, "lactate", 0, "no imputer"),
        ({"records": [{k: v for k, v in GOOD.items() if k != "age"}]}, 422, "age", 0, "required"),
        ({"records": [{**GOOD, "height": 180}]}, 422, "height", 0, "unknown field"),
        ({"records": [GOOD, {**GOOD, "age": 50.5}]}, 422, "age", 1, "fractional"),
        ({"records": [{**GOOD, "smoker": "yes"}]}, 422, "smoker", 0, "booleans"),
        ({"records": [{**GOOD, "sex": ["F"]}]}, 422, "sex", 0, "holds list value"),
        ({"records": []}, 422, None, None, "empty"),
        ({"columns": {"age": []}}, 422, None, None, "empty"),
        ({"rows": [GOOD]}, 422, None, None, '"records"'),
        (
            {"columns": {**{k: [v] for k, v in GOOD.items()}, "bmi": [1.0, 2.0]}},
            422,
            None,
            None,
            "different lengths",
        ),
        ({"records": [1]}, 422, None, 0, "not an object"),
    ],
)
def test_bad_requests_name_the_row_and_field(server, body, status, field, row, message):
    got_status, answer, _ = _predict(server, "mixed", body)
    assert got_status == status, answer
    error = answer["error"]
    assert message in error["message"]
    assert error.get("field") == field
    assert error.get("row") == row


def test_bad_csv_names_the_line_and_field(server, models):
    X = models["mixed"][1].head(3).copy()
    X["lactate"] = X["lactate"].astype(object)
    X.loc[1, "lactate"] = "high"
    status, answer, _ = _predict(server, "mixed", X.to_csv(index=False), content_type="text/csv")
    assert status == 422
    assert answer["error"]["field"] == "lactate" and answer["error"]["row"] == 1
    assert "line 3" in answer["error"]["message"]
    status, answer, _ = _predict(server, "mixed", "age,bmi\n1,2\n", content_type="text/csv")
    assert status == 422 and answer["error"]["field"] == "lactate"


def test_transport_errors(server):
    status, answer, _ = _predict(server, "mixed", b"{not json", content_type="application/json")
    assert status == 400 and "not valid JSON" in answer["error"]["message"]
    status, answer, _ = _predict(
        server, "mixed", b"age=1", content_type="application/x-www-form-urlencoded"
    )
    assert status == 415 and "application/json, text/csv" in answer["error"]["message"]
    status, answer, _ = _predict(server, "nosuch", {"records": [GOOD]})
    assert status == 404 and "binary" in answer["error"]["message"]
    status, answer, _ = server.request("GET", "/v1/models/mixed/predict")
    assert status == 405 and answer["error"]["status"] == 405
    status, answer, _ = server.request("GET", "/nowhere")
    assert status == 404
    # several models: no unnamed /v1/predict
    status, _, _ = server.request("POST", "/v1/predict", {"records": [GOOD]})
    assert status == 404
    status, answer, _ = server.request("GET", "/v1/models")
    assert [m["name"] for m in answer["models"]] == ["binary", "multiclass", "mixed", "symptoms"]


def test_limits(models, tmp_path):
    path = models["mixed"][2]
    with Server(tmp_path, path, "--max-rows", "5", "--max-body-bytes", "2000") as server:
        status, answer, _ = server.request("POST", "/v1/predict", {"records": [GOOD] * 6})
        assert status == 413 and "at most 5" in answer["error"]["message"]
        status, answer, _ = server.request("POST", "/v1/predict", {"records": [GOOD] * 40})
        assert status == 413 and "limit is 2000" in answer["error"]["message"]
        # a chunked body without Content-Length is cut off at the limit as well
        with socket.create_connection((server.host, server.port)) as sock:
            chunk = b'{"records": [' + b" " * 3000
            sock.sendall(
                b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                + f"{len(chunk):x}\r\n".encode()
                + chunk
                + b"\r\n"
            )
            reply = _read_reply(sock).decode()
        assert reply.startswith("HTTP/1.1 413") and "exceeds the limit of 2000" in reply
        status, answer, _ = server.request("POST", "/v1/predict", {"records": [GOOD] * 5})
        assert status == 200 and answer["n_rows"] == 5
        assert server.request("GET", "/healthz")[0] == 200


def _read_reply(sock):
    """One HTTP response read off a raw socket: headers, then Content-Length bytes."""
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(65536)
    head, _, rest = reply.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


def test_no_500_and_still_serving_after_bad_requests(server):
    for body in (b"\xff\xfe", b"[]", b"null", b'{"records": null}', b'{"columns": [1]}', b"1e999"):
        status, answer, _ = _predict(server, "mixed", body, content_type="application/json")
        assert 400 <= status < 500, (body, answer)
    assert server.request("GET", "/healthz")[:2] == (200, {"status": "ok"})
    assert server.request("GET", "/readyz")[1]["status"] == "ready"


def test_request_values_never_reach_the_log(server):
    secret_name = "Zebediah-Quatermass-0420"
    record = {**GOOD, "bmi": 31.4159265, "sex": secret_name}
    _predict(server, "mixed", {"records": [record]})  # refused: unknown category
    _predict(server, "mixed", {"records": [{**GOOD, "bmi": 31.4159265}]})  # accepted
    _predict(server, "mixed", {"records": [{**GOOD, secret_name: 1}]})  # unknown field
    time.sleep(0.2)
    log = server.log()
    assert "POST predict model=mixed 200 rows=1" in log
    assert "POST predict model=mixed 422" in log
    assert secret_name not in log and "31.41" not in log


def test_server_process_loads_no_training_libraries(models, tmp_path):
    server = Server(tmp_path, models["mixed"][2]).start()
    assert server.request("POST", "/v1/predict", {"records": [GOOD]})[0] == 200
    assert server.request("GET", "/")[0] == 200
    assert server.stop() == 0
    loaded = set(server.modules())
    assert {"onnxruntime", "numpy", "pandas", "starlette", "uvicorn", "skmed.runtime"} <= loaded
    heavy = {
        "sklearn",
        "keras",
        "torch",
        "jax",
        "tensorflow",
        "skl2onnx",
        "skmed.classifier",
        "skmed.neural_network",
    }
    assert not heavy & loaded


def test_single_model_routes(models, tmp_path):
    _, X, path = models["multiclass"]
    with Server(tmp_path, f"iris={path}") as server:
        status, answer, _ = server.request("POST", "/v1/predict", {"records": _records(X, 3)})
        assert status == 200 and answer["model"] == "iris"
        status, named, _ = server.request(
            "POST", "/v1/models/iris/predict", {"records": _records(X, 3)}
        )
        assert named["predictions"] == answer["predictions"]
        status, described, _ = server.request("GET", "/v1/model")
        assert described["decision"]["rule"] == "costs" and described["name"] == "iris"


def test_bearer_token(models, tmp_path):
    token = "s3cret-token-for-the-tests-0123456789"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    with Server(tmp_path, models["mixed"][2], "--token-file", token_file) as server:
        body = {"records": [GOOD]}
        status, answer, headers = server.request("POST", "/v1/predict", body)
        assert status == 401 and "Missing bearer token" in answer["error"]["message"]
        assert headers["www-authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer " + "x" * len(token)}
        assert server.request("POST", "/v1/predict", body, headers=wrong)[0] == 401
        assert server.request("GET", "/v1/model", headers=wrong)[0] == 401
        assert server.request("GET", "/openapi.json")[0] == 401
        right = {"Authorization": f"Bearer {token}"}
        assert server.request("POST", "/v1/predict", body, headers=right)[0] == 200
        assert server.request("GET", "/openapi.json", headers=right)[0] == 200
        assert server.request("GET", "/healthz")[0] == 200  # probes stay open
        status, page, _ = server.request("GET", "/")
        assert status == 200 and 'id="token"' in page
        assert token not in server.log()
    # the environment variable works as well
    with Server(tmp_path, models["mixed"][2], env={"SKMED_SERVE_TOKEN": token}) as server:
        assert server.request("POST", "/v1/predict", {"records": [GOOD]})[0] == 401


def _serve_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "skmed", "serve", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_non_loopback_needs_a_token_or_insecure(models, tmp_path):
    path = models["mixed"][2]
    done = _serve_cli(path, "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 1
    assert "Refusing to listen on '0.0.0.0' without a bearer token" in done.stderr
    assert "--insecure" in done.stderr
    short = tmp_path / "short"
    short.write_text("abc\n")
    done = _serve_cli(path, "--token-file", short)
    assert done.returncode == 1 and "at least 16" in done.stderr
    with Server(tmp_path, path, "--host", "0.0.0.0", "--insecure") as server:
        assert server.host == "0.0.0.0"
        server.host = "127.0.0.1"
        assert server.request("GET", "/healthz")[0] == 200


def test_bad_model_files_are_refused_at_start(models, tmp_path):
    done = _serve_cli(tmp_path / "none.onnx")
    assert done.returncode == 1 and "none.onnx" in done.stderr
    path = models["mixed"][2]
    done = _serve_cli(f"a={path}", f"a={path}")
    assert done.returncode == 1 and "Two models are named 'a'" in done.stderr


def test_graceful_shutdown_finishes_the_request_in_flight(models, tmp_path):
    server = Server(tmp_path, models["mixed"][2]).start()
    body = json.dumps({"records": [GOOD] * 3}).encode()
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert server.process.poll() is None  # still waiting for the request to finish
        sock.sendall(body[10:])
        reply = _read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 200")
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["n_rows"] == 3
    assert server.stop() == 0


def test_openapi_document_validates_and_matches_the_inputs(server, models):
    from openapi_spec_validator import validate

    jsonschema = pytest.importorskip("jsonschema")
    status, document, _ = server.request("GET", "/openapi.json")
    assert status == 200
    validate(document)
    schemas = document["components"]["schemas"]
    record = schemas["mixed.Record"]
    assert list(record["properties"]) == ["age", "bmi", "lactate", "smoker", "sex"]
    assert record["required"] == ["age", "lactate", "smoker"]
    assert record["properties"]["age"]["type"] == "integer"
    assert record["properties"]["bmi"]["type"] == ["number", "null"]
    assert record["properties"]["lactate"]["type"] == "number"
    assert record["properties"]["smoker"]["type"] == "boolean"
    assert record["properties"]["sex"]["enum"] == ["F", "M", None]
    answers = document["paths"]["/v1/models/mixed/predict"]["post"]["responses"]["200"]["content"]
    assert set(answers) == {"application/json", "application/vnd.apache.arrow.stream"}
    prediction = schemas["multiclass.Prediction"]["properties"]["probabilities"]
    assert prediction["required"] == ["setosa", "versicolor", "virginica"]
    symptoms = schemas["symptoms.Record"]["properties"]["symptoms"]
    assert symptoms["anyOf"][1]["items"]["enum"] == sorted(
        ["cough", "fever", "headache", "rash", "fatigue"]
    )
    # requests and answers validate against the document's own schemas
    registry_root = {"components": document["components"]}

    def check(instance, name):
        schema = {**schemas[name], "components": registry_root["components"]}
        jsonschema.Draft202012Validator(schema).validate(instance)

    _, X, _ = models["mixed"]
    body = {"records": _records(X, 5)}
    check(body, "mixed.Request")
    check(record["examples"][0], "mixed.Record")
    _, answer, _ = _predict(server, "mixed", body)
    check(answer, "mixed.Response")
    _, answer, _ = _predict(server, "binary", {"records": _records(models["binary"][1], 3)})
    check(answer, "binary.Response")
    with pytest.raises(jsonschema.ValidationError):
        check({"records": [{**GOOD, "sex": "X"}]}, "mixed.Request")
    assert math.isfinite(document["components"]["schemas"]["mixed.Record"]["examples"][0]["bmi"])


def test_form_page_is_escaped_and_self_contained(server):
    status, page, headers = server.request("GET", "/models/mixed/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page  # no external assets
    assert 'name="sex"' in page and '<option value="F">F</option>' in page
    assert 'name="lactate" type="number" step="any"' in page
    status, index, _ = server.request("GET", "/")
    assert status == 200 and 'href="/models/symptoms/"' in index


def test_several_worker_processes(models, tmp_path):
    _, X, path = models["mixed"]
    with Server(tmp_path, path, "--workers", "2") as server:
        assert "workers: 2" in server.log()
        runtime = OnnxClassifier(path)
        for _ in range(6):  # connections land on either worker
            status, answer, _ = server.request("POST", "/v1/predict", {"records": _records(X, 5)})
            assert status == 200, answer
            got = [list(p["probabilities"].values()) for p in answer["predictions"]]
            np.testing.assert_allclose(got, runtime.predict_proba(X.head(5)), atol=1e-12)
        assert server.request("GET", "/readyz")[0] == 200
    assert server.process.returncode == 0


def _arrow_body(frame):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.ipc  # noqa: F401

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("name", ["mixed", "symptoms"])
def test_arrow_bodies_and_answers(server, models, name):
    import pyarrow.ipc

    _, X, path = models[name]
    runtime = OnnxClassifier(path)
    rows = X.head(40)
    labels, proba = runtime.predict_with_proba(rows)
    kind = "application/vnd.apache.arrow.stream"
    status, answer, _ = _predict(server, name, _arrow_body(rows), content_type=kind)
    assert status == 200, answer
    got = [[p["probabilities"][str(c)] for c in runtime.classes_] for p in answer["predictions"]]
    np.testing.assert_allclose(got, proba, atol=1e-12)
    connection_headers = {"Accept": kind}
    status, raw, headers = server.request(
        "POST",
        f"/v1/models/{name}/predict",
        _arrow_body(rows),
        content_type=kind,
        headers=connection_headers,
    )
    assert status == 200 and headers["content-type"] == kind
    table = pyarrow.ipc.open_stream(
        raw.encode("latin-1") if isinstance(raw, str) else raw
    ).read_all()
    assert table.column("label").to_pylist() == labels.tolist()
    got = np.column_stack([table.column(f"proba_{c}").to_numpy() for c in runtime.classes_])
    np.testing.assert_allclose(got, proba, atol=1e-12)


def test_arrow_errors(server, models):
    kind = "application/vnd.apache.arrow.stream"
    status, answer, _ = _predict(server, "mixed", b"not arrow", content_type=kind)
    assert status == 400 and "not an Arrow IPC stream" in answer["error"]["message"]
    X = models["mixed"][1].head(3)
    status, answer, _ = _predict(
        server, "mixed", _arrow_body(X.drop(columns="lactate")), content_type=kind
    )
    assert status == 422 and answer["error"]["field"] == "lactate"
