"""The `asmis` command line through Typer's runner, on a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings

runner = CliRunner()


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + name, command))
        if hasattr(command, "commands"):
            found += _commands(command, prefix + name + " ")
    return found


def test_every_command_and_option_has_help() -> None:
    commands = _commands(typer.main.get_command(app))
    names = {name for name, _ in commands}
    assert {"demo", "db migrate", "db url", "db start", "db stop", "ingest", "prompts sync", "prompts list",
            "run", "backfill", "results", "serve", "cache stats", "cache clear", "server start", "server stop",
            "server url", "crm push", "crm status", "crm check", "digest"} <= names
    for name, command in commands:
        assert (command.help or "").strip(), f"`asmis {name}` has no help"
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option":
                assert (param.help or "").strip(), f"`asmis {name} {param.opts[0]}` has no help"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "<bool>" not in result.output, f"`asmis {name} --help` shows a value for a flag"


def _write_mixed_folder(root: Path) -> None:
    root.mkdir()
    (root / "good.txt").write_text("[00:00:01] Ana Ruiz: We need this live by March.\n"
                                   "[00:00:09] Ben Cole: Our CFO signs anything over $100k.\n")
    (root / "good.vtt").write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAna Ruiz: Hello there.\n\n"
                                   "2\n00:00:03.500 --> 00:00:06.000\nBen Cole: Thanks for joining.\n")
    (root / "empty.txt").write_text("")
    (root / "binary.srt").write_bytes(bytes(range(256)) * 4)
    (root / "broken.json").write_text('{"turns": [')


def test_ingest_takes_the_good_files_once_and_reports_the_bad(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    _write_mixed_folder(folder)
    first = runner.invoke(app, ["ingest", str(folder), "--deal", "D-1", "--source", "zoom"])
    assert first.exit_code == 1, first.output
    lines = first.output.strip().splitlines()
    assert len(lines) == 5
    assert sum(line.startswith("ingested") for line in lines) == 2
    assert sum(line.startswith("failed") for line in lines) == 3
    for bad in ("empty.txt", "binary.srt", "broken.json"):
        assert any(bad in line and line.startswith("failed") for line in lines), bad
    second = runner.invoke(app, ["ingest", str(folder / "good.txt"), str(folder / "good.vtt"), "--source", "zoom"])
    assert second.exit_code == 0 and second.output.count("unchanged") == 2
    listed = runner.invoke(app, ["results", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output) == []


def test_ingest_of_a_missing_path_fails_clearly(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.vtt")])
    assert result.exit_code == 1 and "nope.vtt" in result.output


def test_prompts_sync_then_list(settings: Settings) -> None:
    synced = runner.invoke(app, ["prompts", "sync"])
    assert synced.exit_code == 0 and synced.output.count("activated") == 2
    again = runner.invoke(app, ["prompts", "sync"])
    assert again.output.count("unchanged") == 2
    listed = runner.invoke(app, ["prompts", "list"])
    assert "meddpic" in listed.output and "stakeholder" in listed.output


def test_prompts_sync_refuses_unknown_agent_files(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "pricing.md").write_text("hello")
    result = runner.invoke(app, ["prompts", "sync", str(tmp_path)])
    assert result.exit_code == 1 and "pricing.md" in result.output and "unknown agent type" in result.output


def test_db_url_hides_the_password(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_DATABASE_URL", "postgresql://asmis:hunter2-secret@db.example:5432/asmis")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "url"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "hunter2-secret" not in result.output and "***" in result.output


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_LLM_CONCURRENCY", "lots")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["cache", "stats"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "ASMIS_LLM_CONCURRENCY" in result.output


def test_run_with_nothing_to_do_answers_without_prefect(settings: Settings) -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 0 and "nothing to do" in result.output


def test_backfill_dry_run_estimates_each_chunk_without_prefect(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    _write_mixed_folder(folder)
    for name in ("empty.txt", "binary.srt", "broken.json"):
        (folder / name).unlink()
    assert runner.invoke(app, ["ingest", str(folder / "good.txt"), "--occurred-at", "2025-01-02"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(folder / "good.vtt"), "--occurred-at", "2025-01-09"]).exit_code == 0
    result = runner.invoke(app, ["backfill", "--since", "2025-01-01", "--until", "2025-01-15", "--chunk-days", "7",
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "2025-01-" in line]
    assert len(rows) == 2 and all(" 1 " in row and " 2 " in row for row in rows)  # 1 transcript, 2 calls each
    assert "Starting temporary server" not in result.output
