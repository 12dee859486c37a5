"""The work set: (transcript, agent type) pairs without a completed result, kept by triggers
(migrations/0015_work_set.sql). Here: its build for an existing database, in batches that resume, and
its check and repair against the truth computed the slow way (every stored call, every result)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lib.db.connect import db_errors
from lib.models import AGENT_TYPES

BUILD_BATCH = 20_000  # transcript ids per transaction: each holds agent_results' share lock for a moment

# The truth: every stored transcript and agent type with no completed result. Written out in each
# statement (no string building: tests/test_hostile.py holds the list of files that build SQL).
_BUILD_RANGE = """
INSERT INTO work_set (transcript_id, agent_type)
SELECT t.id, a.agent_type
FROM transcripts t CROSS JOIN unnest($1::text[]) AS a(agent_type)
WHERE t.id >= $2 AND t.id < $3
  AND NOT EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = t.id AND r.agent_type = a.agent_type
                  AND r.status = 'completed')
ON CONFLICT DO NOTHING
"""
_MISSING = """
SELECT t.id AS transcript_id, a.agent_type
FROM transcripts t CROSS JOIN unnest($1::text[]) AS a(agent_type)
WHERE NOT EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = t.id AND r.agent_type = a.agent_type
                  AND r.status = 'completed')
  AND NOT EXISTS (SELECT 1 FROM work_set w WHERE w.transcript_id = t.id AND w.agent_type = a.agent_type)
"""
_EXTRA = """
SELECT w.transcript_id, w.agent_type FROM work_set w
WHERE NOT (w.agent_type = ANY($1::text[]))
   OR EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = w.transcript_id AND r.agent_type = w.agent_type
              AND r.status = 'completed')
"""
_REPAIR_MISSING = "INSERT INTO work_set (transcript_id, agent_type)" + _MISSING
_REPAIR_EXTRA = """
DELETE FROM work_set w
WHERE NOT (w.agent_type = ANY($1::text[]))
   OR EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = w.transcript_id AND r.agent_type = w.agent_type
              AND r.status = 'completed')
"""


@dataclass(frozen=True)
class Drift:
    """Pairs the work set lacks (work a run would not see) and pairs it holds needlessly (harmless: the
    claim checks each pair again). `sample` names a few, as transcript_id/agent_type."""

    missing: int
    extra: int
    sample: list[str]

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


async def ready(conn: asyncpg.Connection | asyncpg.Pool) -> bool:
    """Whether the work set is complete (an existing database's build has finished)."""
    return bool(await conn.fetchval("SELECT complete FROM work_set_build"))


async def build(conn: asyncpg.Connection, batch: int = BUILD_BATCH, max_batches: int | None = None) -> int:
    """Fill the work set of a database that had transcripts before migration 0015, from where the last
    build stopped; return the batches done. Each batch is its own short transaction, holding a share
    lock on agent_results so no result lands between reading the truth and writing the pairs; pairs of
    transcripts stored since the migration are the triggers' already. `max_batches` stops early (the next
    call resumes)."""
    done = 0
    with db_errors(operation="build the work set"):
        if await ready(conn):
            return 0
        while max_batches is None or done < max_batches:
            async with conn.transaction():
                state = await conn.fetchrow("SELECT next_id, last_id, complete FROM work_set_build FOR UPDATE")
                if state["complete"]:
                    return done
                start, last = int(state["next_id"]), int(state["last_id"])
                end = start + batch
                await conn.execute("LOCK TABLE agent_results IN SHARE MODE")
                await conn.execute(_BUILD_RANGE, list(AGENT_TYPES), start, end)
                await conn.execute("UPDATE work_set_build SET next_id = $1::bigint, complete = $1::bigint > $2::bigint,"
                                   " updated_at = now()",
                                   end, last)
            done += 1
    return done


async def check(conn: asyncpg.Connection | asyncpg.Pool, sample: int = 5) -> Drift:
    """Compare the work set with the truth computed the slow way."""
    agents = list(AGENT_TYPES)
    with db_errors(operation="check the work set"):
        missing = await conn.fetch(_MISSING, agents)
        extra = await conn.fetch(_EXTRA, agents)
    named = [f"{r['transcript_id']}/{r['agent_type']}" for r in [*missing, *extra][:sample]]
    return Drift(len(missing), len(extra), named)


async def repair(conn: asyncpg.Connection) -> Drift:
    """Make the work set the truth, in one transaction (the pairs stay readable throughout); return what
    was wrong. A build still under way is finished by the same stroke."""
    agents = list(AGENT_TYPES)
    with db_errors(operation="repair the work set"):
        async with conn.transaction():
            await conn.execute("LOCK TABLE agent_results IN SHARE MODE")
            drift = await check(conn)
            await conn.execute(_REPAIR_MISSING, agents)
            await conn.execute(_REPAIR_EXTRA, agents)
            await conn.execute("UPDATE work_set_build SET complete = true, next_id = last_id + 1, updated_at = now()")
    return drift
