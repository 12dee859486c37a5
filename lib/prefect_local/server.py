"""A local Prefect server kept running between commands, the way the embedded PostgreSQL is.

It is `prefect server start` in a subprocess (this module never imports Prefect), with every service
on (scheduler, late runs, event and task-run recorders: a single server is the whole orchestrator):

- It listens on 127.0.0.1 only. Reach it from another machine through an SSH tunnel, never 0.0.0.0.
- Its files live in `<data dir>/prefect`: `server.json` (pid, port, process start time), `server.log`
  (the previous start's log is kept as `server.log.1`), `start.lock`, and the server's PREFECT_HOME.
- The port is the one asked for (ASMIS_PREFECT_PORT), or the next free one; the port it got is
  remembered, so the UI stays at the same address across restarts while the same port is asked for.
- Concurrent starters are serialised with a file lock. A recorded pid is trusted only when it names a
  live process started at the recorded time whose cwd is our directory; a live server whose API stops
  answering is replaced.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from lib.errors import PrefectServerError

HOST = "127.0.0.1"
PORT_SCAN = 100  # how far past the asked-for port to look for a free one
START_TIMEOUT = 180.0  # a first start runs Prefect's migrations: ~10 s, more on a busy machine
STOP_TIMEOUT = 30.0
# A live server gets this long to answer before it is replaced: long enough for a busy machine, since
# replacing a slow server would break the runs other commands have on it.
UNHEALTHY_GRACE = 15.0
# Whatever asked for another server must not leak into ours: it serves its own API, from its own home.
_DROPPED_ENV = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")
# Health checks go straight to loopback, whatever http_proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class ServerRecord:
    """What `server.json` remembers of the server started last."""

    pid: int
    port: int
    requested_port: int
    started_ticks: int  # /proc/<pid>/stat start time: tells our process from a later one with its pid


class LocalPrefectServer:
    """Start, find and stop the local Prefect server of one data dir."""

    def __init__(self, data_dir: Path, requested_port: int, database_url: str | None = None) -> None:
        self.root = data_dir.absolute() / "prefect"
        self.requested_port = requested_port
        self.database_url = database_url  # None: the server's own setting (PREFECT_API_DATABASE_...)

    @property
    def state_file(self) -> Path:
        return self.root / "server.json"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @staticmethod
    def api_url(port: int) -> str:
        return f"http://{HOST}:{port}/api"

    # public operations

    def start(self) -> str:
        """Start the server unless a healthy one runs; return its API URL."""
        with self._lock():
            record = self.running()
            if record is not None:
                if self._wait_healthy(record, UNHEALTHY_GRACE):
                    return self.api_url(record.port)
                self._terminate(record)  # alive but not answering (or its database went away)
            return self.api_url(self._spawn().port)

    def stop(self) -> bool:
        """Stop the server if it runs; True when it was running."""
        with self._lock():
            record = self.running()
            if record is not None:
                self._terminate(record)  # server.json stays: the next start takes the same port
            return record is not None

    def running(self) -> ServerRecord | None:
        """The recorded server, if its process is still the one we started."""
        record = self._read_record()
        if record is None or _start_ticks(record.pid) != record.started_ticks:
            return None
        try:
            cwd = Path(os.readlink(f"/proc/{record.pid}/cwd"))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return None
        return record if cwd == self.root.resolve() else None

    def healthy(self, record: ServerRecord) -> bool:
        """True when the API answers its readiness check (which also reaches its database)."""
        try:
            with _DIRECT.open(f"{self.api_url(record.port)}/ready", timeout=5) as reply:
                return bool(reply.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    # steps

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "start.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_record(self) -> ServerRecord | None:
        try:
            return ServerRecord(**json.loads(self.state_file.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def _choose_port(self) -> int:
        remembered = self._read_record()
        if remembered is not None and remembered.requested_port == self.requested_port \
                and _port_is_free(remembered.port):
            return remembered.port
        for port in range(self.requested_port, min(self.requested_port + PORT_SCAN, 65536)):
            if _port_is_free(port):
                return port
        raise PrefectServerError(
            f"no free port in {self.requested_port}..{self.requested_port + PORT_SCAN - 1} on {HOST}; "
            "set ASMIS_PREFECT_PORT to another one"
        )

    def _spawn(self) -> ServerRecord:
        port = self._choose_port()
        home = self.root / "home"
        home.mkdir(parents=True, exist_ok=True)
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        argv = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
        with open(self.log_file, "w") as log:
            # A new session: Ctrl-C on the asmis command must not reach the server, and stop() can
            # signal the whole process group.
            proc = subprocess.Popen(argv, cwd=self.root, env=self._environment(port, home), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        record = ServerRecord(pid=proc.pid, port=port, requested_port=self.requested_port,
                              started_ticks=_start_ticks(proc.pid) or 0)
        self._write_record(record)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.healthy(record):
            if proc.poll() is not None:
                raise PrefectServerError(f"the Prefect server exited with code {proc.returncode} while "
                                         f"starting{_tail(self.log_file)}")
            if time.monotonic() > deadline:
                self._terminate(record)
                raise PrefectServerError(f"the Prefect server did not answer within {START_TIMEOUT:.0f} s"
                                         f"{_tail(self.log_file)}")
            time.sleep(0.2)
        return record

    def _environment(self, port: int, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        api_url = self.api_url(port)
        env.update({
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_API_HOST": HOST,
            # The UI reads its API address from these, not from --port: without them it calls :4200.
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_UI_API_URL": os.environ.get("PREFECT_UI_API_URL", api_url),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        })
        if self.database_url is not None:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        return env

    def _write_record(self, record: ServerRecord) -> None:
        staging = self.state_file.with_suffix(".tmp")
        staging.write_text(json.dumps(asdict(record)))
        staging.replace(self.state_file)

    def _wait_healthy(self, record: ServerRecord, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.healthy(record):
            if time.monotonic() > deadline or _start_ticks(record.pid) != record.started_ticks:
                return False
            time.sleep(0.2)
        return True

    def _terminate(self, record: ServerRecord) -> None:
        """SIGTERM the server's process group, SIGKILL what is left after STOP_TIMEOUT."""
        for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(record.pid, sig)
                os.killpg(record.pid, signal.SIGCONT)  # a stopped (SIGSTOP, ^Z) server must run to exit
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while _start_ticks(record.pid) == record.started_ticks and time.monotonic() < deadline:
                time.sleep(0.1)
            if _start_ticks(record.pid) != record.started_ticks:
                return
        raise PrefectServerError(f"the Prefect server (pid {record.pid}) did not stop")


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in parentheses, may contain spaces
    if fields[0] in ("Z", "X"):
        _reap(pid)
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    """Collect a server this very process started (tests do), so it stops being a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: a port whose last connections linger in TIME_WAIT is free to listen on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        return ""
    return f"\nserver log ({path}):\n" + "\n".join(text)
