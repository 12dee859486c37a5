"""PostgreSQL access: the pool, migrations and the repositories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from lib.db.connect import open_pool
from lib.db.migrate import migrate
from lib.settings import Settings


@asynccontextmanager
async def open_database(settings: Settings, *, create: bool = True) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a database whose schema is up to date (migrations applied if pending). create=False:
    raise NoDatabaseError instead of making an embedded cluster that does not exist yet."""
    async with open_pool(settings, create=create) as pool:
        async with pool.acquire() as conn:
            await migrate(conn)
        yield pool
