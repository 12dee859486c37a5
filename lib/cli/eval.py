"""`asmis eval DIR`: score the agents against a labelled set, side by side with `--compare`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lib.cli.app import app, cli_errors, console, run_async
from lib.models import AgentType
from lib.settings import Settings, get_settings

if TYPE_CHECKING:
    from lib.evaluation.report import EvalReport


def _provider(value: str) -> str:
    if value not in ("auto", "anthropic", "bedrock", "vertex", "openai", "offline"):
        raise typer.BadParameter(f"{value!r}: expected auto, anthropic, bedrock, vertex, openai or offline")
    return value


@app.command("eval")
@cli_errors
def eval_command(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of calls with labels.json (or of such folders).")],
    provider: Annotated[str | None, typer.Option(
        "--provider", metavar="PROVIDER", help="auto, anthropic, bedrock, vertex, openai or offline (default: "
        "ASMIS_LLM_PROVIDER).",
        parser=_provider)] = None,
    prompt: Annotated[list[str] | None, typer.Option(
        "--prompt", metavar="AGENT=VERSION", help="AGENT=VERSION: a stored prompt version (or a prompt file) instead of prompts/AGENT.md; "
        "repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    min_f1: Annotated[float | None, typer.Option(
        "--min-f1", metavar="F1", min=0.0, max=1.0, help="Exit 1 when the mean F1 is below this (with --compare: the new version's).")] = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", metavar="AGENT=OLD,NEW", help="AGENT=OLD,NEW: run both versions on the same calls and show what changed.")] = None,
) -> None:
    """Analyse labelled calls in a scratch space (nothing is stored; the cache is used as in a run) and
    print precision, recall and F1 per label."""
    settings = _with_provider(get_settings(), provider)
    # The evaluation machinery (the offline extractor's rules included) loads only for this command.
    from lib.evaluation.run import parse_prompt_options
    from lib.evaluation.session import open_evaluator
    from lib.evaluation.view import print_comparison, print_report

    chosen = parse_prompt_options(prompt or [])
    agent, old_version, new_version = _parse_compare(compare) if compare else (None, "", "")
    # a stored version named anywhere opens the database (the file versions do not need it)
    lookups = [chosen, {agent: old_version}, {agent: new_version}] if agent else [chosen]

    async def go() -> tuple[EvalReport, dict[str, EvalReport], EvalReport | None]:
        async with open_evaluator(settings, *lookups) as ev:
            if agent is None:
                report, parts = await ev.evaluate(directory, await ev.prompts(chosen))
                return report, parts, None
            old, _ = await ev.evaluate(directory, await ev.prompts({**chosen, agent: old_version}))
            new, parts = await ev.evaluate(directory, await ev.prompts({**chosen, agent: new_version}))
            return new, parts, old

    report, parts, old = run_async(go())
    if as_json:
        typer.echo(json.dumps(_as_json(report, parts, old, agent), indent=2))
    elif old is not None and agent is not None:
        print_report(console, old, details=False)
        print_report(console, report, details=False)
        print_comparison(console, old, report, agent)
    else:
        for name, part in parts.items():
            print_report(console, part, title=f"{name}: {part.provider} ({part.model})", details=False)
        print_report(console, report)
    if min_f1 is not None and report.mean_f1 < min_f1:
        console.print(f"[red]mean F1 {report.mean_f1:.3f} is below --min-f1 {min_f1:g}[/red]", highlight=False)
        raise typer.Exit(1)


def _with_provider(settings: Settings, provider: str | None) -> Settings:
    if provider is None:
        return settings
    return settings.model_copy(update={"llm_provider": provider})


def _parse_compare(option: str) -> tuple[AgentType, str, str]:
    from lib.evaluation.labels import EvalError
    from lib.evaluation.run import parse_prompt_options

    agent, sep, versions = option.partition("=")
    old, comma, new = versions.partition(",")
    if not sep or not comma or not old.strip() or not new.strip():
        raise EvalError(f"--compare {option!r}: expected AGENT=OLD,NEW (e.g. meddpic=3f2a9c1b04de,prompts/meddpic.md)")
    chosen = parse_prompt_options([f"{agent}={old}"])
    return next(iter(chosen)), old.strip(), new.strip()


def _as_json(report: EvalReport, parts: dict[str, EvalReport], old: EvalReport | None,
             agent: str | None) -> dict[str, Any]:
    from lib.evaluation.view import flipped

    out = report.as_dict()
    if parts:
        out["sets"] = {name: part.as_dict() for name, part in parts.items()}
    if old is not None and agent is not None:
        out["compare"] = {
            "agent": agent, "old": old.as_dict(), "new_version": report.prompts[agent],
            "old_version": old.prompts[agent],
            "changes": {name: {"f1": round(report.scores[name].f1 - old.scores[name].f1, 4),
                               "recall": round(report.scores[name].recall - old.scores[name].recall, 4),
                               "precision": round(report.scores[name].precision - old.scores[name].precision, 4)}
                        for name in dict.fromkeys([*old.scored, *report.scored])},
            "mean_f1_change": round(report.mean_f1 - old.mean_f1, 4), "flipped": flipped(old, report),
        }
    return out
