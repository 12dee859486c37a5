"""One Prefect task per batch of transcripts and agent type: retries, failures and batch sizes, on the
real flow (test-harness Prefect server), real PostgreSQL and the real SDK against the fake API."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from flows.process import process_transcripts
from lib.cache import open_cache
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import seed

OVERLOADED = ["529:0.01"] * 3  # exhausts the SDK's own tries (1 + 2): one transient failure of an item


@pytest.fixture
def one_call_at_a_time(flow_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Items then reach the fake in the order of the batch, so a scripted reply hits a known item."""
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_LLM_CONCURRENCY", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT transcript_id, agent_type, input_hash, status, data, attempts, errors"
                            " FROM agent_results ORDER BY transcript_id, agent_type")


async def test_an_item_failing_transiently_twice_is_retried_alone(
        one_call_at_a_time: None, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    ids = await seed(pool, 4)
    # Attempt 1: the first item overloads, the other three complete; attempts 2 and 3 have only it left.
    llm.script(OVERLOADED + ["ok"] * 3 + OVERLOADED + ["ok"])
    summary = await process_transcripts(agents=["meddpic"], task_batch=4)
    rows = await _rows(pool)
    assert [r["status"] for r in rows] == ["completed"] * 4
    assert summary.llm_calls == len(ids) + 2 and summary.memory_hits + summary.disk_hits == 0
    assert (summary.completed, summary.failed) == (4, 0)
    first, *others = rows
    assert first["transcript_id"] == ids[0] and first["attempts"] == 3
    assert sum("overloaded" in e.lower() or "529" in e for e in first["errors"]) == 2
    assert [r["attempts"] for r in others] == [1, 1, 1]


async def test_a_permanent_failure_fails_one_item_and_never_retries_the_batch(
        one_call_at_a_time: None, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    ids = await seed(pool, 4)
    llm.script(["401"])
    summary = await process_transcripts(agents=["meddpic"], task_batch=4)
    rows = await _rows(pool)
    assert [(r["transcript_id"], r["status"]) for r in rows] == [
        (ids[0], "failed"), (ids[1], "completed"), (ids[2], "completed"), (ids[3], "completed")]
    assert (summary.completed, summary.failed, summary.llm_calls) == (3, 1, 4)
    assert llm.stats().by_path.get("POST /v1/messages") == 4  # a retried batch would call again


async def test_an_item_still_failing_after_the_last_retry_gets_a_failed_row(
        one_call_at_a_time: None, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    from tasks.retry import RETRIES

    await seed(pool, 3)
    llm.script(OVERLOADED + ["ok"] * 2 + OVERLOADED * RETRIES)
    summary = await process_transcripts(agents=["meddpic"], task_batch=3)
    assert [r["status"] for r in await _rows(pool)] == ["failed", "completed", "completed"]
    assert (summary.completed, summary.failed, summary.llm_calls) == (2, 1, 3 + RETRIES)


async def test_batch_sizes_give_identical_results(flow_settings: Settings, pool: asyncpg.Pool,
                                                  llm: FakeMessagesAPI) -> None:
    await seed(pool, 20)
    per_call = await process_transcripts(task_batch=1)
    rows_per_call = [dict(r) for r in await _rows(pool)]
    await pool.execute("DELETE FROM agent_results")
    cache = open_cache(flow_settings)
    cache.clear()
    cache.close()
    llm.clear_prompt_cache()
    batched = await process_transcripts(task_batch=16)
    rows_batched = [dict(r) for r in await _rows(pool)]
    assert per_call.llm_calls == batched.llm_calls == 40
    assert len(rows_batched) == 40 and rows_batched == rows_per_call
