"""`asmis doctor [--json] [--send-test]`: what in this setup works and what does not (no Prefect import)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape

from lib.cli.app import app, cli_errors, console
from lib.doctor.check import Check, DoctorContext, fail
from lib.doctor.registry import GROUPS
from lib.doctor.runner import failed, run_doctor, scrubbed
from lib.errors import ConfigError
from lib.settings import get_settings

_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


@app.command()
@cli_errors
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help='Print {"checks": [{"name", "status", "detail", "fix"}]}.')]
    = False,
    send_test: Annotated[bool, typer.Option(
        "--send-test", help="Also post a test message where a check could (Slack); without it nothing is posted.")]
    = False,
) -> None:
    """Check the database, prompts, LLM key, Prefect, sources, CRM, Slack, cache and disk: one line each,
    with the fix. Exit 1 when a check failed (warnings allowed)."""
    try:
        settings = get_settings()
    except ConfigError as exc:  # the doctor is what one runs when settings are wrong: say it as a check
        checks = scrubbed([fail("settings", str(exc), "correct the variables named (environment or .env)")],
                          os.environ)
    else:
        ctx = DoctorContext(settings, timeout=settings.doctor_timeout_seconds, send_test=send_test)
        checks = run_doctor(ctx, GROUPS)
    if as_json:
        typer.echo(json.dumps({"checks": [c.as_json() for c in checks]}, indent=2))
    else:
        _print(checks)
    if failed(checks):
        raise typer.Exit(1)


def _print(checks: list[Check]) -> None:
    width = max(len(c.name) for c in checks)
    for check in checks:
        line = f"[{_STYLE[check.status]}]{check.status:4}[/]  {escape(check.name):{width}}  {escape(check.detail)}"
        if check.fix:
            line += f"  [bold]→[/bold] {escape(check.fix)}"
        console.print(line, highlight=False, soft_wrap=True)
    counts = Counter(c.status for c in checks)
    console.print(f"{len(checks)} checks: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail",
                  highlight=False)
