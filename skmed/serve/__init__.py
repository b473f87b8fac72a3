"""Serve exported skmed models over HTTP: a JSON / CSV API, its OpenAPI document, a web form.

Install with ``pip install "skmed[serve]"``. Only the runtime side of skmed is loaded (numpy,
pandas, onnxruntime; Starlette and uvicorn): never scikit-learn or Keras.

Examples
--------
>>> from skmed.serve import ServedModel, create_app  # doctest: +SKIP
>>> app = create_app([ServedModel("model.onnx")])  # doctest: +SKIP
>>> # uvicorn.run(app) -- or from a shell: skmed serve model.onnx
"""

from skmed.serve._app import create_app
from skmed.serve._codec import RequestError
from skmed.serve._model import ServedModel
from skmed.serve._openapi import openapi_document
from skmed.serve._run import TOKEN_ENV, load_token, serve

__all__ = [
    "TOKEN_ENV",
    "RequestError",
    "ServedModel",
    "create_app",
    "load_token",
    "openapi_document",
    "serve",
]
