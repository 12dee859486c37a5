"""Scale-out the Prefect way, with the commands the README gives: a Prefect server on PostgreSQL, a process
work pool `asmis`, the deployments of deployments/prefect.yaml, two workers with their own homes and
caches (two machines), and a backfill whose chunks run as flow runs on them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import diskcache
import pytest

from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import seed

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def prefect_database() -> AsyncIterator[str]:
    """A database for the Prefect server on the machine's PostgreSQL."""
    try:
        conn = await asyncpg.connect(MACHINE_POSTGRES, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 for the Prefect server: {exc}")
    name = f"prefect_asmis_test_{os.getpid()}"
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.close()


@dataclass
class WorkPool:
    env: dict[str, str]  # what a machine of the pool has: the Prefect server, ASMIS' database and key
    api: str
    caches: list[Path]
    workers: list[int]  # pids of the `prefect worker` processes

    def asmis(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([str(BIN / "asmis"), *args], env=self.env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def flow_runs(self, flow_name: str) -> list[dict[str, object]]:
        return list(_get(f"{self.api}/flow_runs/filter", {"flows": {"name": {"any_": [flow_name]}}}))  # type: ignore[call-overload]


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


def _wait_healthy(api: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{api}/health", timeout=2).close()  # noqa: S310 - loopback
            return
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.5)


def _get(url: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def _wait_polling(api: str, workers: list[subprocess.Popen[bytes]]) -> None:
    """Until both workers are online and the deployment is READY (polled): a backfill started before that
    rightly runs its chunks in its own process, which is not what these tests are about."""
    deadline = time.monotonic() + 240
    while True:
        online = [w for w in _get(f"{api}/work_pools/asmis/workers/filter", {})  # type: ignore[union-attr]
                  if w.get("status") == "ONLINE"]
        deployment = _get(f"{api}/deployments/name/process-transcripts/process-transcripts")
        if len(online) >= len(workers) and deployment.get("status") == "READY":  # type: ignore[union-attr]
            return
        assert all(w.poll() is None for w in workers), "a worker exited"
        assert time.monotonic() < deadline, f"workers online: {len(online)}; deployment: {deployment}"
        time.sleep(0.5)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def work_pool(flow_settings: Settings, llm: FakeMessagesAPI, prefect_database: str,
              tmp_path: Path) -> Iterator[WorkPool]:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_API_URL": api, "ASMIS_CHECKOUT": str(ROOT), "ASMIS_LLM_CONCURRENCY": "4",
           "ASMIS_LLM_GLOBAL_LIMIT": "3", "ASMIS_CLAIM_LEASE_SECONDS": "600", "PREFECT_WORKER_QUERY_SECONDS": "1",
           "PREFECT_HOME": str(tmp_path / "client")}
    server_env = {**env, "PREFECT_HOME": str(tmp_path / "server"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database}
    procs = [subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        _wait_healthy(api, procs[0])
        _run([str(BIN / "prefect"), "work-pool", "create", "asmis", "--type", "process"], env)
        _run([str(BIN / "prefect"), "--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml", "--all"], env)
        caches = [tmp_path / f"cache-{i}" for i in range(2)]
        for i, cache in enumerate(caches):  # two machines: a home and a cache each
            worker_env = {**env, "PREFECT_HOME": str(tmp_path / f"worker-{i}"), "ASMIS_CACHE_DIR": str(cache)}
            # --limit 1: a flow run at a time per worker, so two chunks at once must use both machines
            procs.append(subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "asmis",
                                           "--name", f"worker-{i}", "--limit", "1"], env=worker_env, cwd=ROOT,
                                          start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_polling(api, procs[1:])
        yield WorkPool(env, api, caches, [proc.pid for proc in procs[1:]])
    finally:
        _stop(procs)


def _cached(path: Path) -> int:
    if not path.exists():
        return 0
    with diskcache.Cache(str(path)) as cache:
        return len(cache)


async def _rows(pool: asyncpg.Pool) -> dict[str, int]:
    dupes = await pool.fetchval("SELECT count(*) FROM (SELECT transcript_id, agent_type FROM agent_results"
                                " GROUP BY 1, 2 HAVING count(*) > 1) d")
    assert dupes == 0
    return {r["status"]: r["n"] for r in await pool.fetch("SELECT status, count(*) AS n FROM agent_results GROUP BY 1")}


async def test_a_backfill_spreads_its_chunks_over_two_workers_under_one_global_cap(
        work_pool: WorkPool, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 16)  # one a day from 2025-01-01: four chunks of four days
    llm.latency_ms = 150
    started = time.monotonic()
    out, _ = await asyncio.to_thread(work_pool.asmis("backfill", "--since", "2025-01-01", "--until", "2025-01-17",
                                                     "--chunk-days", "4", "--parallel", "2").communicate, timeout=600)
    print(f"two workers: backfill of 4 chunks in {time.monotonic() - started:.1f}s")
    assert "0 failed" in out and "failed:" not in out, out
    assert await _rows(pool) == {"completed": 32}
    stats = llm.stats()
    assert stats.by_path.get("POST /v1/messages") == 32, "a (transcript, agent) was analysed twice"
    assert stats.max_in_flight <= 3  # ASMIS_LLM_GLOBAL_LIMIT across both workers
    per_worker = [_cached(c) for c in work_pool.caches]
    print(f"results computed per worker: {per_worker}; max in flight at the fake: {stats.max_in_flight}")
    assert all(per_worker) and sum(per_worker) == 32, out
    chunks = [r for r in work_pool.flow_runs("process-transcripts") if str(r["name"]).startswith("backfill-")]
    assert len(chunks) == 4 and {r["state_type"] for r in chunks} == {"COMPLETED"}

    # The README's trigger from a terminal, with flat parameters, runs on the pool too.
    await seed(pool, 3, first=40)
    _run([str(BIN / "prefect"), "deployment", "run", "process-transcripts/process-transcripts", "--param", "limit=2",
          "--params", '{"agents": ["meddpic"]}', "--watch"], work_pool.env)
    assert await _rows(pool) == {"completed": 34}
    assert llm.stats().by_path.get("POST /v1/messages") == 34


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state, past the command's parentheses


def _engine_pids(workers: list[int]) -> list[int]:
    """Flow-run processes this pool's workers started (`python -m prefect.engine`), whatever lies between:
    an engine of another test or session on the machine is not this pool's chunk."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"prefect.engine" not in cmdline.read_bytes():
                continue
            pid = ancestor = int(cmdline.parent.name)
            while ancestor > 1 and ancestor not in workers:
                ancestor = _parent(ancestor)
            if ancestor in workers:
                pids.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return pids


async def test_a_chunk_killed_mid_run_is_crashed_and_a_rerun_finishes_it_without_paying_twice(
        work_pool: WorkPool, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 12)
    llm.latency_ms = 400
    args = ("backfill", "--since", "2025-01-01", "--until", "2025-01-13", "--chunk-days", "6", "--parallel", "2")
    first = work_pool.asmis(*args)
    deadline = time.monotonic() + 300
    while await pool.fetchval("SELECT count(*) FROM agent_results") == 0 or not _engine_pids(work_pool.workers):
        assert time.monotonic() < deadline and first.poll() is None, "no chunk started"
        await asyncio.sleep(0.2)
    victim = _engine_pids(work_pool.workers)[0]
    os.kill(victim, signal.SIGKILL)
    saved, paid = await pool.fetchval("SELECT count(*) FROM agent_results"), llm.stats().by_path["POST /v1/messages"]
    out, _ = await asyncio.to_thread(first.communicate, timeout=600)
    assert first.returncode == 1 and "failed:" in out, out  # the killed chunk is reported, the other finished
    states = [r["state_type"] for r in work_pool.flow_runs("process-transcripts")]
    assert "CRASHED" in states, states
    llm.latency_ms = 0
    rerun = work_pool.asmis(*args)  # no wait for the lease: the crashed run's claims are released
    out, _ = await asyncio.to_thread(rerun.communicate, timeout=600)
    assert rerun.returncode == 0, out
    assert await _rows(pool) == {"completed": 24}
    # What was saved before the kill is not analysed again.
    assert llm.stats().by_path["POST /v1/messages"] - paid <= 24 - saved
