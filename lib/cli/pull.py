"""`asmis pull [SOURCE_URL...]` and `asmis sources`: intake from Gong, object storage, folders and Zoom.
Neither imports Prefect: a pull is a lib call; the pull-transcripts flow wraps the same call for the
nightly deployment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from lib.cli.app import app, cli_errors, console, run_async
from lib.db import open_database
from lib.intake.pull import SourceReport, pull_configured
from lib.intake.sources import parse_sources
from lib.intake.state import overview
from lib.settings import get_settings
from lib.views.intake import open_item_lines, pull_lines, sources_table

SinceOption = Annotated[datetime | None, typer.Option(
    "--since", metavar="DAY", help="Read back to this day (YYYY-MM-DD) instead of the high-water mark less the lookback.",
    formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"])]


def print_pull(reports: list[SourceReport]) -> None:
    for line in pull_lines(reports):
        console.print(line, highlight=False, soft_wrap=True)


def pull_now(urls: list[str] | None, since: datetime | None) -> list[SourceReport]:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return run_async(pull_configured(get_settings(), urls, since=since))


@app.command()
@cli_errors
def pull(
    sources: Annotated[list[str] | None, typer.Argument(
        metavar="SOURCE_URL",
        help="Source URLs (gong://, s3://bucket/prefix/, gs://, az://, a folder, zoom://); default: ASMIS_SOURCES.",
        show_default=False)] = None,
    since: SinceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document: a report per source.")] = False,
) -> None:
    """Pull new transcripts from the sources; exit 1 when a source could not be read (named)."""
    reports = pull_now(sources, since)
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        print_pull(reports)
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


@app.command("sources")
@cli_errors
def sources_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document: a record per source.")] = False,
) -> None:
    """Each configured source: its high-water mark, last pull, counts, pending and refused items."""
    settings = get_settings()
    urls = [s.url for s in parse_sources(settings.sources)]

    async def read() -> list[dict[str, object]]:
        async with open_database(settings, create=False) as pool:  # read-only: never makes a cluster
            return await overview(pool, urls)

    found = run_async(read()) if urls else []
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if not found:
        console.print("no sources configured: set ASMIS_SOURCES (see README, \"Where calls come from\")")
        return
    console.print(sources_table(found))
    for line in open_item_lines(found):
        console.print(line, highlight=False, soft_wrap=True)
