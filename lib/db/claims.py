"""ClaimRepository: hand out transcripts that still need an agent, under a lease, never twice at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from lib.db.connect import db_errors
from lib.db.work_set import ready as work_set_ready
from lib.models import AgentType

# Agents still to run on transcript c: those without a completed result (all of them when forced),
# and never one pending in a Message Batch.
# A result made with an older prompt, another model or schema counts as done unless stale results
# are to be reprocessed. "Another model" compares the id asked for, not the (dated) id that answered.
_MISSING = """
SELECT coalesce(array_agg(a.agent_type ORDER BY a.agent_type), '{}') FROM unnest($1::text[], $2::bigint[])
    AS a(agent_type, prompt_id)
WHERE ($3 OR NOT EXISTS (
    SELECT 1 FROM agent_results r
    WHERE r.transcript_id = c.id AND r.agent_type = a.agent_type AND r.status = 'completed'
      AND (NOT $9 OR (r.prompt_id = a.prompt_id AND r.model_requested = $4 AND r.schema_version = $5))))
  -- in a pending Message Batch: that batch's collect will answer it, whatever mode this run uses
  AND NOT EXISTS (
    SELECT 1 FROM message_batch_items i
    WHERE i.transcript_id = c.id AND i.agent_type = a.agent_type AND i.state = 'pending')
"""
_ELIGIBLE = f"""
    ($6::timestamptz IS NULL OR c.occurred_at >= $6) AND ($7::timestamptz IS NULL OR c.occurred_at < $7)
    AND ($8::bigint[] IS NULL OR c.id = ANY($8))
    AND cardinality(({_MISSING})) > 0
"""
_CLAIM = f"""
UPDATE transcripts t SET claimed_by = $10, claim_expires_at = now() + make_interval(secs => $11)
FROM (
    SELECT c.id FROM transcripts c
    WHERE (c.claim_expires_at IS NULL OR c.claim_expires_at < now())
      AND ($12::timestamptz IS NULL OR (c.occurred_at, c.id) > ($12, $13::bigint))
      AND {_ELIGIBLE}
    ORDER BY c.occurred_at, c.id
    LIMIT $14
    FOR UPDATE SKIP LOCKED
) AS picked
WHERE t.id = picked.id
RETURNING t.id, t.occurred_at, (SELECT ({_MISSING.replace("c.id", "t.id")})) AS agents
"""  # noqa: S608 - fragments are constants; every value is a parameter
_COUNT = f"""
SELECT count(*) AS transcripts, coalesce(sum(cardinality(({_MISSING}))), 0) AS calls,
       coalesce(sum(length(c.content)), 0) AS chars
FROM transcripts c WHERE {_ELIGIBLE}
"""  # noqa: S608 - fragments are constants; every value is a parameter

# The same three with the candidates taken from the work set (lib/db/work_set.py) instead of every stored
# call: used when a completed result of any prompt counts as done (neither --force nor --reprocess-stale).
# Each candidate is still checked by _MISSING, so a pair the work set holds needlessly is never claimed.
_IN_WORK_SET = "c.id IN (SELECT w.transcript_id FROM work_set w WHERE w.agent_type = ANY($1::text[]))"
# The claim sorts the work set's candidates itself: ordering by an expression the occurred_at index cannot
# give keeps the planner from walking the history in that index's order to find the waiting calls.
_CLAIM_WS = _CLAIM.replace("WHERE (c.claim_expires_at IS NULL", f"WHERE {_IN_WORK_SET}\n      AND (c.claim_expires_at IS NULL"
                           ).replace("ORDER BY c.occurred_at, c.id", "ORDER BY c.occurred_at + interval '0 seconds', c.id")
_COUNT_WS = _COUNT.replace("FROM transcripts c WHERE ", f"FROM transcripts c WHERE {_IN_WORK_SET} AND ")

_RELEASE = ("UPDATE transcripts SET claimed_by = NULL, claim_expires_at = NULL"
            " WHERE id = ANY($1::bigint[]) AND claimed_by = $2")

# The same count per [since, until) window, every window in one statement; a window with nothing to do
# still gets its row (zeros), so callers can skip it without asking again.
_COUNT_PER_WINDOW = f"""
SELECT w.i, count(c.id) AS transcripts,
       coalesce(sum(cardinality(({_MISSING}))) FILTER (WHERE c.id IS NOT NULL), 0) AS calls,
       coalesce(sum(length(c.content)), 0) AS chars
