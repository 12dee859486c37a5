"""Refresh deal roll-ups: for the deals a run's transcripts belong to, or for every deal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial

import asyncpg

from lib.deals.calls import DealRules
from lib.deals.rollup import build_rollup
from lib.deals.store import DealRepository
from lib.settings import Settings

logger = logging.getLogger(__name__)


async def refresh_deals(pool: asyncpg.Pool, deal_ids: list[str], settings: Settings, *,
                        changed_by: str | None = None, now: datetime | None = None) -> list[str]:
    """Rebuild each deal's roll-up (idempotent: an unchanged deal's row is left as it was); returns the
    ids of the deals whose roll-up changed. `changed_by` (a run id) marks which run changed them."""
    repo = DealRepository(pool)
    rules = DealRules.from_settings(settings)
    when = now or datetime.now(UTC)
    changed = []
    for deal_id in deal_ids:
        if await repo.rebuild(deal_id, partial(build_rollup, deal_id, rules=rules, now=when), changed_by):
            changed.append(deal_id)
    logger.info("deals refreshed", extra={"deals": len(deal_ids), "changed": len(changed)})
    return changed


async def refresh_deals_of(pool: asyncpg.Pool, transcript_ids: list[int], settings: Settings, *,
                           changed_by: str | None = None, now: datetime | None = None) -> list[str]:
    """Refresh every deal the transcripts belong to; returns those deal ids (changed or not)."""
    deal_ids = await DealRepository(pool).deal_ids_of(transcript_ids)
    await refresh_deals(pool, deal_ids, settings, changed_by=changed_by, now=now)
    return deal_ids


async def refresh_deals_of_run(pool: asyncpg.Pool, run_id: str, settings: Settings) -> list[str]:
    """Refresh every deal this run wrote a result for; returns those deal ids (changed or not)."""
    deal_ids = await DealRepository(pool).deal_ids_of_run(run_id)
    await refresh_deals(pool, deal_ids, settings, changed_by=run_id)
    return deal_ids


async def refresh_all_deals(pool: asyncpg.Pool, settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Rebuild every deal from stored results, and drop rows of deals that no longer have a call."""
    repo = DealRepository(pool)
    deal_ids = await repo.all_deal_ids()
    await refresh_deals(pool, deal_ids, settings, now=now)
    await repo.remove_orphans()
    return deal_ids
