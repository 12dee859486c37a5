"""`asmis db migrate | check | repair | url | start | stop | destroy`: the PostgreSQL database, embedded
server, schema and the work set."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import typer

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.db.work_set import Drift as WorkDrift
from lib.db.work_set import check, ready, repair
from lib.errors import AsmisError
from lib.prefect_local.target import local_server
from lib.settings import Settings, get_settings
from lib.words import count

db_app = sub_app("db", "The PostgreSQL database: embedded server, schema and the work set.")


def redact_dsn(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return dsn


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    if settings.database_url is not None:
        raise AsmisError("ASMIS_DATABASE_URL is set: the embedded server is not in use")
    return EmbeddedPostgres(settings.data_dir)



@db_app.command("migrate")
@cli_errors
def db_migrate() -> None:
    """Apply pending migrations (commands that need the schema do this themselves)."""

    async def go() -> list[str]:
        from lib.db.connect import open_pool

        async with open_pool(get_settings()) as pool, pool.acquire() as conn:
            return await migrate(conn)

    applied = run_async(go())
    console.print(f"applied {count(len(applied), 'migration')}" + (": " + ", ".join(applied) if applied else ""))


def _drift_line(drift: WorkDrift) -> str:
    line = (f"work set: {drift.missing} pair(s) missing (work a run would not see), "
            f"{drift.extra} held needlessly")
    return line + (f" (e.g. {', '.join(drift.sample)})" if drift.sample else "")


@db_app.command("check")
@cli_errors
def db_check() -> None:
    """Compare the work set (what runs read to find new work) with the truth computed from every stored
    call and result; exit 1 when they differ (`asmis db repair` rebuilds it)."""

    async def go() -> tuple[WorkDrift, bool]:
        from lib.db import open_database

        async with open_database(get_settings()) as pool:
            return await check(pool), await ready(pool)

    drift, complete = run_async(go())
    if drift.clean:
        console.print("work set: consistent with the stored calls and results")
        return
    console.print(_drift_line(drift) + ("" if complete else "; its build has not finished (runs walk the history)"),
                  highlight=False)
    console.print("fix: `asmis db repair`")
    raise typer.Exit(1)


@db_app.command("repair")
@cli_errors
def db_repair() -> None:
    """Rebuild the work set from every stored call and result (one transaction; runs keep working)."""

    async def go() -> WorkDrift:
        from lib.db import open_database

        async with open_database(get_settings()) as pool, pool.acquire() as conn:
            return await repair(conn)

    drift = run_async(go())
    console.print("work set: nothing to repair" if drift.clean else "repaired " + _drift_line(drift), highlight=False)


@db_app.command("url")
@cli_errors
def db_url() -> None:
    """Print the database DSN (password hidden), starting the embedded server if it is the one in use."""
    settings = get_settings()
    if settings.database_url is not None:
        console.print(redact_dsn(settings.database_url.get_secret_value()), highlight=False, soft_wrap=True)
    else:
        console.print(embedded_server(settings).start(), highlight=False, soft_wrap=True)


@db_app.command("start")
@cli_errors
def db_start() -> None:
    """Start the embedded PostgreSQL server in ASMIS_DATA_DIR (it keeps running until `db stop`)."""
    server = embedded_server(get_settings())
    was_running = server.running_pid() is not None
    dsn = server.start()
    console.print(("already running: " if was_running else "started: ") + dsn, highlight=False, soft_wrap=True)


@db_app.command("stop")
@cli_errors
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (and the local Prefect server, which keeps its state there)."""
    settings = get_settings()
    server = embedded_server(settings)
    if local_server(settings).stop():
        console.print("stopped the local Prefect server")
    stopped = server.stop()
    console.print("stopped" if stopped else "not running")


def made_by_asmis(settings: Settings) -> list[Path]:
    """What the embedded database, the local Prefect server and the result cache keep on disk: the cluster
    (as root possibly under /var/lib/asmis, whatever HOME says), ASMIS_DATA_DIR and ASMIS_CACHE_DIR."""
    found: list[Path] = []
    if settings.database_url is None:
        found.append(EmbeddedPostgres(settings.data_dir).layout.root)
    found += [settings.data_dir.absolute(), settings.cache_dir.absolute()]
    home = Path.home().absolute()
    for path in found:  # a data or cache dir set to a home or a root directory is a mistake, not ours to remove
        if path == home or path in home.parents or len(path.parts) < 2:
            raise AsmisError(f"{path}: will not remove a home or top-level directory (check ASMIS_DATA_DIR and "
                             "ASMIS_CACHE_DIR)")
    return [p for p in dict.fromkeys(found) if p.exists()]


@db_app.command("destroy")
@cli_errors
def db_destroy(yes: Annotated[bool, typer.Option("--yes", help="Do not ask (for scripts).")] = False) -> None:
    """Stop the servers, then remove the embedded database, the local Prefect server's state and the result
    cache (ASMIS_DATA_DIR, ASMIS_CACHE_DIR and, as root, the cluster under /var/lib/asmis). Asks first."""
    settings = get_settings()
    paths = made_by_asmis(settings)
    if not paths:
        console.print("nothing to remove: no database or cache in " + ", ".join(
            str(p) for p in (settings.data_dir, settings.cache_dir)), highlight=False, soft_wrap=True)
        return
    for path in paths:
        console.print(f"would remove {path}", highlight=False, soft_wrap=True)
    if settings.database_url is not None:
        console.print("ASMIS_DATABASE_URL's database is not touched", highlight=False)
    if not yes and not typer.confirm("remove all of it? Every stored call and result goes", default=False):
        raise AsmisError("nothing removed (--yes removes without asking)")
    if local_server(settings).stop():
        console.print("stopped the local Prefect server")
    if settings.database_url is None and EmbeddedPostgres(settings.data_dir).stop():
        console.print("stopped the database")
    for path in paths:
        shutil.rmtree(path, ignore_errors=not path.exists())
        console.print(f"removed {path}", highlight=False, soft_wrap=True)
