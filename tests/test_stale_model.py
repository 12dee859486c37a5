"""The model asked for and the model that answered are stored apart, and "stale" compares what was asked:
the real API answers an alias with a dated snapshot id, which must not make every result look stale."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from typer.testing import CliRunner

from lib.cache.keys import input_hash
from lib.cli.main import app
from lib.db.connect import create_pool
from lib.db.migrate import MIGRATIONS_DIR, migrate
from lib.settings import Settings, get_settings
from tests.conftest import with_database
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as _calls
from tests.helpers import seed

ALIAS = "claude-sonnet-5-5"
DATED = f"{ALIAS}-20260929"
T = TypeVar("T")
runner = CliRunner()



def _on_db(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `work` on a pool of its own: the CLI runs its own event loops, so this test is synchronous."""
    assert settings.database_url is not None

    async def go() -> T:
        pool = await create_pool(settings.database_url.get_secret_value(), settings)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(go())


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_dated_reply_model_is_not_stale_and_a_changed_setting_is(
        flow_settings: Settings, llm: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "answer_models", {ALIAS: DATED})
    assert get_settings().model == ALIAS
    _on_db(flow_settings, lambda pool: seed(pool, 5))
    _invoke("run")
    assert _calls(llm) == 10
    rows = _on_db(flow_settings, lambda pool: pool.fetch(
        "SELECT DISTINCT model, model_requested, status FROM agent_results"))
    assert [tuple(r) for r in rows] == [(DATED, ALIAS, "completed")]

    # An emptied cache turns every claimed transcript into LLM calls, so claims are counted by calls.
    _invoke("cache", "clear")
    backfill = ("backfill", "--since", "2025-01-01", "--until", "2025-01-06", "--reprocess-stale")
    _invoke(*backfill)
    assert _calls(llm) == 10

    # The control: another configured model does make those same results stale.
    monkeypatch.setenv("ASMIS_MODEL", "claude-haiku-4-5")
    get_settings.cache_clear()
    _invoke(*backfill)
    assert _calls(llm) == 20
    requested = _on_db(flow_settings, lambda pool: pool.fetch(
        "SELECT model_requested, count(*) AS n FROM agent_results GROUP BY 1 ORDER BY 1"))
    assert [tuple(r) for r in requested] == [("claude-haiku-4-5", 10), (ALIAS, 10)]


async def _pre_0005_database(server_dsn: str, name: str, tmp_path: Path) -> str:
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 5:
            shutil.copy(path, earlier / path.name)
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    dsn = with_database(server_dsn, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, earlier)
    finally:
        await conn.close()
    return dsn


async def test_the_migration_recovers_the_requested_model_from_the_input_hash(
        server_dsn: str, tmp_path: Path) -> None:
    dsn = await _pre_0005_database(server_dsn, "asmis_requested_model", tmp_path)
    conn = await asyncpg.connect(dsn)
    try:
        sha = hashlib.sha256(b"Ana: hello").hexdigest()
        transcript_id = await conn.fetchval(
            "INSERT INTO transcripts (source, format, occurred_at, content, content_sha256, turns)"
            " VALUES ('t', 'txt', now(), 'Ana: hello', $1, '[]') RETURNING id", sha)
        prompt_id, prompt_sha = await conn.fetchrow(
            "INSERT INTO prompts (agent_type, version, content, content_sha256)"
            " VALUES ('meddpic', 'v1', 'p', $1) RETURNING id, content_sha256", hashlib.sha256(b"p").hexdigest())

        def key(model: str) -> str:
            return input_hash(agent_type="meddpic", prompt_sha256=prompt_sha, model=model, schema_version="1",
                              transcript_sha256=sha)

        # (the id asked for, the id the reply named): an alias answered with a snapshot, a snapshot asked
        # for by name, and an id with no date at all.
        cases = [(ALIAS, DATED), (DATED, DATED), ("offline-rules-1", "offline-rules-1")]
        for asked, answered in cases:
            await conn.execute(
                "INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, model)"
                " VALUES ($1, 'meddpic', $2, $3, 'completed', '{}', $4)",
                transcript_id, prompt_id, key(asked), answered)
        assert "0005_requested_model" in await migrate(conn)
        rows = await conn.fetch("SELECT model_requested, model FROM agent_results ORDER BY id")
        assert [tuple(r) for r in rows] == cases
    finally:
        await conn.close()
        admin = await asyncpg.connect(server_dsn)
        await admin.execute("DROP DATABASE IF EXISTS asmis_requested_model WITH (FORCE)")
        await admin.close()