FROM unnest($10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS w(since, until, i)
LEFT JOIN transcripts c ON c.occurred_at >= w.since AND c.occurred_at < w.until AND {_ELIGIBLE}
GROUP BY w.i ORDER BY w.i
"""  # noqa: S608 - fragments are constants; every value is a parameter
_COUNT_PER_WINDOW_WS = f"""
SELECT w.i, count(c.id) AS transcripts,
       coalesce(sum(cardinality(({_MISSING}))) FILTER (WHERE c.id IS NOT NULL), 0) AS calls,
       coalesce(sum(length(c.content)), 0) AS chars
FROM unnest($10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS w(since, until, i)
LEFT JOIN (SELECT c.id, c.occurred_at, c.content FROM transcripts c WHERE {_IN_WORK_SET} AND {_ELIGIBLE}) c
    ON c.occurred_at >= w.since AND c.occurred_at < w.until
GROUP BY w.i ORDER BY w.i
"""  # noqa: S608 - fragments are constants; every value is a parameter


@dataclass(frozen=True)
class WorkFilter:
    prompts: dict[AgentType, int]  # the active prompt id per agent type to run
    model: str
    schema_version: str
    force: bool = False
    reprocess_stale: bool = False
    since: datetime | None = None
    until: datetime | None = None
    transcript_ids: list[int] | None = None

    def params(self) -> list[object]:
        agents = list(self.prompts)
        return [agents, [self.prompts[a] for a in agents], self.force, self.model, self.schema_version,
                self.since, self.until, self.transcript_ids, self.reprocess_stale]


@dataclass(frozen=True)
class Claim:
    transcript_id: int
    occurred_at: datetime
    agents: list[AgentType] = field(default_factory=list)


@dataclass(frozen=True)
class Backlog:
    transcripts: int
    calls: int
    chars: int


class ClaimRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._work_set_ready = False  # once complete, the work set stays complete (repair never empties it)

    async def _from_work_set(self, work: WorkFilter, conn: asyncpg.Connection | asyncpg.Pool | None = None) -> bool:
        """Whether this filter's candidates can come from the work set: a completed result of any prompt
        counts as done (no --force, no --reprocess-stale), and the work set's build has finished."""
        if work.force or work.reprocess_stale:
            return False
        if not self._work_set_ready:
            self._work_set_ready = await work_set_ready(conn or self.pool)
        return self._work_set_ready

    async def claim(self, owner: str, work: WorkFilter, *, limit: int, lease_seconds: float,
                    after: Claim | None = None, release: list[int] | None = None) -> list[Claim]:
        """Claim up to `limit` transcripts after `after` (keyset order: occurred_at, id), first giving up
        the `release` ones, in one round trip."""
        cursor = [after.occurred_at, after.transcript_id] if after else [None, None]
        with db_errors(operation="claim transcripts"):
            sql = _CLAIM_WS if await self._from_work_set(work) else _CLAIM
            if not release:
                rows = await self.pool.fetch(sql, *work.params(), owner, lease_seconds, *cursor, limit)
            else:
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.execute(_RELEASE, release, owner)
                    rows = await conn.fetch(sql, *work.params(), owner, lease_seconds, *cursor, limit)
        claims = [Claim(r["id"], r["occurred_at"], list(r["agents"])) for r in rows]
        return sorted(claims, key=lambda c: (c.occurred_at, c.transcript_id))

    async def release(self, owner: str, transcript_ids: list[int]) -> None:
        with db_errors(operation="release claims"):
            await self.pool.execute(_RELEASE, transcript_ids, owner)

    async def extend(self, owner: str, transcript_ids: list[int], lease_seconds: float) -> int:
        with db_errors(operation="extend claims"):
            status = await self.pool.execute(
                "UPDATE transcripts SET claim_expires_at = now() + make_interval(secs => $3)"
                " WHERE id = ANY($1::bigint[]) AND claimed_by = $2", transcript_ids, owner, lease_seconds,
            )
        return int(status.split()[-1])

    async def owners(self) -> list[str]:
        """Who holds a lease that has not expired yet."""
        with db_errors(operation="list claim owners"):
            rows = await self.pool.fetch("SELECT DISTINCT claimed_by FROM transcripts"
                                         " WHERE claimed_by IS NOT NULL AND claim_expires_at > now()")
        return [r["claimed_by"] for r in rows]

    async def release_owners(self, owners: list[str]) -> int:
        """Give up every lease of these owners (runs known to be over)."""
        with db_errors(operation="release claims of ended runs"):
            status = await self.pool.execute(
                "UPDATE transcripts SET claimed_by = NULL, claim_expires_at = NULL WHERE claimed_by = ANY($1::text[])",
                owners)
        return int(status.split()[-1])

    async def backlog(self, work: WorkFilter) -> Backlog:
        """How much work the filter matches, claimed or not (for dry runs and a cheap no-op check)."""
        with db_errors(operation="count backlog"):
            sql = _COUNT_WS if await self._from_work_set(work) else _COUNT
            row = await self.pool.fetchrow(sql, *work.params())
        return Backlog(int(row["transcripts"]), int(row["calls"]), int(row["chars"]))

    async def backlogs(self, work: WorkFilter, windows: list[tuple[datetime, datetime]]) -> list[Backlog]:
        """backlog() for each [since, until) window within the filter, in one query, in window order."""
        if not windows:
            return []
        with db_errors(operation="count backlog per window", windows=len(windows)):
            sql = _COUNT_PER_WINDOW_WS if await self._from_work_set(work) else _COUNT_PER_WINDOW
            rows = await self.pool.fetch(sql, *work.params(), [w[0] for w in windows],
                                         [w[1] for w in windows])
        return [Backlog(int(r["transcripts"]), int(r["calls"]), int(r["chars"])) for r in rows]
