"""`asmis pull` counts what it did: a file `asmis ingest` already stored is `already stored`, not new, and
not handed on for analysis; a refused item stays refused (and is counted so) until its content changes;
`asmis sources` keeps its times whole at 80 columns.

Before: the pull said `new 1`, `transcript_ids: [1]` (an existing call) for a file ingest had stored, and a
second pull counted two refused files as `unchanged`."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings, get_settings

runner = CliRunner()
TXT = "Maya Chen: Hello, this is call {n}.\nTom Reyes: Our budget is {n}0k and I sign.\n"


def use_source(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("ASMIS_SOURCES", str(folder))
    get_settings.cache_clear()


def pull_json() -> dict:
    result = runner.invoke(app, ["pull", "--json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    return dict(report)


def test_a_file_ingest_stored_is_already_stored_not_new(settings: Settings, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "call-0.txt").write_text(TXT.format(n=0))
    ingested = runner.invoke(app, ["ingest", str(folder / "call-0.txt")])
    assert ingested.exit_code == 0, ingested.output
    (folder / "call-1.txt").write_text(TXT.format(n=1))
    use_source(monkeypatch, folder)

    report = pull_json()
    assert (report["new"], report["already_stored"], report["unchanged"]) == (1, 1, 0)
    assert len(report["transcript_ids"]) == 1 and 1 not in report["transcript_ids"]  # #1 is ingest's call

    again = runner.invoke(app, ["pull"])
    assert again.exit_code == 0 and re.search(r"new 0 .*already stored 0 .*unchanged 2", again.stdout), again.stdout
    shown = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)
    assert shown[0]["items"] == {"stored": 2, "pending": 0, "refused": 0}


def test_a_refused_item_stays_refused_until_its_content_changes(settings: Settings, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for n in range(3):
        (folder / f"call-{n}.txt").write_text(TXT.format(n=n))
    (folder / "broken.json").write_text("{")
    (folder / "empty.txt").write_text("")
    use_source(monkeypatch, folder)

    first = pull_json()
    assert (first["new"], len(first["refused"]), first["unchanged"]) == (3, 2, 0)
    second = pull_json()
    assert (second["new"], len(second["refused"]), second["unchanged"]) == (0, 2, 3)
    assert sorted(r["external_id"] for r in second["refused"]) == ["broken.json", "empty.txt"]
    assert all(r["earlier"] and r["reason"] for r in second["refused"])
    shown = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)[0]
    assert shown["last_counts"] == {"new": 0, "changed": 0, "already stored": 0, "pending": 0, "refused": 2,
                                    "unchanged": 3}
    assert shown["items"] == {"stored": 3, "pending": 0, "refused": 2}

    later = time.time() + 5  # the folder's version of a file is its time and size: the content changed
    (folder / "empty.txt").write_text(TXT.format(n=9))
    os.utime(folder / "empty.txt", (later, later))
    third = pull_json()
    assert (third["new"], len(third["refused"]), third["unchanged"]) == (1, 1, 3)
    assert [(r["external_id"], r["earlier"]) for r in third["refused"]] == [("broken.json", True)]
    shown = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)[0]
    assert shown["items"] == {"stored": 4, "pending": 0, "refused": 1}


def test_sources_keeps_its_times_whole_at_80_columns(settings: Settings, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "a-rather-long-folder-name-for-exported-call-transcripts" / "from-the-recorder"
    folder.mkdir(parents=True)
    (folder / "call-0.txt").write_text(TXT.format(n=0))
    (folder / "broken.json").write_text("{")
    use_source(monkeypatch, folder)
    monkeypatch.setenv("COLUMNS", "80")
    pull_json()
    shown = runner.invoke(app, ["sources"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    block = [line for line in lines if not line.startswith(("refused ", "pending "))]  # those are one line each
    assert all(len(line.rstrip()) <= 80 for line in block), lines
    stamps = [line for line in lines if re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", line)]
    assert len(stamps) == 2, lines  # newest seen and last pull, each whole on its line
    assert any("1 stored, 0 pending, 1 refused" in line for line in lines), lines
