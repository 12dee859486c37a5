"""DealRepository: the deals table, rebuilt one deal at a time from its calls' newest completed results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from lib.db.connect import db_errors
from lib.deals.calls import DealCall
from lib.deals.models import DealRollup, StoredDeal

_DEALS_OF = ("SELECT DISTINCT deal_id FROM transcripts WHERE id = ANY($1::bigint[]) AND deal_id IS NOT NULL "
             "ORDER BY deal_id")
_ALL_DEALS = "SELECT DISTINCT deal_id FROM transcripts WHERE deal_id IS NOT NULL ORDER BY deal_id"
_CALLS = "SELECT id, occurred_at, title, format FROM transcripts WHERE deal_id = $1 ORDER BY occurred_at, id"
# The newest completed result per call and agent: after a call is reprocessed (a new prompt version,
# another model) the roll-up follows the new result; older rows stay for the record.
_NEWEST_RESULTS = """
SELECT DISTINCT ON (r.transcript_id, r.agent_type) r.id, r.transcript_id, r.agent_type, r.data
FROM agent_results r JOIN transcripts t ON t.id = r.transcript_id
WHERE t.deal_id = $1 AND r.status = 'completed'
ORDER BY r.transcript_id, r.agent_type, r.updated_at DESC, r.id DESC
"""
_STAKEHOLDER_MAPS = """
SELECT DISTINCT ON (r.transcript_id) r.transcript_id, r.data
FROM agent_results r JOIN transcripts t ON t.id = r.transcript_id
WHERE t.deal_id = $1 AND r.status = 'completed' AND r.agent_type = 'stakeholder'
ORDER BY r.transcript_id, r.updated_at DESC, r.id DESC
"""
_INSERT = """
INSERT INTO deals (deal_id, rollup, calls, first_call_at, last_call_at, result_ids, changed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_UPDATE = """
UPDATE deals SET rollup = $2, calls = $3, first_call_at = $4, last_call_at = $5, result_ids = $6,
    previous_rollup = rollup, changed_by = $7, updated_at = now()
WHERE deal_id = $1
"""
_NEW_RESULT_IDS = "UPDATE deals SET result_ids = $2, updated_at = now() WHERE deal_id = $1"
# Set by migration 0007 on the deals whose duplicate calls it merged: rebuilt on the next read.
_REFRESHED = "UPDATE deals SET needs_refresh = false WHERE deal_id = $1 AND needs_refresh"
_NEEDING_REFRESH = "SELECT deal_id FROM deals WHERE needs_refresh ORDER BY deal_id"


_DEALS_OF_RUN = """
SELECT DISTINCT t.deal_id FROM agent_results r JOIN transcripts t ON t.id = r.transcript_id
WHERE r.run_id = $1 AND t.deal_id IS NOT NULL ORDER BY 1
"""


class DealRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def deal_ids_of(self, transcript_ids: list[int]) -> list[str]:
        with db_errors(operation="deals of transcripts", count=len(transcript_ids)):
            return [r["deal_id"] for r in await self.pool.fetch(_DEALS_OF, transcript_ids)]

    async def deal_ids_of_run(self, run_id: str) -> list[str]:
        """The deals whose calls got a result row written by this run (a result served from the cache
        that changed no row changes no deal)."""
        with db_errors(operation="deals of a run"):
            return [r["deal_id"] for r in await self.pool.fetch(_DEALS_OF_RUN, run_id)]

    async def needing_refresh(self) -> list[str]:
        """Deals a migration changed the calls of (merged duplicates): their stored roll-up is stale."""
        with db_errors(operation="deals needing a refresh"):
            return [r["deal_id"] for r in await self.pool.fetch(_NEEDING_REFRESH)]

    async def all_deal_ids(self) -> list[str]:
        with db_errors(operation="list deal ids"):
            return [r["deal_id"] for r in await self.pool.fetch(_ALL_DEALS)]

    async def rebuild(self, deal_id: str, build: Callable[[list[DealCall]], DealRollup],
                      changed_by: str | None = None) -> bool:
        """Store what `build` makes of the deal's calls; True when its roll-up changed. Runs under a per-deal
        lock, so concurrent runs refreshing one deal take turns; a deal with no calls left is removed."""
        with db_errors(operation="refresh deal", deal_id=deal_id):
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('deal:' || $1))", deal_id)
                calls = await _calls(conn, deal_id)
                old = await conn.fetchrow("SELECT rollup, result_ids FROM deals WHERE deal_id = $1", deal_id)
                if not calls:
                    await conn.execute("DELETE FROM deals WHERE deal_id = $1", deal_id)
                    return old is not None
                rollup = build(calls).model_dump(mode="json")
                ids = sorted(i for c in calls for i in c.result_ids)
                values = (deal_id, rollup, len(calls), calls[0].occurred_at, calls[-1].occurred_at, ids, changed_by)
                if old is None:
                    await conn.execute(_INSERT, *values)
                elif old["rollup"] != rollup:
                    await conn.execute(_UPDATE, *values)
                elif list(old["result_ids"]) != ids:  # newer results that say the same: nothing to mark
                    await conn.execute(_NEW_RESULT_IDS, deal_id, ids)
                if old is not None:
                    await conn.execute(_REFRESHED, deal_id)
                return old is None or old["rollup"] != rollup

    async def get(self, deal_id: str) -> StoredDeal | None:
        with db_errors(operation="get deal", deal_id=deal_id):
            row = await self.pool.fetchrow("SELECT * FROM deals WHERE deal_id = $1", deal_id)
        return StoredDeal(**dict(row)) if row else None

    async def stakeholder_maps(self, deal_id: str) -> dict[int, dict[str, Any]]:
        """Call id -> the newest completed stakeholder map of each of the deal's calls."""
        with db_errors(operation="stakeholder maps of deal", deal_id=deal_id):
            return {r["transcript_id"]: r["data"] for r in await self.pool.fetch(_STAKEHOLDER_MAPS, deal_id)}

    async def get_many(self, deal_ids: list[str]) -> list[StoredDeal]:
        with db_errors(operation="get deals", count=len(deal_ids)):
            rows = await self.pool.fetch("SELECT * FROM deals WHERE deal_id = ANY($1::text[]) ORDER BY deal_id",
                                         deal_ids)
        return [StoredDeal(**dict(r)) for r in rows]

    async def list(self) -> list[StoredDeal]:
        with db_errors(operation="list deals"):
            rows = await self.pool.fetch("SELECT * FROM deals ORDER BY last_call_at DESC NULLS LAST, deal_id")
        return [StoredDeal(**dict(r)) for r in rows]

    async def remove_orphans(self) -> int:
        """Drop rows of deals no transcript belongs to any more (deleted or re-labelled calls)."""
        with db_errors(operation="remove orphan deals"):
            status = await self.pool.execute(
                "DELETE FROM deals d WHERE NOT EXISTS (SELECT 1 FROM transcripts t WHERE t.deal_id = d.deal_id)")
        return int(status.split()[-1])


async def _calls(conn: asyncpg.Connection, deal_id: str) -> list[DealCall]:
    results: dict[int, dict[str, Any]] = {}
    for r in await conn.fetch(_NEWEST_RESULTS, deal_id):
        results.setdefault(r["transcript_id"], {})[r["agent_type"]] = (r["id"], r["data"])
    calls = []
    for t in await conn.fetch(_CALLS, deal_id):
        found = results.get(t["id"], {})
        meddpic, stakeholder = found.get("meddpic"), found.get("stakeholder")
        calls.append(DealCall(
            transcript_id=t["id"], occurred_at=t["occurred_at"], title=t["title"], format=t["format"],
            meddpic=meddpic[1] if meddpic else None, stakeholders=stakeholder[1] if stakeholder else None,
            result_ids=tuple(r[0] for r in (meddpic, stakeholder) if r)))
    return calls
