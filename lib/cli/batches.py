"""`asmis batches`: the Message Batches submitted, their status, request counts and cost."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from lib.cli.app import app, cli_errors, console, run_async
from lib.db import open_database
from lib.db.batches import BatchRepository, StoredBatch
from lib.models import json_time
from lib.settings import get_settings
from lib.shown import shown


def _row(b: StoredBatch) -> dict[str, object]:
    c = b.counts
    return {"id": b.id, "api_batch_id": b.api_batch_id, "provider": b.provider, "status": b.status, "model": b.model,
            "requests": b.requests, "processing": c.processing, "succeeded": c.succeeded, "errored": c.errored,
            "canceled": c.canceled, "expired": c.expired, "cost_usd": str(b.cost_usd),
            "created_at": json_time(b.created_at), "ended_at": json_time(b.ended_at),
            "collected_at": json_time(b.collected_at)}


@app.command()
@cli_errors
def batches(
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, max=100_000, help="How many recent batches to list.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List Message Batches, newest first: status, request counts and cost."""

    async def go() -> list[StoredBatch]:
        async with open_database(get_settings()) as pool:
            return await BatchRepository(pool).recent(limit)

    rows = run_async(go())
    if as_json:
        typer.echo(json.dumps([_row(b) for b in rows], indent=2))
        return
    # Fits 80 columns: the API's batch id folds, everything else stays whole on one line.
    table = Table(box=None)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("batch", overflow="fold")
    for name in ("status", "requests", "ok/err/exp/cxl", "$", "created"):
        table.add_column(name, no_wrap=True, justify="left" if name in ("status", "created") else "right")
    for b in rows:
        c = b.counts
        table.add_row(str(b.id), shown(b.api_batch_id or "(not recorded yet)"), shown(b.status), str(b.requests),
                      f"{c.succeeded}/{c.errored}/{c.expired}/{c.canceled}", f"{b.cost_usd:.4f}",
                      f"{b.created_at:%Y-%m-%d %H:%M}")
    console.print(table if rows else "no batches yet")
