"""`asmis crm push | status | check`: roll-ups written back to ASMIS_CRM (registered on lib.cli.app).

No Prefect here: the push is the same lib code the push-crm flow's task runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.crm.ledger import CrmLedger
from lib.crm.push import PushReport, crm_client, crm_fields, push_deals
from lib.crm.report import push_lines, status_lines
from lib.db import open_database
from lib.errors import ConfigError
from lib.settings import Settings, get_settings
from lib.shown import plain

crm_app = sub_app("crm", "Write deal roll-ups to Salesforce or HubSpot (ASMIS_CRM); a person's value is never "
                         "overwritten.")


def _configured() -> Settings:
    settings = get_settings()
    if settings.crm is None:
        raise ConfigError("no CRM configured: set ASMIS_CRM to salesforce or hubspot")
    return settings


async def _push(deals: list[str] | None, dry_run: bool, overwrite: list[str]) -> PushReport:
    settings = _configured()
    client = crm_client(settings)
    async with open_database(settings, create=False) as pool:
        return await push_deals(pool, settings, client, deals, dry_run=dry_run, overwrite=overwrite)


@crm_app.command("push")
@cli_errors
def push(
    deal: Annotated[list[str] | None, typer.Option("--deal", metavar="ID", help="Push this deal only (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read the CRM and show the writes; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the push as JSON.")] = False,
    overwrite: Annotated[list[str] | None, typer.Option(
        "--overwrite", metavar="FIELD", help="Take FIELD back from a person: write it even if someone edited it (repeatable).")] = None,
) -> None:
    """Write each deal's MEDDPICC fields where they are empty or still hold what ASMIS wrote; report the rest."""
    report = run_async(_push(deal or None, dry_run, overwrite or []))
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return
    for line in push_lines(report):
        console.print(plain(line), highlight=False, markup=False, soft_wrap=True)


async def _status() -> dict[str, Any]:
    settings = _configured()
    async with open_database(settings, create=False) as pool:
        return await CrmLedger(pool, settings.crm or "").status()


@crm_app.command("status")
@cli_errors
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The last push, what was written to each deal and when, and the open conflicts."""
    found = run_async(_status())
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for line in status_lines(found):
        console.print(plain(line), highlight=False, markup=False, soft_wrap=True)


@crm_app.command("check")
@cli_errors
def check(create: Annotated[bool, typer.Option(
        "--create", help="HubSpot: create the property group and the missing properties.")] = False) -> None:
    """Say which mapped CRM fields are missing, of the wrong type or too short."""
    settings = _configured()
    client, fields = crm_client(settings), crm_fields(settings)
    if create:
        made = client.create(fields)
        console.print(f"{client.name}: created {', '.join(made) if made else 'nothing (all there)'}", highlight=False)
    problems = client.check(fields)
    for problem in problems:
        console.print(plain(f"{client.name}: {problem}"), highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
    console.print(f"{client.name}: all {len(fields)} fields ready", highlight=False)
