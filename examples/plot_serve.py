"""
Serve a model over HTTP
=======================

Export a pipeline, start ``skmed serve`` on a free loopback port, and call it the way another
application would: JSON records in, one label and one named probability per class out. The
server loads only onnxruntime, numpy, pandas, Starlette and uvicorn. Needs
``pip install "skmed[serve]"``; see :doc:`/serving`.
"""

# %%
# Train and export a small diagnosis model, with its model card in the file.
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

from skmed import to_onnx  # noqa: E402
from skmed.datasets import load_diagnosis  # noqa: E402
from skmed.pipeline import make_clinical_pipeline, prepare_features  # noqa: E402

data = load_diagnosis(n_samples=800, as_frame=True)
X = prepare_features(data.data)
model = make_clinical_pipeline(X, random_state=0).fit(X, data.target)
workdir = Path(tempfile.mkdtemp())
path = workdir / "diagnosis.onnx"
card = {"intended_use": "Example only: synthetic data, not for clinical use."}
to_onnx(model, X.head(100), path=path, reference_data=X, metadata={"model_card": card})

# %%
# Start the server (``--port 0`` picks a free port; the address is printed on start-up).
log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed below
server = subprocess.Popen(
    [sys.executable, "-m", "skmed", "serve", str(path), "--port", "0"],
    stdout=log,
    stderr=subprocess.STDOUT,
)
for _ in range(600):
    match = re.search(r"http://([\d.]+:\d+)/", (workdir / "server.log").read_text())
    if match or server.poll() is not None:
        break
    time.sleep(0.1)
base = f"http://{match.group(1)}"
print("serving at", base)


def call(method, route, body=None):
    request = urllib.request.Request(
        base + route,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# %%
# What the model takes: typed inputs, which may be missing, typical ranges from aggregates.
status, described = call("GET", "/v1/model")
for field in described["inputs"][:4]:
    print(field)
print("decision:", described["decision"])

# %%
# Predict two patients; a lab that was not ordered is ``null``.
patients = X.head(2).astype(object).where(X.head(2).notna(), None).to_dict(orient="records")
patients[1]["crp_mg_l"] = None
status, answer = call("POST", "/v1/predict", {"records": patients})
for prediction in answer["predictions"]:
    risks = {k: round(v, 3) for k, v in prediction["probabilities"].items()}
    print(prediction["label"], risks)

# %%
# A bad request is answered 422 with the row and field at fault; the server keeps serving.
status, answer = call("POST", "/v1/predict", {"records": [{**patients[0], "age": "old"}]})
print(status, answer["error"])
print(call("GET", "/healthz"))

# %%
# The OpenAPI document is generated from the model's inputs.
status, document = call("GET", "/openapi.json")
record = document["components"]["schemas"]["diagnosis.Record"]
print(json.dumps(record["properties"]["sex"]), "required:", record.get("required", []))

server.terminate()  # SIGTERM: requests in flight finish, then the server exits
print("exit status", server.wait(30))
log.close()
