from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from lib.db.claims import ClaimRepository, WorkFilter
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from tests.test_db import result, transcript


async def _setup(pool: asyncpg.Pool, n: int) -> tuple[list[int], WorkFilter]:
    repo = TranscriptRepository(pool)
    ids = []
    for i in range(n):
        t = transcript(f"Ana: call number {i}").model_copy(
            update={"occurred_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i)})
        ids.append((await repo.add(t))[0])
    prompts = PromptRepository(pool)
    m, _ = await prompts.activate("meddpic", "m prompt")
    s, _ = await prompts.activate("stakeholder", "s prompt")
    return ids, WorkFilter({"meddpic": m.id, "stakeholder": s.id}, model="offline-test", schema_version="1")


async def test_claims_are_exclusive_and_leased(pool: asyncpg.Pool) -> None:
    ids, work = await _setup(pool, 10)
    claims = ClaimRepository(pool)
    batches = await asyncio.gather(*(claims.claim(f"run-{i}", work, limit=4, lease_seconds=60) for i in range(4)))
    claimed = [c.transcript_id for batch in batches for c in batch]
    assert sorted(claimed) == ids  # every transcript claimed once, none twice
    assert all(c.agents == ["meddpic", "stakeholder"] for b in batches for c in b)
    assert await claims.claim("late", work, limit=10, lease_seconds=60) == []
    await pool.execute("UPDATE transcripts SET claim_expires_at = now() - interval '1 second' WHERE id = $1", ids[0])
    reclaimed = await claims.claim("late", work, limit=10, lease_seconds=60)
    assert [c.transcript_id for c in reclaimed] == [ids[0]]


async def test_completed_work_is_not_claimed_and_force_claims_it(pool: asyncpg.Pool) -> None:
    ids, work = await _setup(pool, 3)
    results = ResultRepository(pool)
    await results.upsert_many([
        result(ids[0], agent_type="meddpic", prompt_id=work.prompts["meddpic"], model="offline-test"),
        result(ids[0], agent_type="stakeholder", prompt_id=work.prompts["stakeholder"], model="offline-test"),
        result(ids[1], agent_type="meddpic", prompt_id=work.prompts["meddpic"], model="offline-test"),
        result(ids[2], "failed", agent_type="meddpic", prompt_id=work.prompts["meddpic"], model="offline-test"),
    ])
    claims = ClaimRepository(pool)
    backlog = await claims.backlog(work)
    assert (backlog.transcripts, backlog.calls) == (2, 3)
    got = {c.transcript_id: c.agents for c in await claims.claim("r", work, limit=10, lease_seconds=60)}
    assert got == {ids[1]: ["stakeholder"], ids[2]: ["meddpic", "stakeholder"]}
    await claims.release("r", list(got))
    # A newer prompt makes those results stale: done for a normal run, redone when asked.
    newer = WorkFilter(**{**work.__dict__, "prompts": {**work.prompts, "meddpic": work.prompts["meddpic"] + 100}})
    assert (await claims.backlog(newer)).calls == 3
    stale = WorkFilter(**{**newer.__dict__, "reprocess_stale": True})
    assert (await claims.backlog(stale)).calls == 5
    forced = WorkFilter(**{**work.__dict__, "force": True})
    assert len(await claims.claim("f", forced, limit=10, lease_seconds=60)) == 3


async def test_keyset_cursor_and_date_range(pool: asyncpg.Pool) -> None:
    ids, work = await _setup(pool, 6)
    claims = ClaimRepository(pool)
    ranged = WorkFilter(**{**work.__dict__, "since": datetime(2026, 1, 2, tzinfo=UTC),
                           "until": datetime(2026, 1, 5, tzinfo=UTC)})
    first = await claims.claim("r", ranged, limit=2, lease_seconds=60)
    rest = await claims.claim("r", ranged, limit=10, lease_seconds=60, after=first[-1])
    assert [c.transcript_id for c in first + rest] == ids[1:4]
    assert await claims.extend("r", ids, 120) == 3
