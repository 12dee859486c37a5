"""Which roll-up changes the digest has announced: a mark (the newest deal refresh a digest covered)
and each deal's roll-up as the last digest saw it."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from lib.db.connect import db_errors
from lib.deals.models import DealRollup, StoredDeal

_LAST = "SELECT max(through) FROM digests"
_SINCE = "SELECT * FROM deals WHERE updated_at > coalesce($1, '-infinity'::timestamptz) ORDER BY deal_id"
_SEEN = "SELECT deal_id, rollup FROM digest_deals WHERE deal_id = ANY($1::text[])"
_RECORD = "INSERT INTO digests (through, deals, channel) VALUES ($1, $2, $3)"
_MARK_SEEN = """
INSERT INTO digest_deals (deal_id, rollup) SELECT d, r FROM unnest($1::text[], $2::jsonb[]) AS t(d, r)
ON CONFLICT (deal_id) DO UPDATE SET rollup = EXCLUDED.rollup, seen_at = now()
"""


async def deals_since_last_digest(
        pool: asyncpg.Pool) -> tuple[list[tuple[StoredDeal, DealRollup | None]], datetime | None]:
    """The deals refreshed since the last digest, each with the roll-up to compare it with (what the last
    digest saw, else the roll-up before its last refresh), and the newest refresh among them."""
    with db_errors(operation="deals since the last digest"):
        last = await pool.fetchval(_LAST)
        rows = await pool.fetch(_SINCE, last)
        seen = {r["deal_id"]: DealRollup.model_validate(r["rollup"])
                for r in await pool.fetch(_SEEN, [r["deal_id"] for r in rows])}
    deals = [StoredDeal(**dict(r)) for r in rows]
    return [(d, seen.get(d.deal_id, d.previous_rollup)) for d in deals], max((d.updated_at for d in deals), default=None)


async def record_digest(pool: asyncpg.Pool, through: datetime, deals: list[StoredDeal], announced: list[str],
                        channel: str) -> None:
    with db_errors(operation="record a digest"):
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(_RECORD, through, announced, channel)
            await conn.execute(_MARK_SEEN, [d.deal_id for d in deals],
                               [d.rollup.model_dump(mode="json") for d in deals])
