"""`asmis results [TRANSCRIPT_ID] [--json]`: stored results, or one transcript's scorecard."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from lib.cli.app import app, cli_errors, console, run_async
from lib.db import open_database
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.errors import AsmisError
from lib.settings import get_settings
from lib.views.results import print_transcript, results_table


@app.command()
@cli_errors
def results(
    transcript_id: Annotated[int | None, typer.Argument(min=1, metavar="TRANSCRIPT_ID", help="Show this transcript's scorecard and results.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, max=100_000, help="How many recent results to list.")] = 50,
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


