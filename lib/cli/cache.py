"""`asmis cache stats | clear`: the result cache's disk tier."""

from __future__ import annotations

from typing import Annotated

import typer

from lib.cli.app import cli_errors, console, sub_app
from lib.errors import AsmisError
from lib.models import AgentType
from lib.settings import get_settings
from lib.words import count

cache_app = sub_app("cache", "The result cache (memory and disk tiers).")


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
    agent: Annotated[AgentType | None, typer.Option("--agent", metavar="AGENT", help="Only this agent type's results "
                                                    "(meddpic or stakeholder).")] = None,
) -> None:
    """Empty the cache (Postgres keeps every result; the next run will call the LLM again)."""
    from lib.cache import open_cache

    cache = open_cache(get_settings())
    removed = cache.clear(agent)
    cache.close()
    console.print(f"removed {count(removed, 'cached result')}")


