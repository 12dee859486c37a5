"""Issue 23, items 3-5: a bad option is one line naming it and what it takes (exit 2), for every command;
unknown transcript ids are named (exit 1); dates that do not exist are called that; JSON timestamps
have one format."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, get_args

import asyncpg
import pytest
import typer
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append(((*prefix, name), command))
    return found


def _is_number(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    return annotation in (int, float) or any(arg in (int, float) for arg in get_args(annotation))


def _numeric_params() -> list[tuple[tuple[str, ...], Any]]:
    return [(name, param) for name, command in _commands(typer.main.get_command(app))
            for param in command.params if _is_number(param)]


def _one_line_error(result: Any) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_every_number_a_command_takes_has_a_range_and_says_it_in_one_line() -> None:
    numeric = _numeric_params()
    assert len(numeric) >= 8  # run --limit/--transcript/--task-batch, backfill, results, batches, ...
    for name, param in numeric:
        assert param.min is not None or param.max is not None, f"asmis {' '.join(name)} {param.name}: no range"
        label = param.opts[0] if param.param_type_name == "option" else param.name.upper()
        for bad in ("-1", "many", "99999999999"):
            if bad == "99999999999" and param.max is None:
                continue
            args = [*name, param.opts[0], bad] if param.param_type_name == "option" else [*name, "--", bad]
            line = _one_line_error(runner.invoke(app, args))
            assert label in line and "must be a number" in line, (args, line)
            assert (f"at least {param.min}" in line or f"from {param.min} to {param.max}" in line
                    or f"at most {param.max}" in line), line


def test_run_limit_zero_is_one_line_not_a_traceback() -> None:
    for value in ("0", "-1"):
        assert _one_line_error(runner.invoke(app, ["run", "--limit", value])) == \
            "error: --limit: must be a number at least 1"
    assert _one_line_error(runner.invoke(app, ["run", "--task-batch", "5000"])) == \
        "error: --task-batch: must be a number from 1 to 1000"


def test_other_usage_errors_are_one_line_too_and_help_still_shows() -> None:
    assert "unknown agent type(s): foo" in _one_line_error(runner.invoke(app, ["run", "--agent", "foo"]))
    assert "'foo' is not one of" in _one_line_error(runner.invoke(app, ["cache", "clear", "--agent", "foo"]))
    assert "--lmit" in _one_line_error(runner.invoke(app, ["run", "--lmit", "3"]))
    assert "nosuch" in _one_line_error(runner.invoke(app, ["nosuch"]))
    group = runner.invoke(app, ["db"])  # a group without its command shows its help, as before
    assert "migrate" in group.output and "error" not in group.output


def test_a_day_that_does_not_exist_is_called_that() -> None:
    line = _one_line_error(runner.invoke(app, ["backfill", "--since", "2025-02-30", "--until", "2025-03-01"]))
    assert "--since" in line and "that day does not exist (February 2025 has 28 days)" in line, line
    assert "does not match the formats" not in line
    line = _one_line_error(runner.invoke(app, ["backfill", "--since", "2025-01-01", "--until", "2025-04-31"]))
    assert "--until" in line and "April 2025 has 30 days" in line
    assert "no month 13" in _one_line_error(runner.invoke(app, ["backfill", "--since", "2025-13-01",
                                                                "--until", "2026-01-01"]))
    line = _one_line_error(runner.invoke(app, ["ingest", str(EXAMPLES), "--occurred-at", "2025-02-29T10:00"]))
    assert "--occurred-at" in line and "that day does not exist" in line
    assert "not a date" in _one_line_error(runner.invoke(app, ["ingest", str(EXAMPLES), "--occurred-at", "soon"]))


def test_occurred_at_takes_iso_8601_with_or_without_an_offset(settings: Settings) -> None:
    vtt, srt = EXAMPLES / "acme-freight-1-discovery.vtt", EXAMPLES / "acme-freight-4-legal-close.srt"
    assert runner.invoke(app, ["ingest", str(vtt), "--occurred-at", "2024-02-29T15:00"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(srt), "--occurred-at", "2025-10-22T17:00+02:00"]).exit_code == 0
    rows = runner.invoke(app, ["results", "1"])
    assert rows.exit_code == 0 and "2024-02-29" in rows.output, rows.output
    assert "2025-10-22" in runner.invoke(app, ["results", "2"]).output


@pytest.mark.parametrize("force", [True, False])
def test_unknown_transcript_ids_are_named(settings: Settings, force: bool) -> None:
    runner.invoke(app, ["ingest", str(EXAMPLES / "acme-freight-2-technical-demo.txt")])
    args = ["run", "--transcript", "42", "--transcript", "1", "--transcript", "7"] + (["--force"] if force else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "error: no transcript #7, #42 (`asmis results` lists the stored ones)"


def test_nothing_to_do_never_suggests_force_when_it_was_given(settings: Settings) -> None:
    forced = runner.invoke(app, ["run", "--force"])
    assert forced.exit_code == 0 and "nothing to do" in forced.output and "--force" not in forced.output
    plain = runner.invoke(app, ["run"])
    assert plain.exit_code == 0 and "use --force to run again" in plain.output


_STAMP = re.compile(r'"(\d{4}-\d\d-\d\dT[^"]*)"')


def _stamps(output: str) -> list[str]:
    return _STAMP.findall(output)


def test_json_timestamps_have_one_format(settings: Settings) -> None:
    assert runner.invoke(app, ["ingest", str(EXAMPLES), "--deal", "D-1"]).exit_code == 0

    async def add_batch() -> None:
        assert settings.database_url is not None
        conn = await asyncpg.connect(settings.database_url.get_secret_value())
        try:
            await conn.execute("INSERT INTO message_batches (tag, provider, model, requests, ended_at) "
                               "VALUES ('0123456789', 'offline', 'm', 1, now())")
        finally:
            await conn.close()

    asyncio.run(add_batch())
    outputs = {args: runner.invoke(app, list(args)) for args in
               [("deals", "--refresh", "--json"), ("deals", "D-1", "--json"), ("batches", "--json")]}
    for args, result in outputs.items():
        assert result.exit_code == 0, (args, result.output)
        stamps = _stamps(result.output)
        assert stamps, args
        assert all(s.endswith("Z") for s in stamps), (args, [s for s in stamps if not s.endswith("Z")])


def test_an_error_is_one_physical_line_whatever_its_length_and_brackets(tmp_path: Path) -> None:
    where = tmp_path / ("a-long-folder-name-" * 6) / "calls [2025]"
    result = runner.invoke(app, ["eval", str(where)])
    assert result.exit_code == 1
    assert result.output == f"error: {where}: not a directory\n"


def test_a_provider_the_eval_does_not_know_is_a_usage_error_and_the_version_prints() -> None:
    from importlib.metadata import version

    bad = runner.invoke(app, ["eval", str(EXAMPLES), "--provider", "foo"])
    assert bad.exit_code == 2 and "'--provider': 'foo': expected auto, anthropic, bedrock, vertex, openai or offline" in bad.output
    shown = runner.invoke(app, ["--version"])
    assert shown.exit_code == 0 and shown.output == f"asmis {version('asmis')}\n"


def test_nothing_to_do_for_named_transcripts_names_them(settings: Settings) -> None:
    runner.invoke(app, ["ingest", str(EXAMPLES / "acme-freight-2-technical-demo.txt")])

    async def analysed() -> int:
        assert settings.database_url is not None
        conn = await asyncpg.connect(settings.database_url.get_secret_value())
        try:
            tid = int(await conn.fetchval("SELECT max(id) FROM transcripts"))
            for agent in ("meddpic", "stakeholder"):  # done, as far as the backlog is concerned
                await conn.execute("INSERT INTO agent_results (transcript_id, agent_type, input_hash, status, data, "
                                   "model, model_requested) VALUES ($1, $2, $3, 'completed', '{}', 'm', 'm')",
                                   tid, agent, ("a" if agent == "meddpic" else "b") * 64)
            return tid
        finally:
            await conn.close()

    tid = asyncio.run(analysed())
    result = runner.invoke(app, ["run", "--transcript", str(tid)])
    assert result.exit_code == 0 and result.output == f"nothing to do: #{tid} has its results (use --force to run again)\n"
