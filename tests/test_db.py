from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from lib.db.connect import create_pool, db_errors
from lib.db.migrate import load_migrations, migrate
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.errors import MigrationError, PermanentDatabaseError, RetryableDatabaseError
from lib.models import AgentResult, NewTranscript
from lib.settings import Settings
from tests.conftest import with_database


def transcript(content: str = "Ana: hello", source: str = "upload") -> NewTranscript:
    import hashlib

    return NewTranscript(
        source=source, format="txt", occurred_at=datetime(2026, 3, 1, tzinfo=UTC), content=content,
        content_sha256=hashlib.sha256(content.encode()).hexdigest(),
        turns=[{"speaker": "Ana", "start_ms": None, "end_ms": None, "text": "hello"}], speakers=["Ana"],
    )


def result(transcript_id: int, status: str = "completed", input_hash: str = "a" * 64, **kw: object
           ) -> AgentResult:
    values: dict[str, object] = {
        "transcript_id": transcript_id, "agent_type": "meddpic", "prompt_id": None, "input_hash": input_hash,
        "status": status, "data": {"ok": True} if status == "completed" else None, "model": "offline-test",
    }
    values.update(kw)
    values.setdefault("model_requested", values["model"])
    return AgentResult.model_validate(values)


async def test_migrations_are_idempotent_and_concurrent(server_dsn: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    await admin.execute("DROP DATABASE IF EXISTS asmis_migrate_twice WITH (FORCE)")
    await admin.execute("CREATE DATABASE asmis_migrate_twice")
    try:
        dsn = with_database(server_dsn, "asmis_migrate_twice")
        conns = [await asyncpg.connect(dsn) for _ in range(4)]
        results = await asyncio.gather(*(migrate(c) for c in conns))
        names = [m.name for m in load_migrations()]
        assert sorted(results, key=len)[-1] == names  # one process applied them all...
        assert sum(len(r) for r in results) == len(names)  # ...and nobody applied anything twice
        assert await migrate(conns[0]) == []
        rows = await conns[0].fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [m.version for m in load_migrations()]
        for c in conns:
            await c.close()
    finally:
        await admin.execute("DROP DATABASE IF EXISTS asmis_migrate_twice WITH (FORCE)")
        await admin.close()


async def test_failed_migration_is_not_recorded(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE extra_ok (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE extra_broken (id int); SELECT nope;")
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DROP TABLE schema_migrations")
        with pytest.raises(PermanentDatabaseError):
            await migrate(conn, tmp_path)
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        assert versions == [1]
        assert await conn.fetchval("SELECT to_regclass('extra_broken')") is None
    finally:
        await conn.close()


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "first.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="first.sql"):
        load_migrations(tmp_path)


async def test_transcripts_are_stored_once_per_content(pool: asyncpg.Pool) -> None:
    repo = TranscriptRepository(pool)
    first, inserted = await repo.add(transcript())
    again, inserted_again = await repo.add(transcript())
    other_source, inserted_elsewhere = await repo.add(transcript(source="gong"))  # the same call, from Gong
    assert inserted and not inserted_again and first == again == other_source and not inserted_elsewhere
    stored = await repo.get(first)
    assert stored is not None and stored.turns[0]["speaker"] == "Ana" and stored.speakers == ["Ana"]
    assert stored.source == "upload" and stored.metadata["also_from"][0]["source"] == "gong"
    other, _ = await repo.add(transcript("Another call entirely."))
    assert [t.id for t in await repo.get_many([other, first])] == [first, other]
    assert await repo.count() == 2
    assert len(await repo.list(since=datetime(2026, 3, 2, tzinfo=UTC))) == 0


async def test_one_active_prompt_per_agent(pool: asyncpg.Pool) -> None:
    repo = PromptRepository(pool)
    v1, changed1 = await repo.activate("meddpic", "prompt one")
    v1_again, changed_again = await repo.activate("meddpic", "prompt one")
    v2, changed2 = await repo.activate("meddpic", "prompt two")
    assert changed1 and not changed_again and changed2 and v1.id == v1_again.id
    active = await repo.active("meddpic")
    assert active is not None and active.id == v2.id and active.content == "prompt two"
    back, changed_back = await repo.activate("meddpic", "prompt one")
    assert changed_back and back.id == v1.id
    assert sum(p.is_active for p in await repo.list()) == 1
    # Concurrent activations never leave two active versions (the partial unique index would refuse).
    await asyncio.gather(*(repo.activate("meddpic", f"concurrent {i}") for i in range(8)))
    assert sum(p.is_active for p in await repo.list()) == 1


async def test_result_upsert_is_idempotent_and_never_downgrades(pool: asyncpg.Pool) -> None:
    tid, _ = await TranscriptRepository(pool).add(transcript())
    repo = ResultRepository(pool)
    await repo.upsert_many([result(tid, "failed", errors=["timeout"])])
    await repo.upsert_many([result(tid, "completed", confidence=0.7)])
    await repo.upsert_many([result(tid, "failed", errors=["later failure"])])
    await repo.upsert_many([result(tid, "completed", confidence=0.1)])
    rows = await repo.for_transcript(tid)
    assert len(rows) == 1
    assert rows[0].status == "completed" and rows[0].confidence == 0.7 and rows[0].attempts == 2


async def test_result_batch_with_a_bad_row_writes_nothing(pool: asyncpg.Pool) -> None:
    tid, _ = await TranscriptRepository(pool).add(transcript())
    repo = ResultRepository(pool)
    batch = [result(tid, input_hash="b" * 64), result(999_999, input_hash="c" * 64)]
    with pytest.raises(PermanentDatabaseError) as info:
        await repo.upsert_many(batch)
    assert info.value.details["sqlstate"] == "23503"
    assert await repo.for_transcript(tid) == []


async def test_lost_connection_is_retryable(pool: asyncpg.Pool, settings: Settings) -> None:
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        async with pool.acquire() as killer:
            await killer.execute("SELECT pg_terminate_backend($1)", pid)
        await asyncio.sleep(0.2)  # let the client read the server's goodbye
        with pytest.raises(RetryableDatabaseError):
            with db_errors():
                await conn.fetchval("SELECT 1")


async def test_unreachable_server_is_retryable(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(RetryableDatabaseError):
        await create_pool(f"postgresql://postgres@/x?host={tmp_path}&port=1", settings)


async def test_driver_errors_do_not_quote_values(pool: asyncpg.Pool) -> None:
    secret_text = "Karen Liu said the budget is confidential"
    with pytest.raises(PermanentDatabaseError) as info:
        with db_errors():
            await pool.fetchval("SELECT $1::int", secret_text)
    assert "query argument $1" in str(info.value) and secret_text not in str(info.value)
