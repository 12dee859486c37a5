"""`asmis demo`: database, migrations, prompts, sample transcripts and a readable summary."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lib.db import open_database
from lib.db.prompts import PromptRepository
from lib.db.transcripts import TranscriptRepository
from lib.ingest import ingest_paths
from lib.prompt_files import sync_prompts
from lib.settings import Settings


async def run_demo(settings: Settings, console: Console, examples: Path) -> None:
    started = time.perf_counter()
    where = "ASMIS_DATABASE_URL" if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
    console.print(f"[bold]1. database[/bold]  {where}", highlight=False)
    async with open_database(settings) as pool:
        console.print(f"   ready in {time.perf_counter() - started:.1f}s, schema up to date")
        synced = await sync_prompts(PromptRepository(pool))
        versions = ", ".join(f"{s.prompt.agent_type} {s.prompt.version}" for s in synced)
        console.print(f"[bold]2. prompts[/bold]   {versions}", highlight=False)
        transcripts = TranscriptRepository(pool)
        console.print(f"[bold]3. ingest[/bold]    {examples}", highlight=False)
        ids = []
        async for item in ingest_paths(transcripts, [examples], source="examples",
                                       max_bytes=settings.ingest_max_bytes):
            console.print(f"   {item.outcome:9} {Path(item.path).name}: {item.detail}", highlight=False)
            if item.transcript_id:
                ids.append(item.transcript_id)
        table = Table("id", "title", "format", "occurred", "turns", "speakers", title="transcripts")
        for t in await transcripts.get_many(ids):
            table.add_row(str(t.id), t.title or "", t.format, f"{t.occurred_at:%Y-%m-%d}", str(len(t.turns)),
                          ", ".join(t.speakers[:5]) + (" ..." if len(t.speakers) > 5 else ""))
        console.print(table)
    console.print(f"done in {time.perf_counter() - started:.1f}s")
