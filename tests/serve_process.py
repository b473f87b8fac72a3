"""Start the real ``skmed serve`` in a subprocess on a free loopback port, for the tests."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# Runs the real command line; at exit it records which modules the server process loaded.
_WRAPPER = """
import atexit, json, os, sys
def _dump():
    with open(os.environ["SKMED_TEST_MODULES"], "w") as handle:
        json.dump(sorted(sys.modules), handle)
atexit.register(_dump)
from skmed.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""

_URL = re.compile(r"skmed serve: http://([^/]+)/")


class Server:
    """``with Server(tmp_path, "a.onnx", "--token-file", ...) as server: server.request(...)``."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.args = [*map(str, args)]
        if "--port" not in self.args:
            self.args += ["--port", "0"]
        self.log_path = self.workdir / f"server-{time.monotonic_ns()}.log"
        self.modules_path = self.log_path.with_suffix(".modules.json")
        self.env = {**os.environ, "SKMED_TEST_MODULES": str(self.modules_path), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.host, self.port = "127.0.0.1", 0

    def start(self, timeout: float = 60.0) -> Server:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, *self.args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _URL.search(self.log())
            if match:
                host, _, port = match.group(1).rpartition(":")
                self.host, self.port = host.strip("[]"), int(port)
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"skmed serve exited early:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"skmed serve did not start in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def modules(self) -> list[str]:
        return json.loads(self.modules_path.read_text())

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, parsed JSON or text, headers)."""
        headers = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode()
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        kind = reply_headers.get("content-type", "")
        if kind.startswith("application/json"):
            parsed: Any = json.loads(data)
        else:
            parsed = data.decode() if kind.startswith("text/") else data
        return response.status, parsed, reply_headers
