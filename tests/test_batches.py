"""Message Batches at lib level: the real SDK against the fake's batch endpoints, a real database."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from lib.agents.analysis import Analyser
from lib.batches import (
    Backoff,
    BatchContext,
    WorkItem,
    batch_context,
    collect_ended,
    recover,
    run_batches,
    submit,
    wait_until_ended,
)
from lib.batches.ids import CUSTOM_ID, custom_id, new_tag, parse_custom_id
from lib.batches.split import split
from lib.cache import ResultCache
from lib.db.batches import BatchRepository, NewItem
from lib.db.claims import ClaimRepository, WorkFilter
from lib.db.connect import create_pool
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.errors import MessageBatchError
from lib.llm.anthropic import AnthropicProvider
from lib.llm.base import Usage
from lib.llm.limits import LimitedProvider
from lib.llm.offline import OfflineProvider
from lib.llm.pricing import cost_usd
from lib.models import AGENT_TYPES, AgentResult
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as _interactive_calls
from tests.helpers import seed

MODEL = "claude-sonnet-5-5"


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def _context(pool: asyncpg.Pool, cache_dir: Path, *, offline: bool = False) -> BatchContext:
    inner = OfflineProvider() if offline else AnthropicProvider(MODEL)
    counted = LimitedProvider(inner, 8, None)  # counts the interactive calls re-asks make
    return batch_context(pool, Analyser(counted, ResultCache(cache_dir)), inner)


async def _work(pool: asyncpg.Pool, n: int) -> list[WorkItem]:
    ids = await seed(pool, n)
    prompts = {a: (await PromptRepository(pool).active(a)) for a in AGENT_TYPES}
    return [WorkItem(t, a, prompts[a].id) for t in ids for a in AGENT_TYPES]  # type: ignore[union-attr]


async def _results(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM agent_results ORDER BY transcript_id, agent_type")



@pytest.fixture
async def ctx(pool: asyncpg.Pool, llm: FakeMessagesAPI, tmp_path: Path) -> BatchContext:
    return _context(pool, tmp_path / "cache")


# --- ids and limits ---------------------------------------------------------------------------------

def test_custom_ids_name_the_input_within_the_api_pattern() -> None:
    tag = new_tag()
    value = custom_id(tag, 9_223_372_036_854_775_807, "stakeholder", "ab" * 32)
    assert CUSTOM_ID.match(value) and len(value) <= 64
    parsed = parse_custom_id(value)
    assert parsed is not None and (parsed.tag, parsed.transcript_id, parsed.agent_type) == (
        tag, 9_223_372_036_854_775_807, "stakeholder")
    assert parsed.hash_prefix == ("ab" * 32)[:24]
    assert parse_custom_id("someone-elses-batch") is None


def test_split_keeps_every_batch_within_both_limits() -> None:
    class R:
        def __init__(self, size: int) -> None:
            self.size = size

    requests = [R(s) for s in (10, 500, 10, 10, 900, 10, 10)]
    chunks = split(requests, max_requests=3, max_bytes=1000)
    assert [r for c in chunks for r in c] == requests  # nothing lost, order kept
    assert all(len(c) <= 3 for c in chunks)
    assert all(sum(r.size + 64 for r in c) <= 1000 for c in chunks if len(c) > 1)
    assert len(chunks) == 4


# --- the path through the API -----------------------------------------------------------------------

async def test_n_transcripts_give_2n_results_from_one_batch_with_no_interactive_call(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 6)
    report = await run_batches(ctx, work, owner="run-a", sleep=_no_sleep)
    rows = await _results(pool)
    assert len(rows) == 12 and {r["status"] for r in rows} == {"completed"}
    assert {r["llm_mode"] for r in rows} == {"batch"}
    assert {(r["transcript_id"], r["agent_type"]) for r in rows} == {(w.transcript_id, w.agent_type) for w in work}
    assert _interactive_calls(llm) == 0 and llm.batches.creates == 1
    assert report.batches == 1 and report.requests == 12 and len(report.results) == 12
    # the fake answered out of request order; every reply still landed on its own (transcript, agent):
    # a reply matched to the wrong one would fail the schema or grounding and be re-asked interactively
    assert all(r["attempts"] == 1 for r in rows)
    sent = [r["custom_id"] for r in llm.batches.requests_of(llm.batches.batch_ids()[0])]
    assert len(set(sent)) == 12
    stored = await BatchRepository(pool).recent()
    assert [(b.status, b.counts.succeeded, b.requests) for b in stored] == [("collected", 12, 12)]
    assert stored[0].cost_usd == sum(Decimal(r["cost_usd"]) for r in rows) > 0


async def test_a_rerun_after_a_finished_batch_run_makes_no_call_and_no_batch(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 3)
    await run_batches(ctx, work, owner="run-a", sleep=_no_sleep)
    again = await run_batches(ctx, work, owner="run-b", sleep=_no_sleep)  # the cache answers
    assert again.batches == 0 and len(again.results) == 6 and {r.cache_tier for r in again.results} == {"memory"}
    filter_ = WorkFilter(prompts={w.agent_type: w.prompt_id for w in work}, model=MODEL, schema_version="1")
    assert (await ClaimRepository(pool).backlog(filter_)).calls == 0  # and a claim finds nothing to do
    assert llm.batches.creates == 1 and _interactive_calls(llm) == 0


async def test_a_batch_request_is_exactly_the_interactive_request(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 1)
    await submit(ctx, work[:1], owner="run-a")
    batch_params = llm.batches.requests_of(llm.batches.batch_ids()[0])[0]["params"]
    transcript = await ctx.transcripts.get(work[0].transcript_id)
    assert transcript is not None
    await ctx.analyser.agents[work[0].agent_type].process(transcript, await ctx.prompt(work[0].prompt_id))
    assert llm.recorded_bodies[-1] == batch_params
    assert batch_params["system"][0]["cache_control"] == {"type": "ephemeral"}


async def test_errored_expired_and_canceled_requests_end_as_documented(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 3)
    llm.batches.script(["errored_invalid", "errored_server", "expired", "canceled", "ok", "ok"])
    report = await run_batches(ctx, work, owner="run-a", sleep=_no_sleep)
    rows = {(r["transcript_id"], r["agent_type"]): r for r in await _results(pool)}
    invalid = rows[(work[0].transcript_id, work[0].agent_type)]
    assert invalid["status"] == "failed" and "invalid" in json.dumps(invalid["errors"])  # permanent: not resent
    assert all(rows[(w.transcript_id, w.agent_type)]["status"] == "completed" for w in work[1:])
    # the server error, the expired and the canceled request went out again, in one follow-up batch
    assert llm.batches.creates == 2 and report.batches == 2
    follow_up = [parse_custom_id(r["custom_id"]) for r in llm.batches.requests_of(llm.batches.batch_ids()[1])]
    assert {(p.transcript_id, p.agent_type) for p in follow_up if p} == {
        (w.transcript_id, w.agent_type) for w in work[1:4]}
    states = await pool.fetch("SELECT state, outcome FROM message_batch_items i JOIN message_batches b"
                              " ON b.id = i.batch_id ORDER BY b.id, i.id")
    assert [(s["state"], s["outcome"]) for s in states] == [
        ("failed", "errored"), ("released", "errored"), ("released", "expired"), ("released", "canceled"),
        ("succeeded", "succeeded"), ("succeeded", "succeeded"),
        ("succeeded", "succeeded"), ("succeeded", "succeeded"), ("succeeded", "succeeded")]
    assert _interactive_calls(llm) == 0


async def test_an_invalid_batch_reply_is_reasked_interactively(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 1)
    llm.batches.script(["malformed", "ungrounded"])  # the interactive re-asks answer well
    await run_batches(ctx, work, owner="run-a", sleep=_no_sleep)
    rows = await _results(pool)
    assert [(r["status"], r["attempts"], r["llm_mode"]) for r in rows] == [("completed", 2, "batch")] * 2
    assert _interactive_calls(llm) == 2
    reasks = [b for b in llm.recorded_bodies if len(b.get("messages") or []) == 3]
    reasons = " | ".join(b["messages"][-1]["content"] for b in reasks)
    assert len(reasks) == 2 and "did not match the JSON schema" in reasons and "not in the transcript" in reasons
    # the re-ask costs the interactive price on top of the batch reply's batch price: the row's tokens are
    # the batch reply's (from the fake's results) plus the re-ask's, each priced at its own rate
    replies = {parse_custom_id(line["custom_id"]): line["result"]["message"]["usage"]
               for line in llm.batches.results_of(llm.batches.batch_ids()[0])}
    for row in rows:
        sent = next(u for key, u in replies.items() if key and (key.transcript_id, key.agent_type) == (
            row["transcript_id"], row["agent_type"]))
        in_batch = Usage(sent["input_tokens"], sent["output_tokens"], sent["cache_read_input_tokens"],
                         sent["cache_creation_input_tokens"])
        total = Usage(row["input_tokens"], row["output_tokens"], row["cache_read_tokens"], row["cache_write_tokens"])
        reask = Usage(*(getattr(total, f) - getattr(in_batch, f) for f in (
            "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")))
        assert reask.output_tokens > 0 and min(vars(reask).values()) >= 0
        expected = cost_usd(MODEL, in_batch, batch=True) + cost_usd(MODEL, reask)
        assert abs(Decimal(row["cost_usd"]) - expected) <= Decimal("0.000001"), (row["agent_type"], expected)
        assert Decimal(row["cost_usd"]) > cost_usd(MODEL, total, batch=True)  # not all at the batch price


async def test_a_batch_reply_that_never_validates_fails_after_the_agents_bound(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 1)
    llm.batches.script(["malformed", "ok"])
    llm.script(["malformed", "malformed"])
    await run_batches(ctx, work, owner="run-a", sleep=_no_sleep)
    rows = {r["agent_type"]: r for r in await _results(pool)}
    failed, fine = rows[work[0].agent_type], rows[work[1].agent_type]
    assert (failed["status"], failed["attempts"], failed["llm_mode"]) == ("failed", 3, "batch")
    assert Decimal(failed["cost_usd"]) > 0 and failed["output_tokens"] > 0  # the failed tries still cost
    assert (fine["status"], fine["attempts"]) == ("completed", 1)
    assert _interactive_calls(llm) == 2  # max_reasks: never more


async def test_a_batch_result_costs_half_the_interactive_result_with_the_same_tokens(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 1)
    await run_batches(ctx, work[:1], owner="run-a", sleep=_no_sleep)
    row = (await _results(pool))[0]
    usage = Usage(row["input_tokens"], row["output_tokens"], row["cache_read_tokens"], row["cache_write_tokens"])
    interactive = AnthropicProvider(MODEL).cost(usage)
    assert interactive > 0 and Decimal(row["cost_usd"]) == (interactive / 2).quantize(Decimal("0.000001"))
    assert Decimal(row["cost_usd"]) == cost_usd(MODEL, usage, batch=True)


async def test_two_submitters_over_one_backlog_put_each_input_in_exactly_one_batch(
        pool: asyncpg.Pool, llm: FakeMessagesAPI, tmp_path: Path) -> None:
    llm.batches.processing_seconds = 60  # both batches stay pending while the second submitter runs
    a, b = _context(pool, tmp_path / "a"), _context(pool, tmp_path / "b")
    work = await _work(pool, 8)
    first, second = await asyncio.gather(submit(a, work, owner="run-a"), submit(b, list(reversed(work)),
                                                                                owner="run-b"))
    assert first.requests + second.requests == 16 and first.skipped + second.skipped == 16
    sent = [parse_custom_id(r["custom_id"]) for i in llm.batches.batch_ids() for r in llm.batches.requests_of(i)]
    assert sorted((p.transcript_id, p.agent_type) for p in sent if p) == sorted(
        (w.transcript_id, w.agent_type) for w in work)
    # and while they are pending, no run claims those inputs, interactive or batch
    filter_ = WorkFilter(prompts={w.agent_type: w.prompt_id for w in work}, model=MODEL, schema_version="1")
    assert await ClaimRepository(pool).claim("run-c", filter_, limit=100, lease_seconds=60) == []


async def test_a_batch_created_but_not_recorded_is_found_again_and_collected_once(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 4)
    llm.batches.disconnect_next_create()  # the batch is made; its answer never arrives (a crash, to us)
    lost = await submit(ctx, work, owner="run-a")
    assert lost.uncertain and not lost.batches and llm.batches.creates == 1
    again = await submit(ctx, work, owner="run-b")  # a rerun at once: its inputs are still pending
    assert again.skipped == 8 and not again.batches and llm.batches.creates == 1
    too_soon = await recover(ctx)  # the create call could still be answered: leave it
    assert too_soon.waiting == [] and too_soon.adopted == []
    found = await recover(ctx, create_timeout=timedelta(0))
    assert found.adopted == lost.uncertain
    collected = await collect_ended(ctx, collector="run-b")
    assert collected.succeeded == 8 and await collect_ended(ctx, collector="run-c") == type(collected)()
    rows = await _results(pool)
    assert len(rows) == 8 and {r["status"] for r in rows} == {"completed"}
    assert llm.batches.creates == 1 and _interactive_calls(llm) == 0


async def test_a_refused_create_frees_its_inputs_and_raises_for_the_retry_policy(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI, tmp_path: Path) -> None:
    work = await _work(pool, 2)
    llm.batches.refuse_next_create(429)
    with pytest.raises(MessageBatchError) as info:
        await submit(ctx, work, owner="run-a")
    assert info.value.retryable and not info.value.uncertain and llm.batches.creates == 0
    assert [b.status for b in await ctx.batches.recent()] == ["abandoned"]
    retried = await submit(ctx, work, owner="run-a")  # what a task retry does: the inputs are free again
    assert retried.requests == 4 and llm.batches.creates == 1
    await collect_ended(ctx, collector="run-a")  # settled: the inputs are no longer pending
    llm.batches.refuse_next_create(400)
    with pytest.raises(MessageBatchError) as permanent:  # a forced rerun elsewhere (no cache of its own)
        await submit(_context(pool, tmp_path / "elsewhere"), work, owner="run-b")
    assert not permanent.value.retryable


async def test_an_intent_whose_create_never_happened_is_abandoned_and_its_inputs_freed(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    work = await _work(pool, 1)
    item = NewItem(custom_id("0123456789", work[0].transcript_id, work[0].agent_type, "f" * 64),
                   work[0].transcript_id, work[0].agent_type, work[0].prompt_id, "f" * 64)
    recorded = await ctx.batches.record_intent("0123456789", "anthropic", MODEL, "dead-run", [item])
    assert recorded is not None
    report = await recover(ctx, now=datetime.now(UTC) + timedelta(hours=1))
    assert report.abandoned == [recorded[0]]
    assert (await ctx.batches.get(recorded[0])).status == "abandoned"  # type: ignore[union-attr]
    assert await ctx.batches.record_intent("abcdefabcd", "anthropic", MODEL, "run-b", [item]) is not None


async def test_no_wait_submits_and_a_later_run_collects(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI, tmp_path: Path) -> None:
    llm.batches.processing_seconds = 0.3
    work = await _work(pool, 2)
    submitted = await run_batches(ctx, work, owner="run-a", wait=False, sleep=_no_sleep)
    assert submitted.batches == 1 and await _results(pool) == []
    later = _context(pool, tmp_path / "later")  # another process: its own cache, the same database
    ended = await wait_until_ended(later, submitted.submits[0].batches, backoff=Backoff(first=0.1, cap=0.2))
    assert [b.status for b in ended] == ["ended"]
    nothing_new = await run_batches(later, [], owner="nightly", sleep=_no_sleep)  # collects before claiming
    assert len(nothing_new.results) == 4 and len(await _results(pool)) == 4


# --- offline ----------------------------------------------------------------------------------------

async def test_the_offline_provider_follows_the_same_path(pool: asyncpg.Pool, tmp_path: Path,
                                                          settings: Settings) -> None:
    ctx = _context(pool, tmp_path / "cache", offline=True)
    work = await _work(pool, 3)
    report = await run_batches(ctx, work, owner="demo", sleep=_no_sleep)
    rows = await _results(pool)
    assert len(rows) == 6 and {r["status"] for r in rows} == {"completed"}
    assert {r["llm_mode"] for r in rows} == {"batch"} and {r["model"] for r in rows} == {"offline-rules-3"}
    assert report.batches == 1 and all(Decimal(r["cost_usd"]) == 0 for r in rows)
    stored = await BatchRepository(pool).recent()
    assert [(b.provider, b.status, b.requests) for b in stored] == [("offline", "collected", 6)]
    saved = await ResultRepository(pool).for_transcript(work[0].transcript_id)
    assert all(isinstance(r, AgentResult) and r.llm_mode == "batch" for r in saved)


def test_the_batches_command_lists_status_counts_and_cost(settings: Settings, tmp_path: Path) -> None:
    from lib.cli.main import app

    runner = CliRunner()
    empty = runner.invoke(app, ["batches"])
    assert empty.exit_code == 0 and "no batches yet" in empty.output

    async def make() -> None:
        assert settings.database_url is not None
        pool = await create_pool(settings.database_url.get_secret_value(), settings)
        try:
            await run_batches(_context(pool, tmp_path / "cache", offline=True), await _work(pool, 2),
                              owner="demo", sleep=_no_sleep)
        finally:
            await pool.close()

    asyncio.run(make())
    listed = runner.invoke(app, ["batches", "--json"])
    assert listed.exit_code == 0, listed.output
    [batch] = json.loads(listed.output)
    assert (batch["status"], batch["requests"], batch["succeeded"], batch["provider"]) == (
        "collected", 4, 4, "offline")
    table = runner.invoke(app, ["batches"])
    assert table.exit_code == 0, table.output
    # 80 columns: every cell but the folded batch id whole, on the first line of the row
    [row] = [line for line in table.output.splitlines() if line.strip().startswith(str(batch["id"]) + " ")]
    assert re.search(r"\bcollected\s+4\s+4/0/0/0\s+\d+\.\d{4}\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}\s*$", row), row
    assert all(len(line) <= 80 for line in table.output.splitlines())


async def test_a_run_killed_after_submitting_is_collected_by_a_rerun_at_once(
        ctx: BatchContext, pool: asyncpg.Pool, llm: FakeMessagesAPI, settings: Settings, tmp_path: Path) -> None:
    llm.batches.processing_seconds = 3
    work = await _work(pool, 5)
    assert settings.database_url is not None
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.batch_worker", settings.database_url.get_secret_value(),
        str(tmp_path / "worker-cache"), cwd=Path(__file__).resolve().parents[1])
    try:
        for _ in range(600):  # until its batch is recorded: it is now waiting for it to end
            if await pool.fetchval("SELECT count(*) FROM message_batches WHERE status = 'in_progress'"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the worker never recorded its batch")
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    rerun = await run_batches(ctx, work, owner="rerun", backoff=Backoff(first=0.2, cap=0.5))
    assert llm.batches.creates == 1  # nothing submitted twice: the dead run's inputs were pending
    assert rerun.batches == 0 and len(rerun.results) == 10
    rows = await _results(pool)
    assert len(rows) == 10 and {r["status"] for r in rows} == {"completed"}
    states = await pool.fetch("SELECT state, count(*) FROM message_batch_items GROUP BY state")
    assert [(s["state"], s["count"]) for s in states] == [("succeeded", 10)]
