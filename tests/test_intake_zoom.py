"""Zoom cloud recordings as a source, against the fake Zoom API and OAuth server on loopback: paging,
month-long windows, a meeting without a transcript, an expired token refreshed, wrong credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from lib.intake.pull import pull_source
from lib.intake.sources import parse_source
from lib.settings import Settings
from tests.fake_zoom import FakeZoom

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ZOOM = parse_source("zoom://")
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nMaya Chen: Welcome to meeting {n}.\n\n" \
      "2\n00:00:05.000 --> 00:00:09.000\nTom Reyes: We need this live by June.\n"


@pytest.fixture
def zoom(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZoom]:
    with FakeZoom() as fake:
        monkeypatch.setenv("ZOOM_ACCOUNT_ID", fake.account_id)
        monkeypatch.setenv("ZOOM_CLIENT_ID", fake.client_id)
        monkeypatch.setenv("ZOOM_CLIENT_SECRET", fake.client_secret)
        monkeypatch.setenv("ZOOM_API_BASE_URL", fake.api_url)
        monkeypatch.setenv("ZOOM_OAUTH_URL", fake.oauth_url)
        yield fake


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_pull_pages_and_months_and_skips_meetings_without_transcripts(
        pool: asyncpg.Pool, settings: Settings, zoom: FakeZoom) -> None:
    zoom.page_size_cap = 2
    ids = [zoom.add_meeting(100 + i, topic=f"Acme sync {i}", start_time=at(2 + i * 5), vtt=VTT.format(n=i))
           for i in range(5)]  # spread over 22 days, 2 a page
    zoom.add_meeting(999, topic="No transcript", start_time=at(3), vtt=None)
    zoom.add_meeting(998, topic="Old", start_time=at(50), vtt=VTT.format(n=50))  # before the first window
    report = await pull_source(pool, settings, ZOOM, now=NOW)
    assert report.error is None, report.error
    assert (report.new, report.pending, report.listed) == (5, 0, 5)
    assert report.pages >= 3
    rows = await pool.fetch("SELECT * FROM transcripts ORDER BY occurred_at DESC")
    assert [r["external_id"] for r in rows] == ids
    assert rows[0]["title"] == "Acme sync 0" and rows[0]["occurred_at"] == NOW - timedelta(days=2)
    assert rows[0]["source"] == "zoom://" and rows[0]["metadata"]["zoom_meeting_id"] == "100"
    assert rows[0]["speakers"] == ["Maya Chen", "Tom Reyes"]
    # Every recordings request asked for at most a month (the fake answers 400 beyond that).
    back = await pull_source(pool, settings, ZOOM, now=NOW, since=NOW - timedelta(days=90))
    assert back.error is None and (back.new, back.unchanged) == (1, 5)


async def test_repull_downloads_nothing(pool: asyncpg.Pool, settings: Settings, zoom: FakeZoom) -> None:
    zoom.add_meeting(1, topic="Acme", start_time=at(1), vtt=VTT.format(n=1))
    await pull_source(pool, settings, ZOOM, now=NOW)
    zoom.requests.clear()
    report = await pull_source(pool, settings, ZOOM, now=NOW)
    assert (report.new, report.unchanged) == (0, 1)
    assert zoom.count("/rec/download/") == 0 and zoom.count("/v2/users/me/recordings") == 1


async def test_a_transcript_still_processing_is_pending(pool: asyncpg.Pool, settings: Settings,
                                                       zoom: FakeZoom) -> None:
    file_id = zoom.add_meeting(1, topic="Acme", start_time=at(1), vtt=VTT.format(n=1), status="processing")
    first = await pull_source(pool, settings, ZOOM, now=NOW)
    assert (first.new, first.pending) == (0, 1)
    zoom.meetings[0]["recording_files"][1]["status"] = "completed"
    second = await pull_source(pool, settings, ZOOM, now=NOW + timedelta(hours=2))
    assert second.new == 1
    assert await pool.fetchval("SELECT state FROM intake_items WHERE external_id = $1", file_id) == "stored"


async def test_an_expired_token_is_refreshed_once(pool: asyncpg.Pool, settings: Settings, zoom: FakeZoom) -> None:
    zoom.add_meeting(1, topic="Acme", start_time=at(1), vtt=VTT.format(n=1))
    zoom.add_meeting(2, topic="Beta", start_time=at(2), vtt=VTT.format(n=2))
    from lib.intake.zoom import ZoomSource

    source = ZoomSource.from_env(ZOOM, settings)
    listed = await source.list_items(NOW - timedelta(days=5), NOW)
    zoom.expire_tokens()  # the hour is up between listing and download
    fetched = [f async for f in source.fetch(listed)]
    await source.aclose()
    assert all(f.data and f.data.startswith(b"WEBVTT") for f in fetched) and len(fetched) == 2
    assert zoom.tokens_issued == 2


async def test_wrong_credentials_fail_the_source_without_the_secret(
        pool: asyncpg.Pool, settings: Settings, zoom: FakeZoom, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", "not-the-secret-123")
    report = await pull_source(pool, settings, ZOOM, now=NOW)
    assert report.error is not None and report.error.startswith("zoom://: OAuth token request")
    assert "not-the-secret-123" not in report.error and "\n" not in report.error


async def test_missing_credentials_are_named(pool: asyncpg.Pool, settings: Settings,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    report = await pull_source(pool, settings, parse_source("zoom://u-42"), now=NOW)
    assert report.error == "zoom://u-42: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET must be set"
