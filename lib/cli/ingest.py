"""`asmis ingest PATH...`: transcript files and folders into the database, one line per file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from lib.cli.app import app, cli_errors, console, moment, run_async
from lib.db import open_database
from lib.db.team import TeamRepository
from lib.db.transcripts import TranscriptRepository
from lib.settings import get_settings


@app.command()
@cli_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Transcript files or folders (.vtt .srt .txt .json .md .markdown .docx).")],
    deal: Annotated[str | None, typer.Option("--deal", metavar="ID", help="Deal id to attach to every file.")] = None,
    occurred_at: Annotated[datetime | None, typer.Option(
        "--occurred-at", metavar="WHEN", help="When the calls happened (ISO 8601, UTC unless it has an offset); default: the "
        "file's metadata, then its mtime.", parser=moment)] = None,
    source: Annotated[str, typer.Option("--source", metavar="LABEL", help="Where the files come from (e.g. zoom, gong).")] = "files",
    strict: Annotated[bool, typer.Option("--strict", help="Refuse a file whose speaker labels look misread (its ingest "
                                         "line says why) instead of storing it with a warning.")] = False,
) -> None:
    """Ingest transcripts: one line per file; bad files are reported and skipped; exit 1 if any failed."""
    settings = get_settings()

    from lib.intake.ingest import ingest_paths  # the parsers load only for this command
    from lib.transcripts import SUFFIXES
    from lib.transcripts.sides import Team

    async def go() -> int:
        failed = seen = 0
        async with open_database(settings) as pool:
            repo = TranscriptRepository(pool)
            roster = await TeamRepository(pool).list()
            team = Team(names=tuple(m.name for m in roster),
                        domains=(*settings.seller_domains, *(m.email.split("@")[1] for m in roster if m.email and "@" in m.email)))
            async for item in ingest_paths(repo, paths, source=source, deal_id=deal, occurred_at=occurred_at,
                                           max_bytes=settings.ingest_max_bytes, settings=settings,
                                           seller_company=settings.seller_company, strict=strict, team=team):
                style = {"ingested": "green", "updated": "yellow", "unchanged": "dim", "failed": "red"}[item.outcome]
                ident = f" #{item.transcript_id}" if item.transcript_id else ""
                console.print(f"[{style}]{item.outcome:9}[/{style}] {item.path}{ident}: {item.detail}",
                              highlight=False, soft_wrap=True)
                failed += item.outcome == "failed"
                seen += 1
        if not seen:
            console.print(f"nothing to ingest: no transcript files ({' '.join(SUFFIXES)}) in "
                          f"{', '.join(str(p) for p in paths)}", highlight=False, soft_wrap=True)
        return failed

    if run_async(go()):
        raise typer.Exit(1)


