"""Gong as a source, against the fake Gong API on loopback: paging, the 404-empty window, 429 with
Retry-After, late transcripts and late calls, 20-digit ids, offsets, wrong credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest

from lib.intake.pull import pull_source, pull_sources
from lib.intake.sources import parse_source
from lib.settings import Settings
from tests.fake_gong import FakeGong

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LONG_ID = "98765432109876543210"  # 20 digits: more than a float or an int64 holds exactly
GONG = parse_source("gong://")


@pytest.fixture
def gong(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGong]:
    with FakeGong(page_size=2, rate=1000) as fake:
        monkeypatch.setenv("GONG_ACCESS_KEY", fake.access_key)
        monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", fake.secret)
        monkeypatch.setenv("GONG_API_BASE_URL", fake.url)
        monkeypatch.setenv("ASMIS_GONG_REQUESTS_PER_SECOND", "1000")
        yield fake


def fast(settings: Settings) -> Settings:
    return Settings()  # re-read: the fixture's environment raised the pace


def started(days_ago: float, offset: str = "+00:00") -> str:
    when = NOW - timedelta(days=days_ago)
    if offset == "-07:00":
        when = when.astimezone(timezone(timedelta(hours=-7)))
    return when.isoformat(timespec="seconds")


async def rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM transcripts WHERE source = 'gong://' ORDER BY occurred_at")


async def test_pull_pages_every_endpoint_and_maps_the_call(pool: asyncpg.Pool, settings: Settings,
                                                          gong: FakeGong) -> None:
    gong.add_call(LONG_ID, started=started(2, "-07:00"), title="Northwind pricing", opportunity="0065g00000AbCdE")
    for i in range(4):
        gong.add_call(f"77823422740259378{i:02d}", started=started(3 + i), title=f"Call {i}")
    report = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert report.error is None
    assert (report.new, report.pending, report.unchanged) == (5, 0, 0)
    assert report.pages >= 3 + 3  # 5 calls at 2 a page: 3 listing pages, and transcripts paged too
    stored = {r["external_id"]: r for r in await rows(pool)}
    assert set(stored) == {LONG_ID, *(f"77823422740259378{i:02d}" for i in range(4))}
    call = stored[LONG_ID]
    assert call["occurred_at"] == NOW - timedelta(days=2)  # -07:00 kept as the same instant
    assert call["deal_id"] == "0065g00000AbCdE" and call["title"] == "Northwind pricing"
    assert call["speakers"] == ["Maya Chen", "Tom Reyes", "Guest"]
    sides = {p["name"]: p["affiliation"] for p in call["metadata"]["participants"]}
    assert sides == {"Maya Chen": "Internal", "Tom Reyes": "External", "Guest": "Unknown"}
    assert "Tom Reyes: Our budget is 120k" in call["content"]


async def test_a_second_pull_lists_once_and_fetches_nothing(pool: asyncpg.Pool, settings: Settings,
                                                           gong: FakeGong) -> None:
    gong.add_call(LONG_ID, started=started(1))
    await pull_source(pool, fast(settings), GONG, now=NOW)
    gong.requests.clear()
    report = await pull_source(pool, fast(settings), GONG, now=NOW + timedelta(hours=1))
    assert (report.new, report.unchanged) == (0, 1)
    assert gong.seen() == [("GET", "/v2/calls")]
    assert await pool.fetchval("SELECT count(*) FROM transcripts") == 1


async def test_an_empty_window_is_404_and_not_an_error(pool: asyncpg.Pool, settings: Settings,
                                                      gong: FakeGong) -> None:
    report = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert report.error is None and report.listed == 0
    assert gong.seen() == [("GET", "/v2/calls")]
    state = await pool.fetchrow("SELECT * FROM intake_sources WHERE source = 'gong://'")
    assert state["last_pull_ok"] is True


async def test_429_waits_for_retry_after_then_carries_on(pool: asyncpg.Pool, settings: Settings,
                                                        gong: FakeGong) -> None:
    gong.add_call(LONG_ID, started=started(1))
    gong.fail_with(429, 429)
    report = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert report.error is None and report.new == 1
    assert report.throttled == 2 and gong.count("/v2/calls") == 3


async def test_a_retry_after_beyond_the_cap_fails_the_source_for_now(pool: asyncpg.Pool, settings: Settings,
                                                                    gong: FakeGong,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    gong.retry_after = 86400  # the daily quota is spent
    gong.fail_with(429)
    report = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert report.error is not None and "gong://" in report.error and "429" in report.error


async def test_paced_at_the_real_rate_gong_never_throttles(pool: asyncpg.Pool, settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGong(page_size=1, rate=3) as fake:  # Gong's own limit: 3 requests in any second
        monkeypatch.setenv("GONG_ACCESS_KEY", fake.access_key)
        monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", fake.secret)
        monkeypatch.setenv("GONG_API_BASE_URL", fake.url)
        monkeypatch.delenv("ASMIS_GONG_REQUESTS_PER_SECOND", raising=False)
        for i in range(2):
            fake.add_call(f"1{i}", started=started(1 + i))
        report = await pull_source(pool, Settings(), GONG, now=NOW)
    assert report.error is None and report.new == 2
    assert len(fake.requests) >= 6  # 2 listing pages, 2 transcript pages, 2 extensive pages
    assert fake.throttled == 0 and report.throttled == 0


async def test_a_late_transcript_is_pending_then_stored(pool: asyncpg.Pool, settings: Settings,
                                                       gong: FakeGong) -> None:
    gong.add_call(LONG_ID, started=started(1), transcript=False)
    first = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert (first.new, first.pending) == (0, 1)
    assert await pool.fetchval("SELECT state FROM intake_items WHERE external_id = $1", LONG_ID) == "pending"
    gong.add_transcript(LONG_ID)
    # Weeks later: the call is out of the listing window, and still asked for by its id.
    second = await pull_source(pool, fast(settings), GONG, now=NOW + timedelta(days=30))
    assert (second.new, second.pending) == (1, 0)
    assert await pool.fetchval("SELECT state FROM intake_items WHERE external_id = $1", LONG_ID) == "stored"


async def test_a_call_listed_late_older_than_the_newest_is_picked_up(pool: asyncpg.Pool, settings: Settings,
                                                                    gong: FakeGong) -> None:
    gong.add_call("111", started=started(1))
    gong.add_call("222", started=started(3), listed=False)  # started earlier, listed hours later
    first = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert first.new == 1
    high = await pool.fetchval("SELECT high_water FROM intake_sources WHERE source = 'gong://'")
    assert high == NOW - timedelta(days=1)
    gong.hidden.clear()
    second = await pull_source(pool, fast(settings), GONG, now=NOW + timedelta(hours=6))
    assert (second.new, second.unchanged) == (1, 1)
    assert {r["external_id"] for r in await rows(pool)} == {"111", "222"}


async def test_the_first_pull_reads_back_start_days_and_since_reads_further(
        pool: asyncpg.Pool, settings: Settings, gong: FakeGong) -> None:
    gong.add_call("1", started=started(10))
    gong.add_call("2", started=started(45))
    first = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert first.new == 1 and first.since == NOW - timedelta(days=30)
    back = await pull_source(pool, fast(settings), GONG, now=NOW, since=NOW - timedelta(days=60))
    assert (back.new, back.unchanged) == (1, 1)


async def test_wrong_credentials_fail_the_source_in_one_line_without_the_secret(
        pool: asyncpg.Pool, settings: Settings, gong: FakeGong, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONG_ACCESS_KEY_SECRET", "wrong-secret-XYZ")
    report = await pull_source(pool, fast(settings), GONG, now=NOW)
    assert report.error is not None
    assert report.error.startswith("gong://: ") and "401" in report.error and "\n" not in report.error
    assert "wrong-secret-XYZ" not in report.error and gong.secret not in report.error
    state = await pool.fetchrow("SELECT * FROM intake_sources WHERE source = 'gong://'")
    assert state["last_pull_ok"] is False and state["last_error"] == report.error


async def test_5xx_beyond_retries_fails_the_source_as_a_passing_failure(
        pool: asyncpg.Pool, settings: Settings, gong: FakeGong, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_PULL_HTTP_RETRIES", "1")
    gong.fail_with(503, 503)
    report = await pull_source(pool, Settings(), GONG, now=NOW)
    assert report.error is not None and "503" in report.error and "2 attempts" in report.error


async def test_a_reply_of_an_unexpected_shape_fails_gong_alone(pool: asyncpg.Pool, settings: Settings,
                                                              gong: FakeGong, tmp_path: Path) -> None:
    gong.add_call("1", started=(datetime.now(UTC) - timedelta(hours=1)).isoformat())  # pull_sources: now
    del gong.calls["1"]["id"]  # a listing record without its id
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "a.txt").write_text("Ann: Hello there.\n")
    gong_report, folder_report = await pull_sources(pool, fast(settings), [GONG, parse_source(str(folder))])
    assert gong_report.error == "gong://: unexpected reply (KeyError: 'id')"
    assert folder_report.error is None and folder_report.new == 1


async def test_a_workspace_source_pulls_only_its_workspace(pool: asyncpg.Pool, settings: Settings,
                                                          gong: FakeGong) -> None:
    gong.add_call("1", started=started(1), workspace="111")
    gong.add_call("2", started=started(1), workspace="222")
    report = await pull_source(pool, fast(settings), parse_source("gong://222"), now=NOW)
    assert report.new == 1
    rows = await pool.fetch("SELECT source, external_id FROM transcripts")
    assert [(r["source"], r["external_id"]) for r in rows] == [("gong://222", "2")]
