"""`asmis deals`: roll-ups across a deal's calls (registered on lib.cli.app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lib import words
from lib.cli.app import app, cli_errors, console, run_async
from lib.db import open_database
from lib.deals.export import write_csv
from lib.deals.models import StoredDeal
from lib.deals.refresh import refresh_all_deals, refresh_deals
from lib.deals.store import DealRepository
from lib.deals.view import deal_summary, deal_view, deals_table
from lib.errors import AsmisError
from lib.settings import get_settings


async def load_deals(deal_id: str | None, refresh: bool) -> list[StoredDeal]:
    settings = get_settings()
    async with open_database(settings, create=False) as pool:  # read-only: never makes a cluster
        repo = DealRepository(pool)
        if refresh:
            await (refresh_deals(pool, [deal_id], settings) if deal_id else refresh_all_deals(pool, settings))
        elif stale := await repo.needing_refresh():  # merged duplicate calls (migration 0007)
            await refresh_deals(pool, stale, settings)
        if deal_id is None:
            return await repo.list()
        deal = await repo.get(deal_id)
    if deal is None:
        hint = "" if refresh else " (asmis deals --refresh builds roll-ups from stored results)"
        raise AsmisError(f"deal {deal_id!r}: no such deal{hint}")
    return [deal]


@app.command()
@cli_errors
def deals(
    deal_id: Annotated[str | None, typer.Argument(metavar="DEAL_ID", help="Show this deal's element-by-call grid.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: a line per deal, or the deal's roll-up.")] = False,
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", metavar="FILE", help="Write a row per deal to FILE, columns a CRM import maps onto custom fields.")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Rebuild the roll-ups from stored results first (no LLM call).")] = False,
) -> None:
    """Deal roll-ups: MEDDPICC, stakeholders, warnings and next questions across each deal's calls."""
    found = run_async(load_deals(deal_id, refresh))
    if csv_file is not None:
        try:
            with csv_file.open("w", newline="", encoding="utf-8") as out:
                count = write_csv(found, out)
        except OSError as exc:
            raise AsmisError(f"{csv_file}: cannot write: {exc.strerror or exc}") from exc
        console.print(f"wrote {words.count(count, 'deal')} to {csv_file}", highlight=False)
        return
    if as_json:
        payload = found[0].rollup.model_dump(mode="json") if deal_id else [deal_summary(d) for d in found]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    elif deal_id:
        console.print(deal_view(found[0]))
    elif found:
        console.print(deals_table(found))
    else:
        console.print("no deals yet: ingest calls with --deal (or Gong exports with an Opportunity), run them, "
                      "then `asmis deals --refresh`")
