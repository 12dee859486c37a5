"""The Typer app every command group registers on, and what the groups share: the console, the
one-line error handler, the event-loop runner."""

from __future__ import annotations

import asyncio
import calendar
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import IO, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from lib.errors import AsmisError

P = ParamSpec("P")
T = TypeVar("T")



USAGE_EXIT = 2  # Click's exit code for a usage error (a bad option or argument), documented on its exceptions


class OneLineUsageError(typer.BadParameter):
    """A bad option or argument: one line naming it and what it takes (exit 2), not Click's usage block."""

    def show(self, file: IO[Any] | None = None) -> None:
        print_error(self.message, Console(stderr=True, file=file) if file is not None else Console(stderr=True))


def _is_usage_error(exc: typer.TyperException) -> bool:
    """Typer vendors Click and exports only TyperException (the base of Click's exceptions) and
    BadParameter, not UsageError (fastapi/typer discussion #1832): a usage error is one whose exit code is
    Click's 2. The help printed for a bare group is one too; it is left alone, recognised by name as
    Typer's own rich_utils does."""
    return (getattr(exc, "exit_code", None) == USAGE_EXIT and not isinstance(exc, OneLineUsageError)
            and type(exc).__name__ != "NoArgsIsHelpError")


def _one_line(exc: typer.TyperException) -> OneLineUsageError:
    param = getattr(exc, "param", None)
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if param is not None and (low is not None or high is not None):  # a number out of its range, or no number
        name = "/".join(param.opts) if param.param_type_name == "option" else (param.name or "").upper()
        allowed = f"from {low} to {high}" if low is not None and high is not None else (
            f"at least {low}" if low is not None else f"at most {high}")
        return OneLineUsageError(f"{name}: must be a number {allowed}")
    format_message = getattr(exc, "format_message", None)
    message = re.sub(r"\bValue error, ", "", format_message() if callable(format_message) else str(exc))
    return OneLineUsageError(message[0].lower() + message[1:] if message[:8] == "Invalid " else message)


class OneLineErrors(TyperGroup):
    """The root command: every parse error, in any command, becomes one line (see OneLineUsageError)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except typer.TyperException as exc:
            if _is_usage_error(exc):
                raise _one_line(exc) from None
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            if _is_usage_error(exc):
                raise _one_line(exc) from None
            raise


# Plain Click help: Typer's Rich panels label every flag, --help included, as taking a `<bool>` value.
HELP_STYLE: dict[str, Any] = {"rich_markup_mode": None, "no_args_is_help": True}
app = typer.Typer(help="ASMIS: sales-call transcripts to deal intelligence.", add_completion=False,
                  pretty_exceptions_enable=False, cls=OneLineErrors, **HELP_STYLE)
console = Console()
err_console = Console(stderr=True)  # errors and notes about what a command did on the side: never in its output


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"asmis {version('asmis')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(show_version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    pass


def print_error(message: str, to: Console | None = None) -> None:
    """`error: MESSAGE` on stderr, on one physical line (never wrapped at the terminal's width, so it can be
    grepped and pasted), with any square brackets in it (a file name, a value) printed as they are, not as
    markup."""
    (to or err_console).print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def cli_errors(fn: Callable[P, T]) -> Callable[P, T]:
    """Print AsmisError as one line and exit 1, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except AsmisError as exc:
            print_error(str(exc))
            raise typer.Exit(1) from None

    return wrapper


def day(value: str) -> datetime:
    """A `YYYY-MM-DD` option (a UTC midnight); a day the calendar lacks is named as such."""
    return _when(value, day_only=True)


def moment(value: str) -> datetime:
    """An ISO 8601 option (`2025-09-09`, `2025-09-09T15:00`, with an offset or `Z`); naive means UTC."""
    return _when(value, day_only=False)


def _when(value: str, *, day_only: bool) -> datetime:
    text = value.strip()
    shape = r"\d{4}-\d{2}-\d{2}" if day_only else r"\d{4}-\d{2}-\d{2}([T ].+)?"
    if not re.fullmatch(shape, text):
        expected = "YYYY-MM-DD" if day_only else "ISO 8601 (YYYY-MM-DD, optionally THH:MM[:SS] and an offset)"
        raise typer.BadParameter(f"{value!r} is not a date: expected {expected}")
    year, month, dom = (int(part) for part in text[:10].split("-"))
    if not 1 <= month <= 12:
        raise typer.BadParameter(f"{value!r}: there is no month {month}")
    if not 1 <= dom <= (last := calendar.monthrange(year, month)[1]):
        raise typer.BadParameter(f"{value!r}: that day does not exist ({calendar.month_name[month]} {year} "
                                 f"has {last} days)")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a valid time: expected HH:MM[:SS] after the date, "
                                 "optionally an offset such as +02:00 or Z") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def sub_app(name: str, help: str) -> typer.Typer:
    """A command group (`asmis NAME ...`) registered on the app."""
    group = typer.Typer(help=help, **HELP_STYLE)
    app.add_typer(group, name=name)
    return group
