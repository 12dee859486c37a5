"""`asmis doctor`: the runner, and the database, prompts, cache and disk checks, each against the real
thing in a passing and a failing state."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from lib.db.embedded import EmbeddedPostgres
from lib.db.prompts import PromptRepository
from lib.doctor.check import Check, DoctorContext, Group, ok
from lib.doctor.redact import redact_url, scrub, secrets_in
from lib.doctor.registry import GROUPS
from lib.doctor.runner import failed, run_checks, run_doctor
from lib.prompt_files import sync_prompts
from lib.settings import Settings
from tests.doctor_helpers import by_name, closed_port, run_group, silent_server

GROUP = {g.name: g for g in GROUPS}
SECRET = "gong-SECRET-do-not-print-5d1c9a7e3b"
DB_PASSWORD = "pg-PASSWORD-do-not-print-84c2f1"


# the runner

async def test_a_hanging_check_fails_after_the_timeout_and_the_others_still_report(settings: Settings) -> None:
    async def hangs(ctx: DoctorContext) -> list[Check]:
        await asyncio.sleep(3600)
        return []

    async def answers(ctx: DoctorContext) -> list[Check]:
        return [ok("quick", "fine")]

    checks = await run_checks(DoctorContext(settings, timeout=0.3),
                              [Group("stuck", hangs, "unstick it"), Group("quick", answers, "")])
    assert [(c.name, c.status) for c in checks] == [("stuck", "fail"), ("quick", "ok")]
    assert checks[0].detail == "no answer within 0.3s" and checks[0].fix == "unstick it"
    assert failed(checks) and not failed(checks[1:])


def test_a_check_stuck_in_a_blocking_call_does_not_hold_the_command_open() -> None:
    release = threading.Event()
    safety = threading.Timer(60, release.set)  # were the thread joined, the test would end here, failed
    safety.start()

    async def stuck(ctx: DoctorContext) -> list[Check]:
        await asyncio.to_thread(release.wait)  # a library call that never returns, on a worker thread
        return []

    try:
        [check] = run_doctor(DoctorContext(Settings(), timeout=0.3), [Group("stuck", stuck, "")])
        assert check.status == "fail" and not release.is_set()
        assert any(t.name == "asmis-doctor-probe" and t.daemon for t in threading.enumerate())
    finally:
        release.set()
        safety.cancel()


async def test_a_check_that_raises_is_a_failed_line_not_a_traceback(settings: Settings) -> None:
    async def broken(ctx: DoctorContext) -> list[Check]:
        raise KeyError("boom")

    [check] = await run_checks(DoctorContext(settings), [Group("broken", broken, "")])
    assert check.status == "fail" and "KeyError" in check.detail and check.fix


async def test_secrets_are_scrubbed_from_every_line_even_in_part(settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ASMIS_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/hooksecretXYZ123")

    async def leaky(ctx: DoctorContext) -> list[Check]:
        return [Check("leaky", "fail", f"got {SECRET} and {SECRET[:9]}...", f"try ...{SECRET[-9:]} or "
                      "https://hooks.slack.com/services/T0/B0/hooksecretXYZ123")]

    [check] = await run_checks(DoctorContext(settings, environ=dict(os.environ)),
                               [Group("leaky", leaky, "")])
    text = check.detail + check.fix
    assert SECRET[:9] not in text and SECRET[-9:] not in text and "hooksecretXYZ123" not in text
    assert "***" in check.detail and "hooks.slack.com" in check.fix


def test_what_counts_as_a_secret() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-123456", "ASMIS_DATABASE_URL": f"postgresql://u:{DB_PASSWORD}@h/db",
           "ASMIS_MODEL": "claude-sonnet-5-5", "ASMIS_DATA_DIR": "/var/data", "HUBSPOT_ACCESS_TOKEN": "pat-na1-xyz1"}
    assert secrets_in(env) == {"sk-ant-123456", DB_PASSWORD, "pat-na1-xyz1"}
    assert scrub("dsn postgresql://u:" + DB_PASSWORD + "@h/db", secrets_in(env)) == "dsn postgresql://u:***@h/db"
    assert redact_url(f"postgresql://u:{DB_PASSWORD}@db.example:5433/asmis?sslpassword=x") == \
        "postgresql://u@db.example:5433/asmis"
    assert redact_url("postgresql://u:p%40ss@h/db") == "postgresql://u@h/db"


# the database

async def test_database_up_to_date_names_the_server_without_its_password(
        settings: Settings, database_url: str) -> None:
    [check] = await run_group(GROUP["database"])
    assert check.status == "ok", check
    assert "PostgreSQL 1" in check.detail and "schema up to date" in check.detail
    assert "(ASMIS_DATABASE_URL)" in check.detail


async def test_database_with_pending_or_unknown_migrations(settings: Settings, pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    [check] = await run_group(GROUP["database"])
    assert check.status == "warn" and "1 migration not applied" in check.detail
    assert check.fix == "`asmis db migrate`"
    await pool.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')")
    [check] = await run_group(GROUP["database"])
    assert check.status == "fail" and "9999" in check.detail


async def test_a_stopped_database_fails_and_its_password_never_shows(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_DATABASE_URL", f"postgresql://asmis:{DB_PASSWORD}@127.0.0.1:{closed_port()}/asmis")
    checks = by_name(await run_checks(DoctorContext(Settings()), [GROUP["database"], GROUP["prompts"]]))
    assert checks["database"].status == "fail" and "cannot reach" in checks["database"].detail
    assert "ASMIS_DATABASE_URL" in checks["database"].fix
    assert checks["prompts"].status == "warn" and "not reachable" in checks["prompts"].detail
    assert all(DB_PASSWORD[:8] not in c.detail + c.fix for c in checks.values())


async def test_a_database_name_the_server_does_not_have(settings: Settings, database_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_DATABASE_URL", database_url.replace("/asmis_test_", "/nonesuch_", 1))
    [check] = await run_group(GROUP["database"])
    assert check.status == "fail" and "does not exist on the server" in check.detail and "createdb" in check.fix


async def test_a_user_the_server_refuses_fails_naming_the_credentials_not_the_password(
        settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both servers here trust local connections, so a wrong password is accepted; a role the server does
    # not have is refused the same way (InvalidAuthorizationSpecificationError), and reaches the same line.
    parts = urlsplit(database_url)
    netloc = f"nosuch_role:{DB_PASSWORD}@{parts.netloc.split('@', 1)[-1]}"
    monkeypatch.setenv("ASMIS_DATABASE_URL", urlunsplit(parts._replace(netloc=netloc)))
    [check] = await run_group(GROUP["database"])
    assert check.status == "fail" and "refused the user or password" in check.detail, check
    assert "ASMIS_DATABASE_URL" in check.fix and DB_PASSWORD[:8] not in check.detail + check.fix


async def test_a_database_that_never_answers_fails_within_the_timeout(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as port:
        monkeypatch.setenv("ASMIS_DATABASE_URL", f"postgresql://asmis:{DB_PASSWORD}@127.0.0.1:{port}/asmis")
        [check] = await run_group(GROUP["database"], timeout=1.0)
    assert check.status == "fail" and "no answer within" in check.detail


async def test_the_embedded_server_running_or_not_made_yet(
        settings: Settings, embedded_server: EmbeddedPostgres | None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if embedded_server is None:
        pytest.skip("the session's server is ASMIS_TEST_DATABASE_URL, not an embedded one")
    monkeypatch.delenv("ASMIS_DATABASE_URL")
    monkeypatch.setenv("ASMIS_DATA_DIR", str(embedded_server.data_dir))
    [check] = await run_group(GROUP["database"])
    assert check.status in ("ok", "warn") and "embedded PostgreSQL in" in check.detail, check
    assert "PostgreSQL 18" in check.detail
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("ASMIS_DATA_DIR", str(fresh))
    [check] = await run_group(GROUP["database"])
    assert check.status == "warn" and "no embedded database yet" in check.detail and "asmis db start" in check.fix
    assert not EmbeddedPostgres(fresh).exists()  # the doctor reports; it makes nothing


# the prompts

async def test_prompts_none_active_then_synced_then_edited(settings: Settings, pool: asyncpg.Pool) -> None:
    checks = by_name(await run_group(GROUP["prompts"]))
    assert {c.status for c in checks.values()} == {"warn"} and set(checks) == {"prompt meddpic", "prompt stakeholder"}
    assert "no active prompt" in checks["prompt meddpic"].detail
    await sync_prompts(PromptRepository(pool))
    checks = by_name(await run_group(GROUP["prompts"]))
    assert [c.status for c in checks.values()] == ["ok", "ok"], checks
    await PromptRepository(pool).activate("meddpic", "An edited prompt, not the file's text.")
    checks = by_name(await run_group(GROUP["prompts"]))
    assert checks["prompt meddpic"].status == "warn" and "differs from prompts/meddpic.md" in checks[
        "prompt meddpic"].detail
    assert checks["prompt stakeholder"].status == "ok"


# the filesystem

async def test_cache_dir_writable_or_not(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(GROUP["cache dir"])
    assert check.status == "ok" and "does not exist yet" in check.detail
    assert not (tmp_path / "cache").exists()  # the doctor makes nothing
    (tmp_path / "cache").mkdir()
    [check] = await run_group(GROUP["cache dir"])
    assert check.status == "ok" and check.detail.endswith("is writable")
    assert list((tmp_path / "cache").iterdir()) == []  # its probe file is gone
    (tmp_path / "a-file").write_text("not a directory")
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    [check] = await run_group(GROUP["cache dir"])
    assert check.status == "fail" and "cannot be made" in check.detail and "ASMIS_CACHE_DIR" in check.fix
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(tmp_path / "a-file"))  # exists, but is no directory
    [check] = await run_group(GROUP["cache dir"])
    assert check.status == "fail" and "not writable" in check.detail


async def test_disk_space_against_the_threshold(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_DOCTOR_MIN_FREE_MB", "1")
    [check] = await run_group(GROUP["disk"])
    assert check.status == "ok" and "free of" in check.detail
    monkeypatch.setenv("ASMIS_DOCTOR_MIN_FREE_MB", str(10**12))  # an exabyte: no disk has that much free
    [check] = await run_group(GROUP["disk"])
    assert check.status == "fail" and "ASMIS_DOCTOR_MIN_FREE_MB" in check.detail
