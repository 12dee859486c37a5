"""Which Prefect API the flow-running commands talk to: the user's own server when PREFECT_API_URL names
one (in the environment or the active Prefect profile), else the local server, started on first use.

Prefect reads its settings once, when it is imported, so `ensure_local_prefect` runs before that.
The local server keeps its state in a `prefect` database beside ours: in the embedded PostgreSQL, or,
when ASMIS_DATABASE_URL names another server, on that server (created if the role may). A
PREFECT_API_DATABASE_CONNECTION_URL in the environment overrides both.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from lib.db.embedded import EmbeddedPostgres
from lib.errors import PrefectServerError
from lib.prefect_local.server import LocalPrefectServer
from lib.settings import Settings, get_settings

PREFECT_DATABASE = "prefect"


def user_api_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """PREFECT_API_URL as Prefect would find it: the environment, then the active profile."""
    if url := environ.get("PREFECT_API_URL"):
        return url
    home = Path(environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    path = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    value = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(value) if value else None


def local_server(settings: Settings, database_url: str | None = None) -> LocalPrefectServer:
    return LocalPrefectServer(settings.data_dir, settings.prefect_port, database_url)


def start_local_server(settings: Settings) -> str:
    """The local server's API URL, starting it (and its database) unless a healthy one runs."""
    server = local_server(settings)
    record = server.running()
    if record is not None and server.healthy(record):  # the usual case: no database work at all
        return server.api_url(record.port)
    return local_server(settings, prefect_database_url(settings)).start()


def ensure_local_prefect(settings: Settings | None = None) -> str | None:
    """Point this process's Prefect client at the local server, started if needed; call it from
    synchronous code before Prefect is imported. None (and nothing started) when PREFECT_API_URL names the user's own server
    or ASMIS_PREFECT_LOCAL_SERVER is false (then Prefect runs its temporary server, as it would)."""
    settings = settings or get_settings()
    if user_api_url() is not None or not settings.prefect_local_server:
        return None
    if "prefect.settings" in sys.modules:
        raise PrefectServerError("Prefect was imported before its API was chosen: ensure_local_prefect() "
                                 "must run first, or PREFECT_API_URL would be ignored")
    url = start_local_server(settings)
    os.environ["PREFECT_API_URL"] = url
    _bypass_proxy_for_loopback()
    return url


def _bypass_proxy_for_loopback() -> None:
    """Prefect's client honours http_proxy; the local server is on loopback, where no proxy reaches."""
    if not any(os.environ.get(n) for n in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")):
        return
    current = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    if "127.0.0.1" not in [host.strip() for host in current.split(",")]:
        os.environ["no_proxy"] = os.environ["NO_PROXY"] = ",".join(filter(None, [current, "127.0.0.1"]))


def prefect_database_url(settings: Settings) -> str | None:
    """The SQLAlchemy URL of the server's `prefect` database (created if missing); None when the user
    set PREFECT_API_DATABASE_CONNECTION_URL, which the server then reads itself."""
    if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"):
        return None
    if settings.database_url is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        embedded.start()
        dsn, where = embedded.dsn("postgres"), "the embedded PostgreSQL"
    else:
        dsn, where = settings.database_url.get_secret_value(), "the ASMIS_DATABASE_URL server"
    asyncio.run(_ensure_database(dsn, where))
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", path="/" + PREFECT_DATABASE))


async def _ensure_database(dsn: str, where: str) -> None:
    try:
        conn = await asyncpg.connect(dsn, timeout=30)
    except (OSError, asyncpg.PostgresError) as exc:  # the message names neither the DSN nor its password
        raise PrefectServerError(f"cannot reach {where} for the Prefect database: "
                                 f"{type(exc).__name__}") from None
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PREFECT_DATABASE):
            return
        await conn.execute(f"CREATE DATABASE {PREFECT_DATABASE}")  # a constant: names cannot be parameters
    except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
        pass  # a concurrent starter created it
    except asyncpg.InsufficientPrivilegeError:
        raise PrefectServerError(
            f"the role in ASMIS_DATABASE_URL may not create a database: create `{PREFECT_DATABASE}` on that "
            "server for the Prefect server, or set PREFECT_API_DATABASE_CONNECTION_URL"
        ) from None
    finally:
        await conn.close()
