"""`asmis demo`: database, migrations, prompts and sample transcripts; then the scorecards of a run."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from lib.db import open_database
from lib.db.embedded import EmbeddedPostgres
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.deals.refresh import refresh_deals
from lib.deals.store import DealRepository
from lib.deals.view import deal_view
from lib.intake.ingest import ingest_paths
from lib.llm import provider_kind
from lib.prompt_files import sync_prompts
from lib.settings import Settings
from lib.transcripts import SUFFIXES
from lib.views.results import print_transcript

DEMO_DEAL = "ACME-2025-001"  # the four sample calls are one deal: Acme Freight buying from Relay
# WebVTT and SRT carry no date (the text and JSON samples do), and a clone's mtimes change every time:
# the demo gives these two the dates the calls themselves mention, so its output is the same everywhere.
SAMPLE_DATES = {
    "acme-freight-1-discovery.vtt": datetime(2025, 9, 9, 15, 0, tzinfo=UTC),
    "acme-freight-4-legal-close.srt": datetime(2025, 10, 22, 15, 0, tzinfo=UTC),
}


def database_location(settings: Settings) -> str:
    """Where the data really is: as root, a cluster for a private data dir lives under /var/lib/asmis."""
    if settings.database_url:
        return "ASMIS_DATABASE_URL"
    return f"embedded PostgreSQL in {EmbeddedPostgres(settings.data_dir).layout.pgdata}"


async def prepare_demo(settings: Settings, console: Console, examples: Path) -> list[int]:
    """Database up, schema migrated, prompts synced, samples ingested; returns the sample ids."""
    started = time.perf_counter()
    console.print(f"[bold]1. database[/bold]  {database_location(settings)}", highlight=False, soft_wrap=True)
    async with open_database(settings) as pool:
        console.print(f"   ready in {time.perf_counter() - started:.1f}s, schema up to date")
        synced = await sync_prompts(PromptRepository(pool))
        versions = ", ".join(f"{s.prompt.agent_type} {s.prompt.version}" for s in synced)
        console.print(f"[bold]2. prompts[/bold]   {versions}", highlight=False)
        console.print(f"[bold]3. ingest[/bold]    {examples}", highlight=False)
        ids = []
        for path in sorted(p for p in examples.iterdir() if p.suffix.lower() in SUFFIXES and p.name[0] != "."):
            async for item in ingest_paths(TranscriptRepository(pool), [path], source="examples", deal_id=DEMO_DEAL,
                                           occurred_at=SAMPLE_DATES.get(path.name),
                                           max_bytes=settings.ingest_max_bytes):
                console.print(f"   {item.outcome:9} {Path(item.path).name}: {item.detail}", highlight=False)
                if item.transcript_id:
                    ids.append(item.transcript_id)
    provider = provider_kind(settings)
    note = " (no ANTHROPIC_API_KEY: rule-based extraction)" if provider == "offline" else ""
    console.print(f"[bold]4. analyse[/bold]   provider {provider}{note}", highlight=False)
    return ids


async def last_run_id(settings: Settings, ids: list[int]) -> str | None:
    """The flow run that made the samples' newest results (what a demo with nothing to do links to)."""
    async with open_database(settings) as pool:
        return await ResultRepository(pool).last_run_id(ids)


async def show_results(settings: Settings, console: Console, ids: list[int]) -> None:
    async with open_database(settings) as pool:
        transcripts = await TranscriptRepository(pool).get_many(ids)
        results = ResultRepository(pool)
        for t in transcripts:
            print_transcript(console, t, await results.for_transcript(t.id))
        await show_deal(pool, settings, console, DEMO_DEAL)


async def show_deal(pool: asyncpg.Pool, settings: Settings, console: Console, deal_id: str) -> None:
    """The sample deal's roll-up, as `asmis deals ACME-2025-001` shows it (refreshed: no LLM call)."""
    await refresh_deals(pool, [deal_id], settings)
    deal = await DealRepository(pool).get(deal_id)
    if deal is not None:
        console.rule(f"[bold]deal {deal_id}[/bold] across its {deal.calls} calls (asmis deals {deal_id})")
        console.print(deal_view(deal))


def summary_table(rows: list[dict[str, str]]) -> Table:
    table = Table("metric", "value", title="run summary", title_justify="left")
    for row in rows:
        table.add_row(row["metric"], row["value"])
    return table
