"""The local Prefect server that `asmis` keeps running: real `asmis` commands in subprocesses, a real
`prefect server start` on a free port, on the embedded PostgreSQL of a temporary data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lib.db.embedded import EmbeddedPostgres
from lib.prefect_local.target import user_api_url

ROOT = Path(__file__).resolve().parents[1]
ASMIS = str(Path(sys.executable).parent / "asmis")
RUN_URL = re.compile(r"/runs/flow-run/([0-9a-f-]{36})")
ARTIFACT_URL = re.compile(r"/artifacts/artifact/([0-9a-f-]{36})")


@dataclass
class Home:
    data_dir: Path
    env: dict[str, str]

    @property
    def server_dir(self) -> Path:
        return self.data_dir / "prefect"

    def record(self) -> dict[str, Any]:
        return dict(json.loads((self.server_dir / "server.json").read_text()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def asmis(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ASMIS, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


def ok(env: dict[str, str], *args: str) -> str:
    result = asmis(env, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def server_processes(home: Home) -> list[int]:
    """Live processes working in the server's directory: the local Prefect server and nothing else."""
    found = []
    target = home.server_dir.resolve()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == target and " Z " not in (entry / "stat").read_text():
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting to be reaped counts as exited)."""
    return not Path(f"/proc/{pid}").exists() or " Z " in _stat(pid)


def wait_gone(pid: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def _stat(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return " Z "


def api(port: int, path: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}", data=data,
                                     headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - loopback
        return json.load(reply)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    root = tmp_path_factory.mktemp("local-prefect")
    dropped = ("PREFECT_API_URL", "PREFECT_PROFILE", "ASMIS_DATABASE_URL", "PREFECT_API_DATABASE_CONNECTION_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(ASMIS_DATA_DIR=str(root / "data"), ASMIS_CACHE_DIR=str(root / "cache"), ASMIS_LLM_PROVIDER="offline",
               ASMIS_PREFECT_LOCAL_SERVER="true", ASMIS_PREFECT_PORT=str(free_port()),
               PREFECT_HOME=str(root / "client-home"))
    home = Home(root / "data", env)
    yield home
    asmis(env, "db", "stop")
    for pid in server_processes(home):  # only if a test failed half-way
        os.kill(pid, signal.SIGKILL)
    EmbeddedPostgres(home.data_dir).destroy()


def test_a_flow_run_by_asmis_run_is_listed_by_the_server_with_its_artifacts(home: Home) -> None:
    ok(home.env, "ingest", str(ROOT / "examples"), "--deal", "ACME-TEST")
    output = ok(home.env, "run", "--force")
    assert "temporary server" not in output
    run_ids = RUN_URL.findall(output)
    assert len(run_ids) == 1, output
    port = home.record()["port"]
    assert f"http://127.0.0.1:{port}/runs/flow-run/{run_ids[0]}" in output

    runs = api(port, "/flow_runs/filter", {"flow_runs": {"id": {"any_": run_ids}}})
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    assert api(port, f"/flows/{runs[0]['flow_id']}")["name"] == "process-transcripts"
    artifacts = api(port, "/artifacts/filter", {"flow_runs": {"id": {"any_": run_ids}}})
    assert {a["key"] for a in artifacts} == {"run-summary", "meddpicc-scorecards", "deal-rollups"}
    assert set(ARTIFACT_URL.findall(output)) == {a["id"] for a in artifacts}


def test_a_proxy_in_the_environment_does_not_stand_between_a_command_and_the_local_server(home: Home) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"  # nothing listens there: any request through it fails
    env = {**home.env, "http_proxy": dead_proxy, "HTTP_PROXY": dead_proxy, "no_proxy": "", "NO_PROXY": ""}
    ok(home.env, "ingest", str(ROOT / "examples"))
    output = ok(env, "run", "--force", "--agent", "stakeholder")
    assert len(RUN_URL.findall(output)) == 1, output


def test_two_commands_starting_the_server_at_once_start_one(home: Home) -> None:
    ok(home.env, "server", "stop")
    starters = [subprocess.Popen([ASMIS, "server", "start"], env=home.env, cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in starters]
    assert [p.returncode for p in starters] == [0, 0], outputs
    port = home.record()["port"]
    assert all(f"API http://127.0.0.1:{port}/api" in out for out in outputs), outputs
    assert server_processes(home) == [home.record()["pid"]]


def test_a_sigkilled_server_is_detected_and_restarted_by_the_next_command(home: Home) -> None:
    ok(home.env, "server", "start")
    killed = home.record()["pid"]
    os.kill(killed, signal.SIGKILL)
    wait_gone(killed)

    url = ok(home.env, "server", "url").strip()
    record = home.record()
    assert record["pid"] != killed
    assert server_processes(home) == [record["pid"]]
    assert url == f"http://127.0.0.1:{record['port']}/api"
    assert api(record["port"], "/ready") == {"message": "OK"}


def test_a_server_that_stops_answering_is_replaced(home: Home) -> None:
    ok(home.env, "server", "start")
    hung = home.record()["pid"]
    os.kill(hung, signal.SIGSTOP)  # alive, port still bound, nothing answers
    try:
        ok(home.env, "server", "start")
    finally:
        if Path(f"/proc/{hung}").exists():
            os.kill(hung, signal.SIGCONT)
    wait_gone(hung)
    record = home.record()
    assert record["pid"] != hung
    assert server_processes(home) == [record["pid"]]


def test_with_prefect_api_url_set_no_local_server_starts(home: Home, prefect_harness: None) -> None:
    from prefect.settings import PREFECT_API_URL

    ok(home.env, "server", "start")  # so there is a record of it, which must not change
    ok(home.env, "server", "stop")
    ok(home.env, "ingest", str(ROOT / "examples"))
    before = home.record()
    theirs = str(PREFECT_API_URL.value())
    output = ok({**home.env, "PREFECT_API_URL": theirs}, "run", "--force", "--agent", "meddpic")
    assert f"{theirs.removesuffix('/api')}/runs/flow-run/" in output
    assert server_processes(home) == []
    assert home.record() == before
    assert ok({**home.env, "PREFECT_API_URL": theirs}, "server", "url").strip() == theirs


def test_server_stop_leaves_no_process_behind(home: Home) -> None:
    ok(home.env, "server", "start")
    record = home.record()
    assert "stopped" in ok(home.env, "server", "stop")
    assert gone(record["pid"])  # `server stop` returns once the server has exited, however long that took
    assert server_processes(home) == []
    with socket.socket() as sock:  # the port is free to listen on again (connections may linger in TIME_WAIT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", record["port"]))
    assert "not running" in ok(home.env, "server", "stop")


def test_db_stop_stops_the_prefect_server_first(home: Home) -> None:
    ok(home.env, "server", "start")
    pid = home.record()["pid"]
    output = ok(home.env, "db", "stop")
    assert "stopped the local Prefect server" in output
    assert gone(pid)  # before the database went down, not some seconds after
    assert server_processes(home) == []
    assert EmbeddedPostgres(home.data_dir).running_pid() is None


def test_a_taken_port_moves_to_the_next_free_one_which_is_remembered(home: Home) -> None:
    ok(home.env, "server", "stop")
    requested = int(home.env["ASMIS_PREFECT_PORT"])
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", requested))
        squatter.listen()
        ok(home.env, "server", "start")
        moved = home.record()["port"]
        assert moved > requested
        assert api(moved, "/ready") == {"message": "OK"}
        with urllib.request.urlopen(f"http://127.0.0.1:{moved}/ui-settings", timeout=10) as reply:  # noqa: S310
            assert json.load(reply)["api_url"] == f"http://127.0.0.1:{moved}/api"  # the UI calls this port
        ok(home.env, "server", "stop")
    ok(home.env, "server", "start")  # the asked-for port is free again, but the UI stays where it was
    assert home.record()["port"] == moved


def test_the_active_prefect_profile_s_api_url_is_the_user_s(tmp_path: Path) -> None:
    (tmp_path / "profiles.toml").write_text(
        'active = "work"\n[profiles.work]\nPREFECT_API_URL = "http://prefect.internal:4200/api"\n'
        '[profiles.local]\nPREFECT_LOGGING_LEVEL = "INFO"\n')
    env = {"PREFECT_HOME": str(tmp_path)}
    assert user_api_url(env) == "http://prefect.internal:4200/api"
    assert user_api_url({**env, "PREFECT_PROFILE": "local"}) is None
    assert user_api_url({**env, "PREFECT_API_URL": "http://mine:4200/api"}) == "http://mine:4200/api"
    assert user_api_url({"PREFECT_HOME": str(tmp_path / "nowhere")}) is None
