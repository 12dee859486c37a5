from __future__ import annotations

import asyncio

import asyncpg

from lib.llm.limits import SLOT_NAMESPACE, GlobalSlots


async def test_global_slots_never_exceed_the_limit_across_pools(pool: asyncpg.Pool, database_url: str) -> None:
    other = await asyncpg.create_pool(database_url, min_size=1, max_size=8)
    assert other is not None
    slots = [GlobalSlots(pool, 3), GlobalSlots(other, 3)]  # two "workers"
    holding = 0
    most = 0

    async def call(i: int) -> None:
        nonlocal holding, most
        async with slots[i % 2].hold():
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.02)
            holding -= 1

    await asyncio.gather(*(call(i) for i in range(24)))
    await other.close()
    assert most == 3
    held = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1",
                               SLOT_NAMESPACE)
    assert held == 0
