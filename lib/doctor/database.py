"""The database checks: which server, reachable, migrations against migrations/, active prompts.

They never start or create anything: a stopped embedded server is reported, not started."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import load_migrations
from lib.db.work_set import Drift
from lib.db.work_set import check as work_set_check
from lib.db.work_set import ready as work_set_ready
from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.doctor.redact import redact_url
from lib.errors import AsmisError
from lib.models import AGENT_TYPES
from lib.prompt_files import PROMPTS_DIR, read_prompt_files
from lib.words import count


@dataclass(frozen=True)
class Target:
    """The database in use: its DSN and how to name it; `problem` when it cannot be reached yet."""

    dsn: str | None
    where: str
    start_fix: str
    problem: Check | None = None


class Unreachable(Exception):
    def __init__(self, check: Check) -> None:
        self.check = check
        super().__init__(check.detail)


def database_target(ctx: DoctorContext) -> Target:
    settings = ctx.settings
    if settings.database_url is not None:
        dsn = settings.database_url.get_secret_value()
        return Target(dsn, f"{redact_url(dsn)} (ASMIS_DATABASE_URL)",
                      "start that PostgreSQL server, or correct ASMIS_DATABASE_URL")
    try:
        server = EmbeddedPostgres(settings.data_dir)
    except AsmisError as exc:
        return Target(None, "the embedded PostgreSQL", "", fail("database", str(exc), "set ASMIS_DATA_DIR "
                                                              "to a short, writable path, or ASMIS_DATABASE_URL"))
    where = f"embedded PostgreSQL in {server.layout.pgdata}"
    if not server.exists():
        return Target(None, where, "", warn(
            "database", f"no embedded database yet ({where}; the first command that needs it makes it)",
            "`asmis db start` (or `make demo`), or set ASMIS_DATABASE_URL"))
    if server.running_pid() is None:
        return Target(None, where, "", warn(
            "database", f"{where} is not running (commands start it when they need it)", "`asmis db start`"))
    return Target(server.dsn(), where, "`asmis db stop && asmis db start`")


@asynccontextmanager
async def connected(ctx: DoctorContext, target: Target) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the target, or Unreachable carrying the failed check."""
    if target.problem is not None or target.dsn is None:
        raise Unreachable(target.problem or fail("database", "no database configured", "set ASMIS_DATABASE_URL"))
    try:
        conn = await asyncpg.connect(target.dsn, timeout=ctx.io_timeout)
    except TimeoutError:
        raise Unreachable(fail("database", f"{target.where}: no answer within {ctx.io_timeout:g}s",
                               target.start_fix)) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        raise Unreachable(fail("database", f"{target.where} refused the user or password",
                               "correct the user and password in ASMIS_DATABASE_URL")) from None
    except asyncpg.InvalidCatalogNameError:
        raise Unreachable(fail("database", f"{target.where}: that database does not exist on the server",
                               "create it (`createdb NAME`) or point ASMIS_DATABASE_URL at one that exists")) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # the driver's message can name the host, never the password; the type says enough
        raise Unreachable(fail("database", f"cannot reach {target.where} ({type(exc).__name__})",
                               target.start_fix)) from None
    try:
        yield conn
    finally:
        await conn.close(timeout=ctx.io_timeout)


@asynccontextmanager
async def database_pool(ctx: DoctorContext) -> AsyncIterator[asyncpg.Pool | None]:
    """A one-connection pool on the database for checks that read through a repository; None when the
    database is not reachable (the `database` check says why)."""
    target = database_target(ctx)
    if target.problem is not None or target.dsn is None:
        yield None
        return
    small = ctx.settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1,
                                            "command_timeout": ctx.io_timeout})
    try:
        pool = await asyncio.wait_for(create_pool(target.dsn, small), ctx.io_timeout)
    except (TimeoutError, AsmisError):
        yield None
        return
    try:
        yield pool
    finally:
        await pool.close()


