"""The Prefect flows on a real (test-harness) Prefect server, real PostgreSQL and the real SDK against
the fake Messages API."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import pytest

from flows.backfill import backfill
from flows.process import process_transcripts
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as calls
from tests.helpers import seed


async def _rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT transcript_id, agent_type, status, attempts, errors, cache_tier"
                            " FROM agent_results ORDER BY transcript_id, agent_type")


async def test_every_transcript_gets_both_agents_and_a_rerun_calls_nothing(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    ids = await seed(pool, 6)
    summary = await process_transcripts(task_batch=4)
    rows = await _rows(pool)
    assert len(rows) == 12 and {r["status"] for r in rows} == {"completed"}
    assert {r["transcript_id"] for r in rows} == set(ids)
    assert (summary.claimed, summary.completed, summary.llm_calls) == (6, 12, 12)
    assert calls(llm) == 12
    assert await pool.fetchval("SELECT count(*) FROM transcripts WHERE claimed_by IS NOT NULL") == 0

    again = await process_transcripts()
    assert (again.claimed, again.llm_calls) == (0, 0)
    assert len(await _rows(pool)) == 12 and calls(llm) == 12


async def test_forced_rerun_is_served_by_the_cache(flow_settings: Settings, pool: asyncpg.Pool,
                                                   llm: FakeMessagesAPI) -> None:
    await seed(pool, 3)
    await process_transcripts()
    forced = await process_transcripts(force=True)
    assert forced.completed == 6 and forced.llm_calls == 0 and forced.disk_hits + forced.memory_hits == 6
    assert forced.saved_usd > 0 and calls(llm) == 6
    assert len(await _rows(pool)) == 6


async def test_two_runs_at_once_never_analyse_the_same_work_twice(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 10)
    llm.latency_ms = 30
    first, second = await asyncio.gather(process_transcripts(task_batch=2),
                                         process_transcripts(task_batch=2))
    llm.latency_ms = 0
    assert first.claimed + second.claimed == 10
    assert first.completed + second.completed == 20
    assert len(await _rows(pool)) == 20


async def test_transient_failures_are_retried_and_attempts_recorded(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 1)
    # 3 x 529 exhaust the SDK's own retries (1 + 2) once: the Prefect task retries and succeeds.
    llm.script(["529:0.01"] * 3)
    summary = await process_transcripts(agents=["meddpic"])
    rows = await _rows(pool)
    assert summary.completed == 1 and rows[0]["status"] == "completed"
    assert calls(llm) == 4


async def test_permanent_failure_records_one_failed_row_without_retrying(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 1)
    llm.script(["401"])
    summary = await process_transcripts(agents=["meddpic"])
    rows = await _rows(pool)
    assert summary.failed == 1 and len(rows) == 1 and rows[0]["status"] == "failed"
    assert calls(llm) == 1
    assert "authentication" in " ".join(rows[0]["errors"])
    # The next run picks the failure up and completes it, on the same row.
    again = await process_transcripts(agents=["meddpic"])
    rows = await _rows(pool)
    assert again.completed == 1 and len(rows) == 1 and rows[0]["status"] == "completed"


async def test_an_expired_lease_is_reclaimed(flow_settings: Settings, pool: asyncpg.Pool,
                                             llm: FakeMessagesAPI) -> None:
    ids = await seed(pool, 2)
    await pool.execute("UPDATE transcripts SET claimed_by = 'dead-run', claim_expires_at = now() - interval '1 s'"
                       " WHERE id = $1", ids[0])
    await pool.execute("UPDATE transcripts SET claimed_by = 'live-run', claim_expires_at = now() + interval '1 h'"
                       " WHERE id = $1", ids[1])
    summary = await process_transcripts()
    assert summary.claimed == 1 and {r["transcript_id"] for r in await _rows(pool)} == {ids[0]}


async def test_backfill_processes_only_its_range_and_dry_run_calls_nothing(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 10)  # one a day from 2025-01-01
    estimate = await backfill(date(2025, 1, 3), date(2025, 1, 7), chunk_days=2, dry_run=True)
    assert [r.estimate.transcripts for r in estimate if r.estimate] == [2, 2]
    assert sum(r.estimate.calls for r in estimate if r.estimate) == 8 and estimate[0].estimate
    assert estimate[0].estimate.cost_usd > 0
    assert llm.stats().total_requests == 0
    reports = await backfill(date(2025, 1, 3), date(2025, 1, 7), chunk_days=2)
    assert [r.summary.claimed for r in reports if r.summary] == [2, 2]
    days = await pool.fetch("SELECT DISTINCT t.occurred_at::date AS d FROM agent_results r"
                            " JOIN transcripts t ON t.id = r.transcript_id ORDER BY 1")
    assert [str(r["d"]) for r in days] == ["2025-01-03", "2025-01-04", "2025-01-05", "2025-01-06"]
    resumed = await backfill(date(2025, 1, 1), date(2025, 1, 7), chunk_days=3)
    # The second chunk has nothing left: skipped from the estimate, without a subflow.
    assert [r.summary.claimed if r.summary else None for r in resumed] == [2, None]
    assert [r.estimate.calls for r in resumed if r.estimate] == [4, 0]


async def test_the_llm_cap_holds(flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_LLM_CONCURRENCY", "3")
    get_settings.cache_clear()
    await seed(pool, 8)
    llm.latency_ms = 40
    await process_transcripts()
    llm.latency_ms = 0
    stats = llm.stats()
    assert stats.by_path.get("POST /v1/messages") == 16 and stats.max_in_flight == 3


async def test_worst_case_http_calls_equal_the_documented_bound(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    from lib.agents.base import DEFAULT_MAX_REASKS
    from lib.llm.anthropic import SDK_MAX_RETRIES
    from tasks.retry import RETRIES

    await seed(pool, 1)
    overload = ["529:0.01"] * SDK_MAX_RETRIES
    # Every reply short of the last is malformed (re-asked); the last try of each task attempt overloads.
    one_task_attempt = (overload + ["malformed"]) * DEFAULT_MAX_REASKS + overload + ["529:0.01"]
    llm.script(one_task_attempt * (RETRIES + 1) + ["ok"] * 5)
    summary = await process_transcripts(agents=["meddpic"])
    bound = (1 + SDK_MAX_RETRIES) * (1 + DEFAULT_MAX_REASKS) * (1 + RETRIES)
    assert bound == 36 and calls(llm) == bound
    rows = await _rows(pool)
    assert summary.failed == 1 and rows[0]["status"] == "failed"


async def test_a_served_deployment_runs_with_parameters(flow_settings: Settings, pool: asyncpg.Pool,
                                                        llm: FakeMessagesAPI) -> None:
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from deployments.serve import build_deployments

    await seed(pool, 3)
    deployments = await build_deployments(flow_settings)
    assert [d.name for d in deployments] == ["nightly", "process-transcripts", "backfill", "pull-transcripts",
                                             "push-crm"]
    assert deployments[0].schedules and deployments[0].schedules[0].schedule.cron == "0 2 * * *"
    runner = Runner(query_seconds=0.5, limit=2, pause_on_shutdown=False)
    ids = [await runner.aadd_deployment(deployment) for deployment in deployments]
    serving = asyncio.create_task(runner.start())
    try:
        flow_run = await run_deployment("process-transcripts/process-transcripts", timeout=180,
                                        parameters={"limit": 2, "agents": ["meddpic"]})
    finally:
        await runner.stop()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        async with get_client() as client:  # later tests share this Prefect server: nobody serves these now
            for deployment_id in ids:
                await client.delete_deployment(deployment_id)
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    assert len(await _rows(pool)) == 2 and calls(llm) == 2
    # Identifiers only: the run's parameters hold no transcript text and no secret.
    assert "DO-NOT-LEAK" not in str(flow_run.parameters)
