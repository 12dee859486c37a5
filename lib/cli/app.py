"""The Typer app every command group registers on, and what the groups share: the console, the
one-line error handler, the event-loop runner."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from lib.errors import AsmisError

P = ParamSpec("P")
T = TypeVar("T")

# Plain Click help: Typer's Rich panels label every flag, --help included, as taking a `<bool>` value.
HELP_STYLE: dict[str, Any] = {"rich_markup_mode": None, "no_args_is_help": True}
app = typer.Typer(help="ASMIS: sales-call transcripts to deal intelligence.", add_completion=False,
                  pretty_exceptions_enable=False, **HELP_STYLE)
console = Console()
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def cli_errors(fn: Callable[P, T]) -> Callable[P, T]:
    """Print AsmisError as one line and exit 1, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except AsmisError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def sub_app(name: str, help: str) -> typer.Typer:
    """A command group (`asmis NAME ...`) registered on the app."""
    group = typer.Typer(help=help, **HELP_STYLE)
    app.add_typer(group, name=name)
    return group
