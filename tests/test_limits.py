from __future__ import annotations

import asyncio

import asyncpg

from lib.llm.limits import SLOT_NAMESPACE, GlobalSlots


async def test_global_slots_never_exceed_the_limit_across_pools(pool: asyncpg.Pool, database_url: str) -> None:
    other = await asyncpg.create_pool(database_url, min_size=1, max_size=8)
    slots = [GlobalSlots(pool, 3), GlobalSlots(other, 3)]  # two "workers"
    holding = [0, 0]  # slots held through each pool
    most = 0
    full = asyncio.Event()  # the first holders keep their slots until three are held: the cap is reached

    async def call(i: int) -> None:
        nonlocal most
        async with slots[i % 2].hold():
            holding[i % 2] += 1
            most = max(most, sum(holding))
            if sum(holding) == 3:
                full.set()
            await asyncio.wait_for(full.wait(), 60)
            await asyncio.sleep(0.02)  # for the late ones, were the cap not holding them back
            holding[i % 2] -= 1

    await asyncio.gather(*(call(i) for i in range(24)))
    await other.close()
    assert most == 3  # through both pools together: one limit, not three per pool
    held = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1",
                               SLOT_NAMESPACE)
    assert held == 0
