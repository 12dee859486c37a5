"""`asmis team add | list | remove`: the seller's roster; its people are the seller on every call ingested."""

from __future__ import annotations

from typing import Annotated

import typer

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.db import open_database
from lib.db.team import TeamRepository
from lib.settings import get_settings

team_app = sub_app("team", "The seller's team: people on the seller's side of every call.")


@team_app.command("add")
@cli_errors
def team_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The person's full name, as calls label them.")],
    email: Annotated[str | None, typer.Option("--email", metavar="E", help="Their e-mail address.")] = None,
) -> None:
    """Put a person on the seller's team (calls ingested from now on place them on the seller's side)."""
    async def go() -> bool:
        async with open_database(get_settings()) as pool:
            return await TeamRepository(pool).add(name, email)

    added = run_async(go())
    console.print(f"{'added' if added else 'already on the team (updated)'}: {' '.join(name.split())}", highlight=False)


@team_app.command("list")
@cli_errors
def team_list() -> None:
    """List the seller's team."""
    async def go() -> list[tuple[str, str | None]]:
        async with open_database(get_settings()) as pool:
            return [(m.name, m.email) for m in await TeamRepository(pool).list()]

    members = run_async(go())
    for name, email in members:
        console.print(f"{name}" + (f"  <{email}>" if email else ""), highlight=False)
    if not members:
        console.print("no one on the team yet: `asmis team add NAME [--email E]`", highlight=False)


@team_app.command("remove")
@cli_errors
def team_remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The person's name, as listed.")],
) -> None:
    """Take a person off the seller's team."""
    async def go() -> bool:
        async with open_database(get_settings()) as pool:
            return await TeamRepository(pool).remove(name)

    if not run_async(go()):
        console.print(f"not on the team: {name}", highlight=False)
        raise typer.Exit(1)
    console.print(f"removed: {name}", highlight=False)
