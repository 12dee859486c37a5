"""`asmis prompts sync | list`: prompt versions per agent type."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.db import open_database
from lib.db.prompts import PromptRepository
from lib.prompt_files import PROMPTS_DIR, sync_prompts
from lib.settings import get_settings

prompts_app = sub_app("prompts", "Prompt versions per agent type.")


@prompts_app.command("sync")
@cli_errors
def prompts_sync(
    directory: Annotated[Path, typer.Argument(help="Folder of <agent_type>.md files.")] = PROMPTS_DIR,
) -> None:
    """Store each prompt file as a version (its content hash) and make it the active one."""

    async def go() -> None:
        async with open_database(get_settings()) as pool:
            for item in await sync_prompts(PromptRepository(pool), directory):
                what = "activated" if item.changed else "unchanged"
                console.print(f"{item.prompt.agent_type:12} {item.prompt.version}  {what}")

    run_async(go())


@prompts_app.command("list")
@cli_errors
def prompts_list() -> None:
    """List every stored prompt version, the active one marked."""

    async def go() -> None:
        async with open_database(get_settings(), create=False) as pool:
            prompts = await PromptRepository(pool).list()
        table = Table("agent", "version", "active", "created", "source")
        for p in prompts:
            table.add_row(p.agent_type, p.version, "*" if p.is_active else "", f"{p.created_at:%Y-%m-%d %H:%M}",
                          p.source_path or "")
        console.print(table)

    run_async(go())


