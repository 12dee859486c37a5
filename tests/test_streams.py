"""Streams and lines: every error goes to stderr (a command's output stays clean for a pipe), counts read as
words (`1 file`, `2 files`, never `1 requests` or `1 deal(s)`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings, get_settings
from lib.words import count, plural

runner = CliRunner()


def test_an_error_goes_to_stderr_and_nothing_to_stdout(settings: Settings) -> None:
    result = runner.invoke(app, ["results", "99999"])
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr == "error: no transcript 99999\n"


def test_a_usage_error_goes_to_stderr_too(settings: Settings) -> None:
    result = runner.invoke(app, ["results", "--limit", "0"])
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith("error: --limit")


def test_an_error_from_settings_goes_to_stderr(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_CRM", "hubspot")
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["crm", "push", "--dry-run"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ASMIS_CRM=hubspot needs HUBSPOT_ACCESS_TOKEN")


@pytest.mark.parametrize(("n", "word", "many", "said"), [
    (0, "file", None, "0 files"), (1, "file", None, "1 file"), (2, "file", None, "2 files"),
    (1, "request", None, "1 request"), (1, "attempt", None, "1 attempt"), (3, "attempt", None, "3 attempts"),
    (1, "analysis", "analyses", "1 analysis"), (2, "analysis", "analyses", "2 analyses"),
    (2, "property", None, "2 properties"), (1, "property", None, "1 property"),
])
def test_counts_read_as_words(n: int, word: str, many: str | None, said: str) -> None:
    assert count(n, word, many) == said
    if many is None:
        assert plural(word, n) == said.split(" ", 1)[1]


def test_a_pull_of_one_request_says_one_request(settings: Settings, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "call.txt").write_text("Maya Chen: Hello.\nTom Reyes: Our budget is 40k.\n")
    first = runner.invoke(app, ["pull", str(folder)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["pull", str(folder)])
    [line] = [x for x in again.stdout.splitlines() if x.startswith("ok")]
    requests = json.loads(runner.invoke(app, ["pull", str(folder), "--json"]).stdout)[0]["requests"]
    assert requests == 1 and "(1 listed, 1 request," in line, line
