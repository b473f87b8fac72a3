"""The ASGI application: routes, bearer-token check, body limits, JSON errors, request log.

Nothing a request carries is logged: a log line holds the method, the route, the status, the
number of rows and the time taken.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from skmed.serve._codec import RequestError
from skmed.serve._form import render_form, render_index
from skmed.serve._model import ServedModel
from skmed.serve._openapi import openapi_document
from skmed.serve._predict import PredictEndpoint

__all__ = ["create_app"]

log = logging.getLogger("skmed.serve")

_OPEN_PATHS = ("/healthz", "/readyz")


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(content, separators=(",", ":"), allow_nan=False).encode()
    return Response(body, status, headers=headers, media_type="application/json")


def _error(exc: RequestError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _json(exc.body(), exc.status, headers)


class _Auth:
    """Pure ASGI middleware: every path but the health checks and the form needs the token."""

    def __init__(self, app: Any, token: str | None, open_paths: Sequence[str]) -> None:
        self.app, self.open_paths = app, tuple(open_paths)
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            self.expected is None
            or scope["type"] != "http"
            or scope["path"] in self.open_paths
            or (scope["method"] == "GET" and not scope["path"].startswith(("/v1/", "/openapi")))
        ):
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if not hmac.compare_digest(given, self.expected):
            message = "Missing bearer token." if not given else "Wrong bearer token."
            log.info("%s %s 401", scope["method"], "(auth)")
            await _error(RequestError(401, message))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(
    models: Sequence[ServedModel],
    *,
    token: str | None = None,
    max_body_bytes: int = 10_000_000,
    form: bool = True,
) -> Starlette:
    """The ASGI application serving ``models``.

    Parameters
    ----------
    models : sequence of ServedModel
        Each is served under ``/v1/models/{name}/``; a single model also under ``/v1/``.
    token : str, default=None
        Bearer token required on ``/v1/...`` and ``/openapi.json``; None serves without auth.
    max_body_bytes : int, default=10_000_000
        Largest request body accepted (413 above it).
    form : bool, default=True
        Serve the web form at ``/`` (and ``/models/{name}/``).

    Returns
    -------
    starlette.applications.Starlette
    """
    by_name = {m.name: m for m in models}
    if len(by_name) != len(models):
        names = [m.name for m in models]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"Two models are named {duplicated[0]!r}; give each a distinct name.")
    import pandas  # noqa: F401 - CSV bodies need it: load it now, not in the first request

    single = models[0] if len(models) == 1 else None
    openapi = json.dumps(openapi_document(models, auth=token is not None)).encode()

    def model_of(request: Request) -> ServedModel:
        name = request.path_params.get("name")
        if name is None and single is not None:
            return single
        if name in by_name:
            return by_name[name]
        raise RequestError(404, f"No model named {name!r}; this server has {sorted(by_name)}.")

    predict = PredictEndpoint(by_name, single, max_body_bytes)

    async def describe(request: Request) -> Response:
        try:
            return _json(model_of(request).describe())
        except RequestError as exc:
            return _error(exc)

    async def list_models(request: Request) -> Response:
        return _json({"models": [{"name": m.name, "sha256": m.sha256} for m in models]})

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(request: Request) -> Response:
        return _json({"status": "ready", "models": sorted(by_name)})

    async def openapi_json(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    async def page(request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None and single is None:
            return HTMLResponse(render_index(models))
        try:
            model = model_of(request)
        except RequestError as exc:
            return _error(exc)
        api = "/v1/predict" if name is None else f"/v1/models/{model.name}/predict"
        return HTMLResponse(render_form(model, api, auth=token is not None))

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{name}", describe, methods=["GET"]),
        Route("/v1/models/{name}/predict", predict, methods=["POST"]),
    ]
    if single is not None:
        routes += [
            Route("/v1/model", describe, methods=["GET"]),
            Route("/v1/predict", predict, methods=["POST"]),
        ]
    if form:
        routes += [
            Route("/", page, methods=["GET"]),
            Route("/models/{name}/", page, methods=["GET"]),
        ]

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = {404: "No such path.", 405: "Method not allowed on this path."}.get(
            status, "The server could not answer this request."
        )
        if status >= 500:
            log.error("%s 500 %s", request.method, type(exc).__name__)
        return _json({"error": {"status": status, "message": message}}, status)

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error, Exception: http_error}
    )
    app.add_middleware(_Auth, token=token, open_paths=_OPEN_PATHS)
    return app
