"""``POST .../predict``: a raw ASGI endpoint with opportunistic batching.

The hot path builds no Request or Response objects. Small JSON requests that arrive together
are predicted in one onnxruntime call: each request's rows are queued, and the queue is run
once the event loop has taken every request that is ready -- no waiting, so a lone request
is answered as soon as it is parsed. If a merged batch is refused, each request is run on its
own so that its error names its own row. Large bodies are parsed and predicted in a worker
thread, so the event loop keeps answering small requests meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import anyio.to_thread

from skmed.serve._codec import ARROW, RequestError, arrow_answer, arrow_columns, parse_json
from skmed.serve._model import ServedModel

__all__ = ["PredictEndpoint", "error_body"]

log = logging.getLogger("skmed.serve")

#: Bodies above this size are parsed and predicted in a worker thread.
THREAD_BYTES = 32_768
#: Worker threads for such bodies. One: a second one contends for the GIL with the first's
#: parsing and encoding (measured: 1,000-row requests ~20% slower at concurrency 8 with two).
LARGE_BODY_THREADS = 1

_JSON = (b"application/json", b"application/json; charset=utf-8")
_CSV = (b"text/csv", b"application/csv")


def error_body(exc: RequestError) -> bytes:
    return json.dumps(exc.body(), separators=(",", ":")).encode()


class _Batcher:
    """Merges the rows of the requests queued in one turn of the event loop into one run."""

    def __init__(self, model: ServedModel) -> None:
        self.model = model
        self.pending: list[tuple[Any, int, asyncio.Future[Any]]] = []

    def submit(self, columns: Any, n_rows: int) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self.pending:
            loop.call_soon(self._flush)  # after the handlers that are ready have queued theirs
        self.pending.append((columns, n_rows, future))
        return future

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        if len(batch) > 1:
            try:
                labels, proba, warnings = self.model.predict(
                    _merge([columns for columns, _, _ in batch])
                )
            except RequestError:
                pass  # run each on its own below, so each error names its own row
            else:
                start = 0
                for _, n, future in batch:
                    if not future.cancelled():
                        part = slice(start, start + n)
                        future.set_result((labels[part], proba[part], warnings[part]))
                    start += n
                return
        for columns, _, future in batch:
            if future.cancelled():
                continue
            try:
                future.set_result(self.model.predict(columns))
            except RequestError as exc:
                future.set_exception(exc)


def _merge(parts: list[Any]) -> Any:
    if isinstance(parts[0], Mapping):
        return {name: [v for part in parts for v in part[name]] for name in parts[0]}
    return [row for part in parts for row in part]  # matrix rows


class PredictEndpoint:
    """The ASGI app of ``POST /v1/predict`` and ``POST /v1/models/{name}/predict``."""

    def __init__(
        self, models: Mapping[str, ServedModel], single: ServedModel | None, max_body_bytes: int
    ) -> None:
        self.models, self.single, self.max_body_bytes = models, single, max_body_bytes
        self.batchers = {name: _Batcher(model) for name, model in models.items()}
        self.limiter = anyio.CapacityLimiter(LARGE_BODY_THREADS)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        status, n_rows, name = 200, 0, "(unknown model)"
        try:
            model = self._model(scope)
            name = model.name
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if content_type not in _JSON and content_type not in _CSV and content_type != ARROW:
                shown = content_type.decode("latin-1") or "(none)"
                raise RequestError(
                    415,
                    f"Content-Type {shown!r} is not supported; send application/json, text/csv "
                    "or application/vnd.apache.arrow.stream.",
                )
            arrow_out = ARROW in headers.get(b"accept", b"")
            media = ARROW if arrow_out else b"application/json"
            body = await self._body(receive, headers.get(b"content-length"))
            if (
                len(body) > THREAD_BYTES
                or content_type in _CSV
                or arrow_out
                or content_type == ARROW
            ):
                answer = await anyio.to_thread.run_sync(
                    _answer, model, body, content_type, arrow_out, limiter=self.limiter
                )
                n_rows = answer[1]
                payload = answer[0]
            else:
                columns = model.columns_from_json(parse_json(body))
                n = len(columns) if isinstance(columns, list) else len(next(iter(columns.values())))
                labels, proba, warnings = await self.batchers[model.name].submit(columns, n)
                payload, n_rows = model.encode(labels, proba, warnings), n
        except RequestError as exc:
            status, payload, media = exc.status, error_body(exc), b"application/json"
        except _Disconnected:
            status = 499
            return
        finally:
            ms = (time.perf_counter() - start) * 1e3
            log.info("POST predict model=%s %d rows=%d %.1fms", name, status, n_rows, ms)
        response_headers = [
            (b"content-type", media),
            (b"content-length", str(len(payload)).encode()),
        ]
        if status == 401:
            response_headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})

    def _model(self, scope: Any) -> ServedModel:
        name = scope.get("path_params", {}).get("name")
        if name is None and self.single is not None:
            return self.single
        if name in self.models:
            return self.models[name]
        raise RequestError(404, f"No model named {name!r}; this server has {sorted(self.models)}.")

    async def _body(self, receive: Any, length: bytes | None) -> bytes:
        limit = self.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise RequestError(413, f"The body has {int(length)} bytes; the limit is {limit}.")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestError(413, f"The body exceeds the limit of {limit} bytes.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _Disconnected(Exception):
    """The client went away before sending the whole body."""


def _answer(
    model: ServedModel, body: bytes, content_type: bytes, arrow_out: bool
) -> tuple[bytes, int]:
    """Parse, predict and encode in a worker thread (a large body, CSV or Arrow)."""
    if content_type in _CSV:
        columns: Any = model.columns_from_csv(body)
    elif content_type == ARROW:
        columns = arrow_columns(model, body)
    else:
        columns = model.columns_from_json(parse_json(body))
    labels, proba, warnings = model.predict(columns)
    payload = (
        arrow_answer(model, labels, proba) if arrow_out else model.encode(labels, proba, warnings)
    )
    return payload, len(labels)
