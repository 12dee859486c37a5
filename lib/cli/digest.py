"""`asmis digest [--dry-run]`: the Slack digest of the deals that changed (registered on lib.cli.app)."""

from __future__ import annotations

from typing import Annotated

import typer

from lib.cli.app import app, cli_errors, console, run_async
from lib.db import open_database
from lib.digest.run import DigestOutcome, run_digest
from lib.settings import get_settings
from lib.shown import plain


async def _digest(dry_run: bool) -> DigestOutcome:
    settings = get_settings()
    async with open_database(settings, create=False) as pool:
        return await run_digest(pool, settings, dry_run=dry_run)


@app.command()
@cli_errors
def digest(dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the message; send nothing and keep the mark.")] = False) -> None:
    """Send one Slack message listing the deals whose roll-up changed since the last digest."""
    outcome = run_async(_digest(dry_run))
    if outcome.digest is None:
        console.print("nothing changed since the last digest: nothing to send", highlight=False)
        return
    console.print(plain(outcome.digest.text, lines=True), highlight=False, markup=False, soft_wrap=True)
    if outcome.sent_to:
        console.print(f"sent to {outcome.sent_to}", highlight=False)
