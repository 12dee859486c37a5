"""Faults and load: every case asserts that nothing is lost and nothing is duplicated."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from flows.process import process_transcripts
from lib.db.embedded import EmbeddedPostgres
from lib.errors import DatabaseError
from lib.settings import Settings, get_settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as calls
from tests.helpers import seed, wait_until

ROOT = Path(__file__).resolve().parents[1]


async def outcome(pool: asyncpg.Pool) -> dict[str, int]:
    """Rows per status, after checking there is exactly one row per (transcript, agent)."""
    dupes = await pool.fetchval("SELECT count(*) FROM (SELECT transcript_id, agent_type FROM agent_results"
                                " GROUP BY 1, 2 HAVING count(*) > 1) d")
    assert dupes == 0
    rows = await pool.fetch("SELECT status, count(*) AS n FROM agent_results GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


@pytest.mark.slow
async def test_a_storm_of_faults_loses_nothing_and_a_rerun_finishes(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 200)
    llm.retry_after = 0.01
    llm.faults(rate_429=0.2, rate_5xx=0.1, rate_malformed=0.1, seed=7)
    summary = await process_transcripts(task_batch=50)
    counts = await outcome(pool)
    assert sum(counts.values()) == 400
    assert (summary.completed, summary.failed) == (counts.get("completed", 0), counts.get("failed", 0))
    # Every reply is accounted for: the faults were met and retried or re-asked, and each completed item
    # took exactly one good reply (none was paid for twice, none was lost after it came).
    replies = llm.stats().outcomes
    assert replies["429"] and replies["500"] and replies["malformed"]
    assert replies["ok"] == counts["completed"] and calls(llm) == sum(replies.values()) > 400
    llm.clear_faults()
    await process_transcripts()
    assert await outcome(pool) == {"completed": 400}


async def test_calls_that_hang_are_bounded_retried_and_recorded(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_LLM_TIMEOUT_SECONDS", "0.3")
    get_settings.cache_clear()
    await seed(pool, 1)
    llm.hang_seconds = 2
    llm.script(["hang"] * 3 + ["ok"] * 3)  # one task attempt's SDK tries all hang; the retry succeeds
    summary = await process_transcripts(agents=["meddpic"])
    assert summary.completed == 1 and calls(llm) == 4
    assert await outcome(pool) == {"completed": 1}


async def test_a_corrupt_cache_does_not_fail_the_run(flow_settings: Settings, pool: asyncpg.Pool,
                                                     llm: FakeMessagesAPI) -> None:
    flow_settings.cache_dir.mkdir(parents=True, exist_ok=True)
    (flow_settings.cache_dir / "cache.db").write_bytes(b"\x00garbage, not sqlite\x00" * 500)
    await seed(pool, 3)
    summary = await process_transcripts()
    assert summary.completed == 6 and await outcome(pool) == {"completed": 6}


async def test_postgres_restarting_mid_run_loses_and_duplicates_nothing(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI,
        embedded_server: EmbeddedPostgres | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if embedded_server is None:
        pytest.skip("needs the embedded server to restart it")
    monkeypatch.setenv("ASMIS_LLM_CONCURRENCY", "24")  # held calls must not take the first batch's turns
    get_settings.cache_clear()
    await seed(pool, 12)  # claimed in date order, 4 a batch: calls 0-3 make the first batch
    llm.hold(only=r"\(call (?:[4-9]|1[01]), point")  # every batch but the first waits for its replies
    run = asyncio.ensure_future(process_transcripts(task_batch=4))

    async def first_batch_saved_and_the_rest_in_flight() -> bool:
        return run.done() or (await pool.fetchval("SELECT count(*) FROM agent_results") == 8
                              and llm.in_flight > 0)

    await wait_until(first_batch_saved_and_the_rest_in_flight)
    saved = {(r["transcript_id"], r["agent_type"]) for r in await pool.fetch(
        "SELECT transcript_id, agent_type FROM agent_results")}
    claimed = await pool.fetchval("SELECT count(*) FROM transcripts WHERE claimed_by IS NOT NULL"
                                  " AND claim_expires_at > now()")
    assert not run.done()
    first = await pool.fetch("SELECT id FROM transcripts ORDER BY occurred_at LIMIT 4")
    assert {t for t, _ in saved} == {r["id"] for r in first}  # mid-flight: one batch saved, two waiting
    assert claimed >= 4 and llm.in_flight > 0  # their claims held, their calls out

    await asyncio.to_thread(embedded_server.stop)
    llm.release()  # the held calls answer while the database is down: their saves hit the outage
    await asyncio.sleep(0.5)
    await asyncio.to_thread(embedded_server.start)
    try:
        summary = await asyncio.wait_for(run, 300)  # a TimeoutError here: the outage hung the run
    except DatabaseError as exc:  # failing with the outage's own error is one of the two outcomes allowed
        print(f"run failed: {type(exc).__name__}")
        summary = None
    await pool.expire_connections()
    stored = await outcome(pool)
    kept = {(r["transcript_id"], r["agent_type"]) for r in await pool.fetch(
        "SELECT transcript_id, agent_type FROM agent_results WHERE status = 'completed'")}
    assert saved <= kept  # what was saved before the restart survived it
    if summary is not None:  # it ended on its own: every item recovered or reported failed, none made up
        assert summary.completed + summary.failed == 24
        assert summary.completed == stored.get("completed", 0) >= len(saved)
        print(f"run ended: {summary.completed} completed, {summary.failed} failed; stored {stored}")
    await pool.execute("UPDATE transcripts SET claim_expires_at = now() - interval '1 s'")  # leases of the dead run
    await process_transcripts()
    assert await outcome(pool) == {"completed": 24}


def _asmis(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(Path(sys.executable).parent / "asmis"), *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), **extra}
    return env


@pytest.mark.slow
async def test_a_run_killed_mid_flight_is_finished_by_the_next_without_paying_twice(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 40)
    llm.latency_ms = 400
    proc = _asmis(_env(flow_settings, ASMIS_LLM_CONCURRENCY="2"), "run")  # saves a batch every 5 s
    deadline = time.monotonic() + 120
    while await pool.fetchval("SELECT count(*) FROM agent_results") == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a few more calls in flight, paid for, not yet saved
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = await pool.fetchval("SELECT count(*) FROM agent_results")
    paid = calls(llm)
    assert 0 < saved < 80
    llm.latency_ms = 0
    await pool.execute("UPDATE transcripts SET claim_expires_at = now() - interval '1 s'")  # the lease ran out
    await process_transcripts()
    assert await outcome(pool) == {"completed": 80}
    # Work already saved is not analysed again, and what was paid for but not saved comes from the cache.
    assert calls(llm) - paid <= 80 - saved


@pytest.mark.slow
async def test_two_workers_and_a_nightly_run_share_a_backlog_under_the_global_cap(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI, tmp_path: Path) -> None:
    await seed(pool, 30)
    llm.latency_ms = 100
    workers = [
        _asmis(_env(flow_settings, ASMIS_LLM_CONCURRENCY="4", ASMIS_LLM_GLOBAL_LIMIT="5",
                    ASMIS_CACHE_DIR=str(tmp_path / f"cache-{i}")), *args)  # a cache each: separate machines
        for i, args in enumerate([["run"], ["run"], ["run", "--limit", "100"]])
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert await outcome(pool) == {"completed": 60}
    stats = llm.stats()
    assert calls(llm) == 60, "a (transcript, agent) was analysed twice"
    assert stats.max_in_flight <= 5
