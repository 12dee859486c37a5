"""The HTTP API as a user runs it: `asmis api serve` in its own process (uvicorn) on a free loopback port,
over a database of its own cloned from the migrated template; its log kept for the tests to read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiServer:
    def __init__(self, database_url: str, home: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "api.log"
        self.env = {**os.environ, "ASMIS_DATABASE_URL": database_url, "ASMIS_DATA_DIR": str(home / "data"),
                    "ASMIS_CACHE_DIR": str(home / "cache"), "ASMIS_LLM_PROVIDER": "offline",
                    "PREFECT_HOME": str(home / "prefect"), "ASMIS_PREFECT_LOCAL_SERVER": "false",
                    "COLUMNS": "200", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ApiServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from lib.cli.main import main; main()", "api", "serve", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the API exited: {self.log()}"
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the API did not answer within 60 s: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def api_server(database_url: str, home: Path, **env: str) -> Iterator[ApiServer]:
    server = ApiServer(database_url, home, **env).start()
    try:
        yield server
    finally:
        server.stop()
