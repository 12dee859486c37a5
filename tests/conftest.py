"""Real PostgreSQL for every test: one server per session (the embedded one, or ASMIS_TEST_DATABASE_URL),
one migrated template database built once, and a fresh clone of it per test."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI

API_KEY = "sk-ant-test-DO-NOT-LEAK-7f3a9c"

# Before any task module is imported: Prefect task retries wait milliseconds, not seconds, in tests.
os.environ.setdefault("ASMIS_TASK_RETRY_BASE_SECONDS", "0.01")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Flow tests use prefect_test_harness; no command run in-process may start a real local Prefect server
# (tests/test_local_server.py turns it back on for the commands it runs in subprocesses).
os.environ.setdefault("ASMIS_PREFECT_LOCAL_SERVER", "false")
TEMPLATE = "asmis_template"
LIVE = Path(__file__).parent / "live"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/live/ makes real, billed API calls: collected only when a path under it is named."""
    if collection_path != LIVE:
        return None
    named = [Path(str(arg).split("::")[0]).resolve() for arg in config.args]
    return not any(path == LIVE or LIVE in path.parents for path in named)
_counter = itertools.count()


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[EmbeddedPostgres | None]:
    """The session's embedded server, or None when ASMIS_TEST_DATABASE_URL names another one."""
    if os.environ.get("ASMIS_TEST_DATABASE_URL"):
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="asmis-test-"))
    server = EmbeddedPostgres(root / "data", unsafe_fast=True)
    server.start()
    yield server
    server.destroy()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def server_dsn(embedded_server: EmbeddedPostgres | None) -> str:
    """DSN of a maintenance database on the test server."""
    return embedded_server.dsn("postgres") if embedded_server else os.environ["ASMIS_TEST_DATABASE_URL"]


@pytest.fixture(scope="session")
async def template_dsn(server_dsn: str) -> str:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await conn.close()
    dsn = with_database(server_dsn, TEMPLATE)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


@pytest.fixture
async def database_url(server_dsn: str, template_dsn: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"asmis_test_{os.getpid()}_{next(_counter)}"
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await conn.close()
    yield with_database(server_dsn, name)
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings on this test's database; get_settings() (used by the CLI and flows) sees them too."""
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_DATABASE_URL", database_url)
    monkeypatch.setenv("ASMIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "offline")
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url.get_secret_value(), settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def fake_api() -> Iterator[FakeMessagesAPI]:
    with FakeMessagesAPI() as fake:
        yield fake


@pytest.fixture
def llm(fake_api: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> FakeMessagesAPI:
    """The fake Messages API with every knob at its default (FakeMessagesAPI.reset), the SDK pointed at it."""
    fake_api.reset()
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.url)
    return fake_api


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp_path_factory.mktemp("prefect-storage"))
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_settings(settings: Settings, llm: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch,
                  prefect_harness: None) -> Iterator[Settings]:
    """Settings for a flow run against the fake API; get_settings() sees them too."""
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "anthropic")
    monkeypatch.setenv("ASMIS_MODEL", "claude-sonnet-5-5")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
