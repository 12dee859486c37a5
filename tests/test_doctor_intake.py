"""`asmis doctor`'s source checks against the intake fakes: Gong (a good and a wrong secret), S3 through
moto (a bucket that answers, an endpoint that does not), a folder with a refused item, a Zoom source
without credentials, and ASMIS_SOURCES empty or malformed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lib.doctor.registry import GROUPS
from lib.intake.pull import pull_source
from lib.intake.sources import parse_source
from lib.settings import Settings
from tests.doctor_helpers import closed_port, run_group
from tests.fake_gong import FakeGong
from tests.s3_server import ACCESS_KEY, SECRET_KEY, client, threaded_s3

SOURCES = next(g for g in GROUPS if g.name == "sources")
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Maya Chen>Thanks for joining today, Tom.\n"


@pytest.fixture
def gong(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGong]:
    with FakeGong(rate=1000) as fake:
        monkeypatch.setenv("GONG_ACCESS_KEY", fake.access_key)
        monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", fake.secret)
        monkeypatch.setenv("GONG_API_BASE_URL", fake.url)
        monkeypatch.setenv("ASMIS_GONG_REQUESTS_PER_SECOND", "1000")
        monkeypatch.setenv("ASMIS_SOURCES", "gong://")
        yield fake


@pytest.fixture
def s3(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with threaded_s3() as endpoint:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("ASMIS_SOURCES", "s3://calls/zoom/")
        store = client(endpoint)
        store.create_bucket(Bucket="calls")
        store.put_object(Bucket="calls", Key="zoom/call-1.vtt", Body=VTT.encode())
        yield store


async def test_no_sources_or_a_malformed_list(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(SOURCES)
    assert check.name == "sources" and check.status == "ok" and "none configured" in check.detail
    monkeypatch.setenv("ASMIS_SOURCES", "ftp://calls.example/")
    [check] = await run_group(SOURCES)
    assert check.status == "fail" and "unknown scheme ftp://" in check.detail and "ASMIS_SOURCES" in check.fix


async def test_gong_credentials_accepted_then_counted_after_a_pull(gong: FakeGong, pool: asyncpg.Pool) -> None:
    started = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    gong.add_call("7782342274025937800", started=started, title="Pricing")
    [check] = await run_group(SOURCES)
    assert (check.name, check.status) == ("source gong://", "ok"), check
    assert "read: 1 item in the last day; not pulled yet" in check.detail
    assert gong.count("/v2/calls") == 1 and gong.count("/v2/calls/transcript") == 0  # one listing, nothing fetched
    await pull_source(pool, Settings(), parse_source("gong://"))
    [check] = await run_group(SOURCES)
    assert check.status == "ok" and "1 stored, 0 pending, 0 refused" in check.detail


async def test_a_wrong_gong_secret_fails_without_showing_it(gong: FakeGong, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "gong-WRONG-secret-5c8e1f0a9d"
    monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", wrong)
    [check] = await run_group(SOURCES)
    assert check.status == "fail" and "401" in check.detail and "GONG_ACCESS_KEY_SECRET" in check.fix
    assert all(piece not in check.detail + check.fix for piece in (wrong, wrong[:8], wrong[-8:], gong.secret))


async def test_a_bucket_that_answers_and_an_endpoint_that_does_not(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(SOURCES)
    assert (check.name, check.status) == ("source s3://calls/zoom/", "ok"), check
    assert "read: 1 item" in check.detail
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    [check] = await run_group(SOURCES, timeout=3.0)
    assert check.status == "fail" and "AWS_ENDPOINT_URL" in check.fix, check
    assert "127.0.0.1" in check.detail  # names the endpoint that did not answer
    assert SECRET_KEY[:8] not in check.detail


async def test_a_refused_item_is_a_warning_and_missing_credentials_a_failure(
        settings: Settings, pool: asyncpg.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "good.vtt").write_text(VTT)
    (folder / "broken.json").write_text("{")
    await pull_source(pool, settings, parse_source(str(folder)))
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASMIS_SOURCES", f"{folder},zoom://")
    folder_check, zoom_check = await run_group(SOURCES)
    assert folder_check.name == f"source file://{folder}/" and folder_check.status == "warn", folder_check
    assert "1 stored, 0 pending, 1 refused" in folder_check.detail and "asmis sources" in folder_check.fix
    assert zoom_check.name == "source zoom://" and zoom_check.status == "fail" and "must be set" in zoom_check.detail
