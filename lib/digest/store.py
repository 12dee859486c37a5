"""Which roll-up changes the digest has announced: deals refreshed after the last digest's mark."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from lib.db.connect import db_errors
from lib.deals.models import StoredDeal

_LAST = "SELECT max(through) FROM digests"
_SINCE = "SELECT * FROM deals WHERE updated_at > coalesce($1, '-infinity'::timestamptz) ORDER BY deal_id"
_RECORD = "INSERT INTO digests (through, deals, channel) VALUES ($1, $2, $3)"


async def deals_since_last_digest(pool: asyncpg.Pool) -> tuple[list[StoredDeal], datetime | None]:
    """The deals refreshed since the last digest, and the newest refresh among them (the next mark)."""
    with db_errors(operation="deals since the last digest"):
        last = await pool.fetchval(_LAST)
        rows = await pool.fetch(_SINCE, last)
    deals = [StoredDeal(**dict(r)) for r in rows]
    return deals, max((d.updated_at for d in deals), default=None)


async def record_digest(pool: asyncpg.Pool, through: datetime, deal_ids: list[str], channel: str) -> None:
    with db_errors(operation="record a digest"):
        await pool.execute(_RECORD, through, deal_ids, channel)
