"""Batch mode through the flows: a test-harness Prefect server, real PostgreSQL, the real SDK against the
fake's Message Batches endpoints."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg

from flows.backfill import backfill
from flows.process import process_transcripts
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as _interactive_calls
from tests.helpers import seed


async def _rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT transcript_id, agent_type, status, llm_mode, cost_usd FROM agent_results"
                            " ORDER BY transcript_id, agent_type")


async def test_a_batch_mode_run_makes_every_result_from_one_batch_at_half_price(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 5)
    summary = await process_transcripts(llm_mode="batch")
    rows = await _rows(pool)
    assert len(rows) == 10 and {(r["status"], r["llm_mode"]) for r in rows} == {("completed", "batch")}
    assert (summary.claimed, summary.completed, summary.batches, summary.batch_requests, summary.batch_results) == (
        5, 10, 1, 10, 10)
    assert _interactive_calls(llm) == 0 and llm.batches.creates == 1
    # half price: what was saved equals what was paid (the tokens are the same)
    assert summary.cost_usd == sum(Decimal(r["cost_usd"]) for r in rows) > 0
    assert abs(summary.batch_saved_usd - summary.cost_usd) <= Decimal("0.00001") * 10
    assert await pool.fetchval("SELECT count(*) FROM transcripts WHERE claimed_by IS NOT NULL") == 0

    again = await process_transcripts(llm_mode="batch")
    assert (again.claimed, again.batches, again.llm_calls) == (0, 0, 0) and llm.batches.creates == 1


async def test_no_wait_submits_and_the_next_run_collects_before_claiming(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 3)
    submitted = await process_transcripts(llm_mode="batch", wait=False)
    assert (submitted.batches, submitted.batch_requests, submitted.completed) == (1, 6, 0)
    assert await _rows(pool) == []
    nightly_like = await process_transcripts()  # interactive: collects the ended batch first
    rows = await _rows(pool)
    assert len(rows) == 6 and {r["llm_mode"] for r in rows} == {"batch"}
    assert (nightly_like.batch_results, nightly_like.claimed, nightly_like.llm_calls) == (6, 0, 0)
    assert _interactive_calls(llm) == 0


async def test_a_batch_mode_backfill_submits_every_chunk_then_collects(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    await seed(pool, 6)  # one a day from 2025-01-01
    reports = await backfill(date(2025, 1, 1), date(2025, 1, 7), chunk_days=3, llm_mode="batch")
    summaries = [r.summary for r in reports if r.summary]
    # each chunk submits its own batch; a later run collects whatever has ended; the last one, over the
    # whole range, waits for the rest
    assert len(summaries) == 3 and [s.batch_requests for s in summaries] == [6, 6, 0]
    assert sum(s.batch_results for s in summaries) == 12 and summaries[-1].batch_results > 0
    assert llm.batches.creates == 2 and _interactive_calls(llm) == 0
    assert len(await _rows(pool)) == 12
    assert await pool.fetchval("SELECT count(*) FROM message_batches WHERE status <> 'collected'") == 0


def test_run_with_batch_api_and_no_wait_then_a_plain_run_collects(flow_settings: Settings,
                                                                   llm: FakeMessagesAPI) -> None:
    from typer.testing import CliRunner

    from lib.cli.main import app

    runner = CliRunner()
    calls = Path(__file__).parent / "fixtures" / "transcripts" / "calls"
    assert runner.invoke(app, ["ingest", str(calls / "orbit_retail_renewal.srt"),
                               str(calls / "zoom_northwind_discovery.vtt")]).exit_code == 0
    submitted = runner.invoke(app, ["run", "--batch-api", "--no-wait"])
    assert submitted.exit_code == 0, submitted.output
    [batch] = json.loads(runner.invoke(app, ["batches", "--json"]).output)
    assert (batch["status"], batch["requests"]) == ("ended", 4) and llm.batches.creates == 1
    collected = runner.invoke(app, ["run"])
    assert collected.exit_code == 0, collected.output
    assert "batch_results" in collected.output and _interactive_calls(llm) == 0
    assert "4/4 agent runs" in collected.output  # the collected results count in the bar (it said 4/0)
    [batch] = json.loads(runner.invoke(app, ["batches", "--json"]).output)
    assert (batch["status"], batch["succeeded"]) == ("collected", 4)
    assert "nothing to do" in runner.invoke(app, ["run", "--batch-api"]).output