async def check_database(ctx: DoctorContext) -> list[Check]:
    """Reachable, which server, and the schema against migrations/."""
    target = database_target(ctx)
    try:
        async with connected(ctx, target) as conn:
            version = await conn.fetchval("SHOW server_version")
            applied = await _applied_versions(conn)
            drift = await _work_set_drift(conn, ctx.io_timeout)
    except Unreachable as exc:
        return [exc.check]
    known = {m.version: m.name for m in load_migrations()}
    server = f"PostgreSQL {str(version).split()[0]}, {target.where}"
    unknown = sorted(applied - known.keys())
    pending = [known[v] for v in sorted(known.keys() - applied)]
    if unknown:
        return [fail("database", f"{server}: the schema has migration(s) {', '.join(f'{v:04d}' for v in unknown)} "
                     "that this checkout does not (a newer ASMIS migrated it)",
                     "update this checkout to the version that migrated the database")]
    if pending:
        return [warn("database", f"{server}: {count(len(pending), 'migration')} not applied: {', '.join(pending)} "
                     "(the next command that needs them applies them)", "`asmis db migrate`")]
    line = f"{server}; schema up to date ({len(known)} migrations)"
    if isinstance(drift, str):
        return [warn("database", f"{line}; work set {drift}", "`asmis db check`")]
    if drift is not None and not drift.clean:
        return [fail("database", f"{line}; the work set differs from the stored calls and results "
                     f"({drift.missing} pair(s) missing, {drift.extra} held needlessly)", "`asmis db repair`")]
    return [ok("database", line + ("; work set consistent" if drift is not None else ""))]


async def _work_set_drift(conn: asyncpg.Connection, seconds: float) -> Drift | str | None:
    """The work set against the truth (None: no work set in this schema yet; a string: not checked)."""
    if not await conn.fetchval("SELECT to_regclass('work_set_build') IS NOT NULL"):
        return None
    if not await work_set_ready(conn):
        return "still being built (runs walk the history until it is)"
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
            return await work_set_check(conn)
    except AsmisError:
        return f"not compared within {seconds:g}s (a large history)"


async def _applied_versions(conn: asyncpg.Connection) -> set[int]:
    if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        return set()
    return {int(r["version"]) for r in await conn.fetch("SELECT version FROM schema_migrations")}


async def check_prompts(ctx: DoctorContext) -> list[Check]:
    """The active prompt per agent type, against prompts/<agent_type>.md."""
    try:
        files = {a: p.read_text(encoding="utf-8") for a, p in read_prompt_files(PROMPTS_DIR).items()}
    except AsmisError as exc:
        return [fail("prompts", str(exc), f"restore the prompt files in {PROMPTS_DIR} (`git checkout prompts/`)")]
    try:
        async with connected(ctx, database_target(ctx)) as conn:
            active = await _active_prompts(conn)
    except Unreachable:
        return [warn("prompts", "not checked: the database is not reachable (see `database`)",
                     "make the database reachable first")]
    return [_prompt_check(agent, active.get(agent), files.get(agent)) for agent in AGENT_TYPES]


async def _active_prompts(conn: asyncpg.Connection) -> dict[str, tuple[str, str]]:
    if not await conn.fetchval("SELECT to_regclass('prompts') IS NOT NULL"):
        return {}
    rows = await conn.fetch("SELECT agent_type, version, content_sha256 FROM prompts WHERE is_active")
    return {r["agent_type"]: (r["version"], r["content_sha256"]) for r in rows}


def _prompt_check(agent: str, active: tuple[str, str] | None, text: str | None) -> Check:
    name = f"prompt {agent}"
    file = f"prompts/{agent}.md"
    if active is None:
        if text is None:
            return fail(name, f"no active prompt and no {file}", f"add {file}, then `asmis prompts sync`")
        return warn(name, f"no active prompt (the next run activates {file})", "`asmis prompts sync`")
    version, sha = active
    if text is None:
        return ok(name, f"active version {version} ({file} is missing: runs keep using the stored one)")
    if hashlib.sha256(text.encode()).hexdigest() != sha:
        return warn(name, f"active version {version} differs from {file} (runs use the active one)",
                    f"`asmis prompts sync` to make {file} the active version")
    return ok(name, f"active version {version}, the text of {file}")
