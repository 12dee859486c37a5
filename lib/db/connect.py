"""The one asyncpg pool, the DSN it talks to, and the single boundary where driver errors are wrapped."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg

from lib.db.embedded import EmbeddedPostgres
from lib.errors import NoDatabaseError, PermanentDatabaseError, RetryableDatabaseError
from lib.settings import Settings

# SQLSTATE classes and codes that a retry can outlive: connection exceptions, operator intervention
# (admin/crash shutdown, cannot connect now), insufficient resources, serialization and deadlock.
_RETRYABLE_SQLSTATE_PREFIXES = ("08", "57P", "53", "40001", "40P01", "55P03")
_ARGUMENT_VALUE = re.compile(r"(query argument \$\d+):.*\((expected [^)]*)\)\s*$", re.S)


STARTED_NOTE = "started the database (asmis db stop ends it)"


def resolve_dsn(settings: Settings, *, create: bool = True) -> str:
    """The configured DSN, or the embedded server's (started if needed). With create=False a missing
    embedded cluster is an error rather than made: read-only commands never create a database. A cluster
    that exists but was stopped (`asmis db stop`) is started again, and that is said on stderr: the server
    outlives the command."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    server = EmbeddedPostgres(settings.data_dir)
    if not create and not server.exists():
        raise NoDatabaseError(
            f"no database yet (no embedded cluster for ASMIS_DATA_DIR={settings.data_dir}): make one with "
            "`asmis db start` or `make demo`, or point ASMIS_DATABASE_URL at a PostgreSQL database")
    stopped = server.exists() and server.running_pid() is None
    dsn = server.start()
    if stopped:
        print(STARTED_NOTE, file=sys.stderr, flush=True)
    return dsn


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, settings: Settings) -> asyncpg.Pool:
    with db_errors():
        pool = await asyncpg.create_pool(
            dsn,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            command_timeout=settings.command_timeout,
            init=_init_connection,
        )
    assert pool is not None
    return pool


@asynccontextmanager
async def open_pool(settings: Settings, *, create: bool = True) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(resolve_dsn(settings, create=create), settings)
    try:
        yield pool
    finally:
        await pool.close()


def is_retryable(exc: BaseException) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_RETRYABLE_SQLSTATE_PREFIXES)
    return isinstance(
        exc, asyncpg.InterfaceError | asyncpg.ConnectionDoesNotExistError | ConnectionError | OSError
        | asyncio.TimeoutError
    )


def _without_values(message: str) -> str:
    """asyncpg quotes the offending argument (it may be transcript text): keep which one, not its value."""
    return _ARGUMENT_VALUE.sub(r"\1 <value hidden> (\2)", message)


@contextmanager
def db_errors(**details: Any) -> Iterator[None]:
    """Translate driver errors into RetryableDatabaseError or PermanentDatabaseError."""
    try:
        yield
    except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        cls = RetryableDatabaseError if is_retryable(exc) else PermanentDatabaseError
        sqlstate = getattr(exc, "sqlstate", None)
        message = f"{type(exc).__name__}: {_without_values(str(exc))}" if str(exc) else type(exc).__name__
        raise cls(message, sqlstate=sqlstate, **details) from exc
