"""Where the data is, and how it goes: a read command that starts a stopped database says so on stderr;
`asmis db destroy` (asking first, `--yes` for scripts) stops the servers and removes the database and
cache ASMIS made; the doctor's disk check looks at the directory the database actually uses (as root that
can be /var/lib/asmis, whatever HOME says). Against a real embedded PostgreSQL of the test's own."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.db import embedded
from lib.db.embedded import EmbeddedPostgres
from lib.settings import Settings, get_settings
from tests.doctor_helpers import run_group
from tests.test_doctor import GROUP

runner = CliRunner()
NOTE = "started the database (asmis db stop ends it)"


@pytest.fixture
def own_data(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty home for ASMIS's data and cache (short: the socket path has a limit), no ASMIS_DATABASE_URL."""
    root = Path(tempfile.mkdtemp(prefix="asmis-dd-"))
    monkeypatch.delenv("ASMIS_DATABASE_URL", raising=False)
    monkeypatch.setenv("ASMIS_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "offline")
    get_settings.cache_clear()
    yield root
    EmbeddedPostgres(root / "data").destroy()
    shutil.rmtree(root, ignore_errors=True)
    get_settings.cache_clear()


def test_a_read_command_says_it_started_a_stopped_database_then_destroy_removes_it(own_data: Path) -> None:
    started = runner.invoke(app, ["db", "start"])
    assert started.exit_code == 0, started.output
    server = EmbeddedPostgres(own_data / "data")
    (own_data / "cache" / "ab").mkdir(parents=True)
    (own_data / "cache" / "ab" / "result.json").write_text("{}")

    assert runner.invoke(app, ["db", "stop"]).exit_code == 0 and server.running_pid() is None
    read = runner.invoke(app, ["results"])
    assert read.exit_code == 0, read.output
    assert read.stderr.splitlines() == [NOTE] and NOTE not in read.stdout
    assert server.running_pid() is not None
    again = runner.invoke(app, ["results"])
    assert again.exit_code == 0 and NOTE not in again.output  # it was running: nothing to say

    kept = runner.invoke(app, ["db", "destroy"], input="n\n")
    assert kept.exit_code == 1 and "error: nothing removed (--yes removes without asking)" in kept.stderr
    assert f"would remove {server.layout.root}" in kept.stdout and server.exists()

    gone = runner.invoke(app, ["db", "destroy", "--yes"])
    assert gone.exit_code == 0, gone.output
    assert "stopped the database" in gone.stdout
    for path in (server.layout.root, own_data / "data", own_data / "cache"):
        assert f"removed {path}" in gone.stdout and not path.exists()
    assert server.running_pid() is None

    after = runner.invoke(app, ["results"])  # a read command never makes a database
    assert after.exit_code == 1 and after.stderr.startswith("error: no database yet")
    assert runner.invoke(app, ["db", "destroy", "--yes"]).stdout.startswith("nothing to remove")


def test_destroy_will_not_remove_a_home_directory(own_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(Path.home()))
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "destroy", "--yes"])
    assert result.exit_code == 1 and "will not remove a home or top-level directory" in result.stderr
    assert Path.home().is_dir()


async def test_the_disk_check_names_the_directory_the_database_uses(own_data: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    own_data.chmod(0o755)  # not private: the cluster is ASMIS_DATA_DIR/postgres for root too
    monkeypatch.setenv("ASMIS_DOCTOR_MIN_FREE_MB", "1")
    [check] = await run_group(GROUP["disk"])
    assert check.status == "ok" and check.detail.endswith(f"for {own_data / 'data' / 'postgres'}"), check.detail


@pytest.mark.skipif(os.geteuid() != 0, reason="only root moves the cluster out of a private data dir")
async def test_as_root_the_disk_check_looks_under_var_lib_asmis(own_data: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    private = own_data / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setenv("ASMIS_DATA_DIR", str(private / "data"))
    monkeypatch.setenv("ASMIS_DOCTOR_MIN_FREE_MB", "1")
    get_settings.cache_clear()
    root = embedded.Layout.for_data_dir(Settings().data_dir).root
    assert root.is_relative_to(embedded.SYSTEM_ROOT)
    [check] = await run_group(GROUP["disk"])
    assert check.detail.endswith(f"for {root}"), check.detail
