"""The pull as a whole: sources named by URL, the CLI (`asmis pull`, `asmis sources`), two pulls at once,
a pull SIGKILLed midway and pulled again, the pull-transcripts flow and the nightly flow."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.errors import ConfigError
from lib.intake.pull import pull_source
from lib.intake.sources import parse_source, parse_sources
from lib.settings import Settings
from tests.fake_gong import FakeGong

runner = CliRunner()
TXT = "Maya Chen: Hello, this is call {n}.\nTom Reyes: Our budget is {n}0k and I sign.\n"


def folder_of(tmp_path: Path, n: int, name: str = "calls") -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"call-{i:03d}.txt").write_text(TXT.format(n=i))
    return folder


@pytest.mark.parametrize(("raw", "url"), [
    ("gong://", "gong://"), ("gong://1234567890123456789", "gong://1234567890123456789"),
    ("zoom://", "zoom://"), ("zoom://me", "zoom://"), ("zoom://u-1", "zoom://u-1"),
    ("s3://calls/zoom", "s3://calls/zoom/"), ("s3://calls", "s3://calls/"), ("gs://b/p/q/", "gs://b/p/q/"),
    ("az://container/exports", "az://container/exports/"), ("file:///data/calls", "file:///data/calls/"),
    ("/data/calls/", "file:///data/calls/"),
])
def test_source_urls_are_normalised(raw: str, url: str) -> None:
    assert parse_source(raw).url == url


@pytest.mark.parametrize("raw", ["ftp://x/y", "s3://", "gong://ws/extra", "file://host/dir"])
def test_bad_source_urls_are_named(raw: str) -> None:
    with pytest.raises(ConfigError, match="source|bucket"):
        parse_source(raw)


def test_sources_are_listed_once_in_order() -> None:
    assert [s.url for s in parse_sources("gong://, s3://a/b ,gong://,zoom://me")] == ["gong://", "s3://a/b/",
                                                                                       "zoom://"]


async def test_two_pulls_at_once_store_each_item_once(pool: asyncpg.Pool, settings: Settings,
                                                     tmp_path: Path) -> None:
    spec = parse_source(str(folder_of(tmp_path, 12)))
    first, second = await asyncio.gather(pull_source(pool, settings, spec), pull_source(pool, settings, spec))
    assert first.new + second.new == 12 and first.new + first.unchanged == 12
    assert await pool.fetchval("SELECT count(*) FROM transcripts") == 12
    assert await pool.fetchval("SELECT count(DISTINCT external_id) FROM transcripts") == 12


def test_pull_and_sources_commands(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = folder_of(tmp_path, 2)
    (good / "broken.json").write_text("{")
    monkeypatch.setenv("ASMIS_SOURCES", f"{good},{tmp_path / 'missing'}")
    from lib.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("ok") and "new 2" in line and "refused 1" in line for line in lines), lines
    assert any(line.startswith("failed") and "missing/: no such" in line for line in lines), lines
    assert any(line.startswith("refused") and "broken.json: " in line for line in lines), lines
    only_good = runner.invoke(app, ["pull", str(good), "--json"])
    assert only_good.exit_code == 0, only_good.output
    [report] = json.loads(only_good.output)
    assert report["source"] == f"file://{good}/" and report["unchanged"] == 2 and report["new"] == 0
    assert [r["external_id"] for r in report["refused"]] == ["broken.json"]  # refused until it changes
    shown = runner.invoke(app, ["sources", "--json"])
    assert shown.exit_code == 0, shown.output
    by_url = {s["source"]: s for s in json.loads(shown.output)}
    assert by_url[f"file://{good}/"]["items"] == {"stored": 2, "pending": 0, "refused": 1}
    assert by_url[f"file://{good}/"]["refused"][0]["external_id"] == "broken.json"
    assert by_url[f"file://{tmp_path}/missing/"]["last_error"].endswith("no such bucket, container or folder")
    table = runner.invoke(app, ["sources"])
    assert table.exit_code == 0 and "refused file://" in table.output and "broken.json" in table.output


def test_pull_with_nothing_configured_says_so(settings: Settings) -> None:
    result = runner.invoke(app, ["pull"])
    assert result.exit_code == 1 and "ASMIS_SOURCES" in result.output


async def test_a_pull_killed_midway_then_pulled_again_loses_nothing_and_stores_nothing_twice(
        pool: asyncpg.Pool, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    with FakeGong(page_size=10, rate=1000) as gong:
        ids = [f"{10**19 + i}" for i in range(30)]
        for n, call_id in enumerate(ids):
            gong.add_call(call_id, started=(now - timedelta(hours=n + 1)).isoformat())
        env = {**os.environ, "ASMIS_DATABASE_URL": database_url, "GONG_ACCESS_KEY": gong.access_key,
               "GONG_ACCESS_KEY_SECRET": gong.secret, "GONG_API_BASE_URL": gong.url,
               "ASMIS_GONG_REQUESTS_PER_SECOND": "15", "ASMIS_GONG_TRANSCRIPT_BATCH": "1"}
        proc = subprocess.Popen([str(Path(sys.executable).with_name("asmis")), "pull", "gong://"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(2400):  # up to two minutes for the command to start and store five calls
                if await pool.fetchval("SELECT count(*) FROM transcripts") >= 5 or proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            assert proc.poll() is None, "the pull ended before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        killed_at = await pool.fetchval("SELECT count(*) FROM transcripts")
        assert 5 <= killed_at < 30
        for name in ("GONG_ACCESS_KEY", "GONG_ACCESS_KEY_SECRET", "GONG_API_BASE_URL",
                     "ASMIS_GONG_REQUESTS_PER_SECOND"):
            monkeypatch.setenv(name, env[name])
        report = await pull_source(pool, Settings(), parse_source("gong://"))
        assert report.error is None
        assert report.new == 30 - killed_at and report.unchanged == killed_at
    rows = await pool.fetch("SELECT external_id, count(*) AS n FROM transcripts GROUP BY external_id")
    assert sorted(r["external_id"] for r in rows) == sorted(ids) and {r["n"] for r in rows} == {1}
    states = await pool.fetch("SELECT DISTINCT state FROM intake_items")
    assert [r["state"] for r in states] == ["stored"]


async def test_pull_transcripts_flow_reports_every_source(pool: asyncpg.Pool, flow_settings: Settings,
                                                         tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.pull import pull_transcripts

    good = folder_of(tmp_path, 3)
    reports = await pull_transcripts(sources=[str(good), str(tmp_path / "missing")])
    assert [(r.source, r.new, r.ok) for r in reports] == [(f"file://{good}/", 3, True),
                                                          (f"file://{tmp_path}/missing/", 0, False)]
    async with get_client() as client:
        artifact = await client.read_latest_artifacts()
    summary = [a for a in artifact if a.key == "pull-summary"]
    assert summary and f"file://{good}/" in str(summary[0].data) and "call-000" not in str(summary[0].data)


async def test_nightly_pulls_then_processes(pool: asyncpg.Pool, flow_settings: Settings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.nightly import nightly
    from lib.settings import get_settings
    from tests.helpers import seed

    await seed(pool, 0)  # the prompts
    monkeypatch.setenv("ASMIS_SOURCES", str(folder_of(tmp_path, 2)))
    get_settings.cache_clear()
    summary = await nightly()
    assert summary.completed == 4, summary  # 2 pulled calls x 2 agents


async def test_a_prefect_secret_block_may_supply_a_credential(pool: asyncpg.Pool, flow_settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    from flows.pull import pull_transcripts

    with FakeGong(rate=1000) as gong:
        gong.add_call("12345678901234567890", started=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
        monkeypatch.setenv("GONG_ACCESS_KEY", gong.access_key)
        monkeypatch.setenv("GONG_API_BASE_URL", gong.url)
        monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", "")  # restored to unset afterwards, however it is set
        monkeypatch.delenv("GONG_ACCESS_KEY_SECRET")
        await Secret(value=gong.secret).save("gong-access-key-secret", overwrite=True)
        try:
            [report] = await pull_transcripts(sources=["gong://"])
        finally:
            await Secret.adelete("gong-access-key-secret")
    assert report.error is None and report.new == 1


async def test_a_changed_item_is_analysed_again_and_its_old_results_are_kept_as_superseded(
        pool: asyncpg.Pool, settings: Settings, tmp_path: Path) -> None:
    folder = folder_of(tmp_path, 1)
    spec = parse_source(str(folder))
    [transcript_id] = (await pull_source(pool, settings, spec)).transcript_ids
    await pool.execute("INSERT INTO agent_results (transcript_id, agent_type, input_hash, status, model, "
                       "model_requested) VALUES ($1, 'meddpic', $2, 'failed', 'm', 'm')", transcript_id, "a" * 64)
    (folder / "call-000.txt").write_text(TXT.format(n="new"))
    changed = await pull_source(pool, settings, spec)
    assert changed.changed == 1 and changed.transcript_ids == [transcript_id]
    assert await pool.fetchval("SELECT count(*) FROM agent_results WHERE transcript_id = $1", transcript_id) == 0
    kept = await pool.fetch("SELECT agent_type, input_hash, reason FROM superseded_results WHERE transcript_id = $1",
                            transcript_id)
    assert [tuple(r) for r in kept] == [("meddpic", "a" * 64, f"content changed at {spec.url}")]
    (folder / "call-000.txt").touch()  # a new mtime, the same content: read again, nothing changes
    touched = await pull_source(pool, settings, spec)
    assert (touched.changed, touched.unchanged, touched.fetched) == (0, 1, 1) and touched.transcript_ids == []


def test_run_pull_pulls_then_processes(flow_settings: Settings, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    folder = folder_of(tmp_path, 2)
    monkeypatch.setenv("ASMIS_SOURCES", str(folder))
    get_settings.cache_clear()
    assert runner.invoke(app, ["prompts", "sync"]).exit_code == 0
    first = runner.invoke(app, ["run", "--pull"])
    assert first.exit_code == 0, first.output
    assert "new 2" in first.output and "completed" in first.output
    again = runner.invoke(app, ["run", "--pull", "--agent", "meddpic"])
    assert again.exit_code == 0 and "unchanged 2" in again.output and "nothing to do" in again.output
    old = runner.invoke(app, ["pull", "--since", "2020-01-01", "--json"])
    assert old.exit_code == 0 and json.loads(old.output)[0]["since"].startswith("2020-01-01T00:00:00Z")


async def test_two_items_with_the_same_content_share_one_transcript(pool: asyncpg.Pool, settings: Settings,
                                                                   tmp_path: Path) -> None:
    folder = folder_of(tmp_path, 1)
    (folder / "copy-of-call-000.txt").write_text(TXT.format(n=0))
    report = await pull_source(pool, settings, parse_source(str(folder)))
    assert report.error is None and (report.new, report.already_stored) == (1, 1) and len(report.transcript_ids) == 1
    assert await pool.fetchval("SELECT count(*) FROM transcripts") == 1
    items = await pool.fetch("SELECT state, transcript_id FROM intake_items")
    assert {(r["state"], r["transcript_id"]) for r in items} == {("stored", report.transcript_ids[0])}
