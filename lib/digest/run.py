"""One digest: the deals changed since the last one, sent when something a reader would notice moved."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from lib.digest.message import Digest, build_digest
from lib.digest.send import destination, send_digest
from lib.digest.store import deals_since_last_digest, record_digest
from lib.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class DigestOutcome:
    digest: Digest | None
    sent_to: str | None


async def run_digest(pool: asyncpg.Pool, settings: Settings, *, dry_run: bool = False) -> DigestOutcome:
    """Build the digest; unless `dry_run`, send it and move the mark. Nothing is sent when nothing changed
    (the mark still moves past refreshes that changed nothing a reader would notice)."""
    deals, through = await deals_since_last_digest(pool)
    digest = build_digest(deals)
    if dry_run or through is None:
        return DigestOutcome(digest, None)
    where = destination(settings)
    if digest is not None:
        await asyncio.to_thread(send_digest, settings, digest)
    await record_digest(pool, through, [d for d, _ in deals], [c.deal_id for c in digest.deals] if digest else [],
                        where)
    logger.info("digest", extra={"deals": len(digest.deals) if digest else 0, "sent": digest is not None})
    return DigestOutcome(digest, where if digest else None)
