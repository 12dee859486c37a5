"""Issue 23, items 1 and 2: the same content is one call whatever its source or label; a re-ingest
updates only what was asked for explicitly, never a stored date from a file's mtime; migration 0007
merges the copies an older database holds."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from typer.testing import CliRunner

from lib.cli.main import app
from lib.db.migrate import MIGRATIONS_DIR, migrate
from lib.settings import Settings
from tests.conftest import with_database

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def _ingest(*args: str) -> list[str]:
    result = runner.invoke(app, ["ingest", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def _fetch(settings: Settings, sql: str) -> list[asyncpg.Record]:
    """The CLI runs its own event loop: read the database from a connection of our own."""
    async def go() -> list[asyncpg.Record]:
        assert settings.database_url is not None
        conn = await asyncpg.connect(settings.database_url.get_secret_value())
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        try:
            return await conn.fetch(sql)
        finally:
            await conn.close()

    return asyncio.run(go())


def _rows(settings: Settings) -> list[asyncpg.Record]:
    return _fetch(settings, "SELECT id, source, deal_id, occurred_at, metadata FROM transcripts ORDER BY id")


def test_the_same_content_under_another_source_is_stored_once(settings: Settings) -> None:
    first = _ingest(str(EXAMPLES), "--deal", "ACME-2025-001", "--occurred-at", "2025-09-09")
    assert [line.split()[0] for line in first] == ["ingested"] * 4
    again = _ingest(str(EXAMPLES), "--source", "zoom", "--deal", "ACME-2025-001", "--occurred-at", "2025-09-09")
    assert [line.split()[0] for line in again] == ["unchanged"] * 4, again
    assert all("already stored from files (zoom noted in its metadata)" in line for line in again)
    rows = _rows(settings)
    assert len(rows) == 4 and {r["source"] for r in rows} == {"files"}
    assert all(r["metadata"]["also_from"][0]["source"] == "zoom" for r in rows)
    # A third time under zoom adds no second label; the deal counts each call once.
    _ingest(str(EXAMPLES), "--source", "zoom")
    assert all(len(r["metadata"]["also_from"]) == 1 for r in _rows(settings))
    listed = runner.invoke(app, ["deals", "--refresh", "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"calls": 4' in listed.output


def test_an_explicit_deal_or_date_updates_the_stored_call_and_both_deals(settings: Settings) -> None:
    vtt = str(EXAMPLES / "acme-freight-1-discovery.vtt")
    txt = str(EXAMPLES / "acme-freight-2-technical-demo.txt")
    _ingest(vtt, txt, "--deal", "OLD-1", "--occurred-at", "2025-09-09")
    assert runner.invoke(app, ["deals", "--refresh"]).exit_code == 0
    [moved] = _ingest(vtt, "--source", "gong", "--deal", "NEW-2")
    assert moved.startswith("updated") and "deal OLD-1 -> NEW-2" in moved, moved
    [redated] = _ingest(vtt, "--occurred-at", "2025-09-01")
    assert redated.startswith("updated") and "occurred_at 2025-09-09 00:00 -> 2025-09-01 00:00" in redated, redated
    [same] = _ingest(vtt, "--deal", "NEW-2", "--occurred-at", "2025-09-01")
    assert same.startswith("unchanged"), same
    deals = {r["deal_id"]: r for r in _fetch(settings, "SELECT deal_id, calls, first_call_at FROM deals")}
    # Refreshed by the ingest: the call left OLD-1 and joined NEW-2, then moved to 2025-09-01.
    assert (deals["OLD-1"]["calls"], deals["NEW-2"]["calls"]) == (1, 1)
    assert deals["NEW-2"]["first_call_at"] == datetime(2025, 9, 1, tzinfo=UTC)
    assert len(_rows(settings)) == 2


def test_a_file_without_a_date_says_so_and_its_date_is_never_replaced_by_an_mtime(
        settings: Settings, tmp_path: Path) -> None:
    call = tmp_path / "call.vtt"
    shutil.copy(EXAMPLES / "acme-freight-1-discovery.vtt", call)
    os.utime(call, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    [line] = _ingest(str(call))
    assert line.startswith("ingested")
    assert "no date in the file: using its modification time; --occurred-at sets one" in line
    os.utime(call, (1_760_000_000, 1_760_000_000))  # a clone's fresh mtime, 2025-10-09
    [again] = _ingest(str(call), "--source", "s3")
    assert again.startswith("unchanged") and "modification time" not in again, again
    [row] = _rows(settings)
    assert row["occurred_at"] == datetime.fromtimestamp(1_700_000_000, UTC)
    # A dated file says nothing of mtimes.
    [dated] = _ingest(str(EXAMPLES / "acme-freight-2-technical-demo.txt"))
    assert dated.startswith("ingested") and "modification time" not in dated, dated


def test_an_explicit_date_silences_what_was_doubtful_about_the_files_own(settings: Settings, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("**Date:** 04/05/2026\n\n**Ana:** Thanks for joining.\n\n**Raj:** Happy to be here.\n")
    [line] = _ingest(str(note), "--source", "notes-a")
    assert "could be day or month first" in line, line
    note.write_text(note.read_text() + "\n**Ana:** One more thing.\n")  # other content: a new call
    [line] = _ingest(str(note), "--source", "notes-b", "--occurred-at", "2026-11-01T10:00")
    assert line.startswith("ingested") and "day or month" not in line, line
    assert _rows(settings)[-1]["occurred_at"] == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_a_folder_without_transcripts_says_so(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "readme.pdf").write_bytes(b"%PDF-1.4")
    assert _ingest(str(tmp_path)) == [f"nothing to ingest: no transcript files (.vtt .srt .txt .json .md "
                                      f".markdown .docx) in {tmp_path}"]


async def _database_at_0006(server_dsn: str, tmp_path: Path) -> tuple[str, str]:
    name = f"asmis_mig_{os.getpid()}_{tmp_path.name[-12:].replace('-', '_')}"
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name}")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    older = tmp_path / "migrations"
    older.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-6]_*.sql")):
        shutil.copy(path, older / path.name)
    dsn = with_database(server_dsn, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, older)
    finally:
        await conn.close()
    return dsn, name


_TRANSCRIPT = ("INSERT INTO transcripts (source, external_id, deal_id, format, occurred_at, content, content_sha256, "
               "turns, metadata) VALUES ($1, $2, $3, 'txt', $4, $5, $6, '[]', $7) RETURNING id")
_RESULT = ("INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, model, "
           "model_requested, cost_usd, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'm', 'm', $7, $8) RETURNING id")


async def test_migration_0007_merges_the_copies_an_existing_database_holds(server_dsn: str, tmp_path: Path) -> None:
    dsn, name = await _database_at_0006(server_dsn, tmp_path)
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        sha = hashlib.sha256(b"the call").hexdigest()
        other_sha = hashlib.sha256(b"another call").hexdigest()
        when = datetime(2025, 9, 9, tzinfo=UTC)
        first = await conn.fetchval(_TRANSCRIPT, "examples", "a.vtt", "ACME", when, "the call", sha,
                                    {"file_name": "a.vtt"})
        copy = await conn.fetchval(_TRANSCRIPT, "zoom", "a.vtt", "ACME-2", datetime(2026, 1, 1, tzinfo=UTC),
                                   "the call", sha, {"file_name": "a.vtt"})
        third = await conn.fetchval(_TRANSCRIPT, "s3", "k/a.vtt", None, when, "the call", sha, {})
        other = await conn.fetchval(_TRANSCRIPT, "examples", "b.txt", "ACME", when, "another call", other_sha, {})
        prompt = await conn.fetchval("INSERT INTO prompts (agent_type, version, content, content_sha256) "
                                     "VALUES ('meddpic', 'v1', 'p', $1) RETURNING id", hashlib.sha256(b"p").hexdigest())
        same_input, old_prompt_input = "a" * 64, "b" * 64
        early, late = datetime(2025, 9, 10, tzinfo=UTC), datetime(2025, 9, 11, tzinfo=UTC)
        failed = await conn.fetchval(_RESULT, first, "meddpic", prompt, same_input, "failed", None, 0, late)
        kept = await conn.fetchval(_RESULT, copy, "meddpic", prompt, same_input, "completed", {"x": 1}, 0.5, early)
        moved = await conn.fetchval(_RESULT, third, "meddpic", prompt, old_prompt_input, "completed", {"x": 2}, 0.4,
                                    early)
        await conn.execute("INSERT INTO deals (deal_id, rollup, calls) VALUES ('ACME', '{}', 4), ('ACME-2', '{}', 1)")
        batch = await conn.fetchval("INSERT INTO message_batches (tag, provider, model, requests) "
                                    "VALUES ('0123456789', 'offline', 'm', 2) RETURNING id")
        await conn.execute("INSERT INTO message_batch_items (batch_id, custom_id, transcript_id, agent_type, prompt_id,"
                           " input_hash) VALUES ($1, 'one', $2, 'meddpic', $3, $4), ($1, 'two', $5, 'meddpic', $3, $4)",
                           batch, first, prompt, "c" * 64, copy)

        assert (await migrate(conn))[0] == "0007_one_call_once"  # then any later migrations

        rows = await conn.fetch("SELECT id, source, deal_id, occurred_at, metadata FROM transcripts ORDER BY id")
        assert [r["id"] for r in rows] == [first, other]
        survivor = rows[0]
        assert survivor["source"] == "examples" and survivor["occurred_at"] == when
        assert survivor["deal_id"] == "ACME-2"  # the newest copy's explicit deal
        assert [(x["source"], x["external_id"]) for x in survivor["metadata"]["also_from"]] == [
            ("zoom", "a.vtt"), ("s3", "k/a.vtt")]
        results = await conn.fetch("SELECT id, transcript_id, status FROM agent_results ORDER BY id")
        assert [(r["id"], r["transcript_id"], r["status"]) for r in results] == [
            (kept, first, "completed"), (moved, first, "completed")]
        assert failed not in [r["id"] for r in results]
        items = await conn.fetch("SELECT custom_id, transcript_id, state FROM message_batch_items ORDER BY custom_id")
        assert [(i["custom_id"], i["transcript_id"], i["state"]) for i in items] == [
            ("one", first, "pending"), ("two", first, "released")]
        flags = dict(await conn.fetch("SELECT deal_id, needs_refresh FROM deals"))  # type: ignore[arg-type]
        assert flags == {"ACME": True, "ACME-2": True}
        # Content is unique now, whatever the source.
        duplicate = await conn.fetchval(
            "INSERT INTO transcripts (source, format, occurred_at, content, content_sha256, turns) "
            "VALUES ('gong', 'txt', now(), 'the call', $1, '[]') ON CONFLICT DO NOTHING RETURNING id", sha)
        assert duplicate is None
    finally:
        await conn.close()
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


def test_a_deal_the_migration_marked_is_rebuilt_when_read(settings: Settings) -> None:
    _ingest(str(EXAMPLES / "acme-freight-2-technical-demo.txt"), "--deal", "ACME")
    assert runner.invoke(app, ["deals", "--refresh"]).exit_code == 0
    _fetch(settings, "UPDATE deals SET calls = 2, needs_refresh = true")  # as 0007 leaves a merged deal
    shown = runner.invoke(app, ["deals", "--json"])
    assert shown.exit_code == 0 and '"calls": 1' in shown.output, shown.output
    assert [r["needs_refresh"] for r in _fetch(settings, "SELECT needs_refresh FROM deals")] == [False]


def test_a_second_demo_links_the_run_that_made_its_results(settings: Settings, prefect_harness: None) -> None:
    """Issue 23, item 8: with nothing to do, the demo still says where to look: the last run and the deal's
    roll-up artifact in the Prefect UI."""
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    [run_url] = [line.split()[-1] for line in first.output.splitlines() if line.startswith("Prefect UI")]
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "a second demo makes no LLM call" in second.output
    assert [line.split()[-1] for line in second.output.splitlines() if line.startswith("Prefect UI")] == [run_url]
    assert "artifact deal-rollups (markdown)" in second.output
    assert second.output.count("unchanged") == 4 and "ingested" not in second.output
