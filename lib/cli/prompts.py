"""`asmis prompts sync | list`: prompt versions per agent type."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.db import open_database
from lib.db.prompts import PromptRepository
from lib.prompt_files import PROMPTS_DIR, PromptSync, sync_prompts
from lib.settings import get_settings

prompts_app = sub_app("prompts", "Prompt versions per agent type.")


@prompts_app.command("sync")
@cli_errors
def prompts_sync(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of <agent_type>.md files (default: the prompts shipped with ASMIS).", show_default=False)] = PROMPTS_DIR,
    force: Annotated[bool, typer.Option(
        "--force", help="Activate a changed version even when the evaluation gate (ASMIS_EVAL_SET) refuses it.")] = False,
) -> None:
    """Store each prompt file as a version (its content hash) and make it the active one. With
    ASMIS_EVAL_SET set, a changed version is first scored on that labelled set and stays inactive when
    its mean F1 falls below the active version's by more than ASMIS_EVAL_TOLERANCE."""
    settings = get_settings()

    async def go() -> list[PromptSync]:
        async with open_database(settings) as pool:
            repo = PromptRepository(pool)
            if settings.eval_set is None:
                return await sync_prompts(repo, directory)
            from lib.evaluation.gate import evaluation_gate
            from lib.evaluation.session import open_evaluator

            async with open_evaluator(settings, repo=repo) as evaluator:
                gate = evaluation_gate(evaluator, settings.eval_set, settings.eval_tolerance, repo)
                return await sync_prompts(repo, directory, gate=gate, force=force)

    synced = run_async(go())
    for item in synced:
        what = "refused" if item.refused else "activated" if item.changed else "unchanged"
        if item.verdict is not None and not item.verdict.allowed and not item.refused:
            what = "activated (--force)"
        line = f"{item.prompt.agent_type:12} {item.prompt.version}  {what}"
        if item.verdict is not None:
            line += f": {item.verdict.detail}"
        if item.refused:
            line += "; stored, not active (`asmis prompts sync --force` activates it)"
        console.print(line, highlight=False)
    if any(item.refused for item in synced):
        raise typer.Exit(1)


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


