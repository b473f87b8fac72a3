"""Running the server: the bind and token rules, then uvicorn on a socket bound here."""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["TOKEN_ENV", "load_token", "serve"]

#: Environment variable holding the bearer token when no token file is given.
TOKEN_ENV = "SKMED_SERVE_TOKEN"

log = logging.getLogger("skmed.serve")


def load_token(token_file: str | os.PathLike[str] | None) -> str | None:
    """The bearer token: the file's first line, else ``$SKMED_SERVE_TOKEN``, else None.

    Raises
    ------
    ValueError
        If the file is missing or empty, or the token is shorter than 16 characters.
    """
    if token_file is not None:
        path = os.fspath(token_file)
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.readline().strip()
        except OSError as exc:
            raise ValueError(f"Cannot read the token file {path!r}: {exc.strerror}.") from None
        where = f"the token file {path!r}"
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            return None
        where = f"${TOKEN_ENV}"
    if len(token) < 16:
        raise ValueError(
            f"The token in {where} has {len(token)} characters; use at least 16 (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    if any(c.isspace() for c in token):
        raise ValueError(f"The token in {where} contains whitespace.")
    return token


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    paths: Sequence[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token_file: str | None = None,
    insecure: bool = False,
    max_body_bytes: int = 10_000_000,
    max_rows: int = 10_000,
    max_concurrency: int = 256,
    form: bool = True,
    graceful_seconds: int = 30,
    workers: int = 1,
    strict: bool = False,
) -> None:
    """Serve exported models over HTTP until SIGINT / SIGTERM (in-flight requests finish).

    Parameters
    ----------
    paths : sequence of str
        ``.onnx`` files, each ``path`` or ``name=path``.
    host : str, default="127.0.0.1"
        Address to bind. Another than loopback needs a token, or ``insecure=True``.
    port : int, default=8000
        Port (0: any free port; the address is printed).
    token_file : str, default=None
        File whose first line is the bearer token; else ``$SKMED_SERVE_TOKEN``; else no auth.
    insecure : bool, default=False
        Allow a non-loopback address without a token.
    max_body_bytes, max_rows : int
        Largest request body, and rows per request.
    max_concurrency : int, default=256
        Connections served at once; more are answered 503.
    form : bool, default=True
        Serve the web form.
    graceful_seconds : int, default=30
        How long shutdown waits for in-flight requests.
    workers : int, default=1
        Server processes sharing the socket, each with its own copy of the models; a worker
        that dies is restarted. More than one uses more cores for large requests (JSON parsing
        and encoding hold Python's lock).
    strict : bool, default=False
        Refuse (422) a row that carries a warning (an imputed value, a number outside the
        plausible or training range, an unseen category) instead of answering with it.

    Raises
    ------
    ValueError
        On a bad model file or name, a bad token, or a non-loopback address without a token.
    """
    import uvicorn

    token = load_token(token_file)
    if not is_loopback(host) and token is None and not insecure:
        raise ValueError(
            f"Refusing to listen on {host!r} without a bearer token: patient data would cross "
            f"the network unauthenticated. Give --token-file (or ${TOKEN_ENV}), or pass "
            "--insecure if a proxy in front of this server authenticates."
        )
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}.")
    settings = {
        "paths": list(paths),
        "token_file": None if token_file is None else os.fspath(token_file),
        "max_body_bytes": max_body_bytes,
        "max_rows": max_rows,
        "form": form,
        "strict": strict,
    }
    app, names = _build(settings)  # in the parent too: a bad file fails here, before forking
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(
        f"skmed serve: http://{shown}:{bound_port}/ (models: {', '.join(names)}; auth: "
        f"{'bearer token' if token else 'off'}; workers: {workers})",
        file=sys.stderr,
        flush=True,
    )
    common: dict[str, Any] = {
        "access_log": False,  # our own log line per request, with nothing from the body
        "log_level": "warning",
        "server_header": False,
        "limit_concurrency": max_concurrency,
        "timeout_graceful_shutdown": graceful_seconds,
    }
    if workers == 1:
        _server_class()(uvicorn.Config(app, **common)).run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        del app  # each worker process loads its own copy from the settings
        os.environ[_SETTINGS_ENV] = json.dumps(settings)
        config = uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers, **common)
        Multiprocess(config, sockets=[sock]).run()
    print("skmed serve: stopped", file=sys.stderr, flush=True)


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, exiting normally (status 0) after a graceful stop.

        uvicorn re-raises SIGINT / SIGTERM once it has shut down, so the process would die by
        the signal and skip its exit handlers; a stop that was asked for is not a failure.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            signals = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


#: Environment variable carrying the settings to the worker processes (no secret: the token
#: is read again from its file or $SKMED_SERVE_TOKEN in each worker).
_SETTINGS_ENV = "SKMED_SERVE_SETTINGS"


def _build(settings: dict[str, Any]) -> tuple[Any, list[str]]:
    """The ASGI app for ``settings``, its heap frozen out of the garbage collector."""
    from skmed.serve._app import create_app
    from skmed.serve._model import ServedModel

    models = []
    for item in settings["paths"]:
        name, sep, path = item.partition("=")
        if not sep or os.path.exists(item):
            name, path = None, item
        models.append(
            ServedModel(
                path, name=name, max_rows=settings["max_rows"], strict=settings.get("strict", False)
            )
        )
    app = create_app(
        models,
        token=load_token(settings["token_file"]),
        max_body_bytes=settings["max_body_bytes"],
        form=settings["form"],
    )
    _configure_logging()
    # what is loaded now lives as long as the server: keep the collector from walking it again
    # and again (full collections of the ~300 MB heap otherwise stall a request by ~40 ms)
    gc.collect()
    gc.freeze()
    return app, [m.name for m in models]


def worker_app() -> Any:
    """uvicorn's app factory in each worker process of ``serve(workers=N)``."""
    return _build(json.loads(os.environ[_SETTINGS_ENV]))[0]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _configure_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
