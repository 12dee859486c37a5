"""The `asmis` command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer
from rich.console import Console
from rich.table import Table

from lib.db import open_database
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.errors import AsmisError
from lib.ingest import ingest_paths
from lib.prefect_target import local_server
from lib.prompt_files import PROMPTS_DIR, sync_prompts
from lib.results_view import print_transcript, results_table
from lib.settings import Settings, get_settings

P = ParamSpec("P")
T = TypeVar("T")

# Plain Click help: Typer's Rich panels label every flag, --help included, as taking a `<bool>` value.
HELP_STYLE: dict[str, Any] = {"rich_markup_mode": None, "no_args_is_help": True}
app = typer.Typer(help="ASMIS: sales-call transcripts to deal intelligence.", add_completion=False,
                  pretty_exceptions_enable=False, **HELP_STYLE)
db_app = typer.Typer(help="The PostgreSQL database: embedded server and schema.", **HELP_STYLE)
prompts_app = typer.Typer(help="Prompt versions per agent type.", **HELP_STYLE)
app.add_typer(db_app, name="db")
app.add_typer(prompts_app, name="prompts")
console = Console()
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"


def cli_errors(fn: Callable[P, T]) -> Callable[P, T]:
    """Print AsmisError as one line and exit 1, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except AsmisError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


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


# db


@db_app.command("migrate")
@cli_errors
def db_migrate() -> None:
    """Apply pending migrations (commands that need the schema do this themselves)."""

    async def go() -> list[str]:
        from lib.db.connect import open_pool

        async with open_pool(get_settings()) as pool, pool.acquire() as conn:
            return await migrate(conn)

    applied = run_async(go())
    console.print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


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


# ingest


@app.command()
@cli_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders (.vtt .srt .txt .json).")],
    deal: Annotated[str | None, typer.Option("--deal", help="Deal id to attach to every file.")] = None,
    occurred_at: Annotated[datetime | None, typer.Option(
        "--occurred-at", help="When the calls happened (ISO 8601); default: the file's metadata, then its mtime.",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"])] = None,
    source: Annotated[str, typer.Option("--source", help="Where the files come from (e.g. zoom, gong).")] = "files",
) -> None:
    """Ingest transcripts: one line per file; bad files are reported and skipped; exit 1 if any failed."""
    if occurred_at is not None and occurred_at.tzinfo is None:
        from datetime import UTC

        occurred_at = occurred_at.replace(tzinfo=UTC)
    settings = get_settings()

    async def go() -> int:
        failed = 0
        async with open_database(settings) as pool:
            repo = TranscriptRepository(pool)
            async for item in ingest_paths(repo, paths, source=source, deal_id=deal, occurred_at=occurred_at,
                                           max_bytes=settings.ingest_max_bytes):
                style = {"ingested": "green", "unchanged": "dim", "failed": "red"}[item.outcome]
                ident = f" #{item.transcript_id}" if item.transcript_id else ""
                console.print(f"[{style}]{item.outcome:9}[/{style}] {item.path}{ident}: {item.detail}",
                              highlight=False, soft_wrap=True)
                failed += item.outcome == "failed"
        return failed

    if run_async(go()):
        raise typer.Exit(1)


# prompts


@prompts_app.command("sync")
@cli_errors
def prompts_sync(
    directory: Annotated[Path, typer.Argument(help="Folder of <agent_type>.md files.")] = PROMPTS_DIR,
) -> None:
    """Store each prompt file as a version (its content hash) and make it the active one."""

    async def go() -> None:
        async with open_database(get_settings()) as pool:
            for item in await sync_prompts(PromptRepository(pool), directory):
                what = "activated" if item.changed else "unchanged"
                console.print(f"{item.prompt.agent_type:12} {item.prompt.version}  {what}")

    run_async(go())


@prompts_app.command("list")
@cli_errors
def prompts_list() -> None:
    """List every stored prompt version, the active one marked."""

    async def go() -> None:
        async with open_database(get_settings(), create=False) as pool:
            prompts = await PromptRepository(pool).list()
        table = Table("agent", "version", "active", "created", "source")
        for p in prompts:
            table.add_row(p.agent_type, p.version, "*" if p.is_active else "", f"{p.created_at:%Y-%m-%d %H:%M}",
                          p.source_path or "")
        console.print(table)

    run_async(go())


# results


@app.command()
@cli_errors
def results(
    transcript_id: Annotated[int | None, typer.Argument(help="Show this transcript's scorecard and results.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many recent results to list.")] = 50,
) -> None:
    """List the most recent results (by transcript, then agent), or show one transcript's scorecard."""

    async def go() -> None:
        async with open_database(get_settings(), create=False) as pool:
            repo = ResultRepository(pool)
            transcript = None
            if transcript_id is not None:
                transcript = await TranscriptRepository(pool).get(transcript_id)
                if transcript is None:
                    raise AsmisError(f"no transcript {transcript_id}")
            rows = await (repo.for_transcript(transcript_id) if transcript_id is not None else repo.recent(limit))
        if as_json:
            typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        elif transcript is not None:
            print_transcript(console, transcript, rows)
            console.print(results_table(rows) if rows else
                          f"no results yet: `asmis run --transcript {transcript.id}` analyses it")
        else:
            console.print(results_table(rows) if rows else "no results yet: `asmis run` analyses what is ingested")

    run_async(go())


# cache

cache_app = typer.Typer(help="The result cache (memory and disk tiers).", **HELP_STYLE)
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
@cli_errors
def cache_stats() -> None:
    """Show the disk tier's entries, size and hit/miss counts (across processes, since it was created)."""
    from lib.cache import open_cache

    settings = get_settings()
    if not settings.cache_dir.is_dir():  # opening it would create it
        raise AsmisError(f"no cache yet in ASMIS_CACHE_DIR={settings.cache_dir}: `asmis run` or `make demo` fills it")
    cache = open_cache(settings)
    info = cache.disk.describe()
    cache.close()
    for key, value in info.items():
        console.print(f"{key:12} {value}", highlight=False)


@cache_app.command("clear")
@cli_errors
def cache_clear(
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent type's results.")] = None,
) -> None:
    """Empty the cache (Postgres keeps every result; the next run will call the LLM again)."""
    from lib.cache import open_cache

    cache = open_cache(get_settings())
    removed = cache.clear(agent)
    cache.close()
    console.print(f"removed {removed} cached result(s)")


def main() -> None:
    try:
        app()
    except AsmisError as exc:  # settings errors raised before a command's own handler
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(1) from None



from lib import batches_cli  # noqa: E402, F401 - registers `asmis batches` on this app
