"""Object storage and folders as a source: moto's S3 server on loopback driven by s3fs (new, changed,
bad and outside-the-prefix objects, wrong credentials), and a local folder through the same code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lib.intake.pull import pull_source
from lib.intake.sources import parse_source
from lib.settings import Settings
from tests.s3_server import ACCESS_KEY, SECRET_KEY, authenticating_s3, client, threaded_s3

SOURCE = parse_source("s3://calls/zoom")
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Maya Chen>Thanks for joining, {n}.\n\n" \
      "2\n00:00:05.000 --> 00:00:09.000\n<v Tom Reyes>Our budget is 120k.\n"
TXT = "Maya Chen: Hello there, call {n}.\nTom Reyes: We sign in March.\n"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with threaded_s3() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    s3 = client(s3_endpoint)
    s3.create_bucket(Bucket="calls")
    yield s3
    for obj in s3.list_objects_v2(Bucket="calls").get("Contents", []):
        s3.delete_object(Bucket="calls", Key=obj["Key"])
    s3.delete_bucket(Bucket="calls")


def put(s3: Any, key: str, body: str | bytes) -> None:
    s3.put_object(Bucket="calls", Key=key, Body=body.encode() if isinstance(body, str) else body)


async def items(pool: asyncpg.Pool, source: str) -> dict[str, asyncpg.Record]:
    rows = await pool.fetch("SELECT * FROM intake_items WHERE source = $1", source)
    return {r["external_id"]: r for r in rows}


async def test_new_objects_under_the_prefix_only(pool: asyncpg.Pool, settings: Settings, s3: Any) -> None:
    put(s3, "zoom/a.vtt", VTT.format(n=1))
    put(s3, "zoom/2026/b.txt", TXT.format(n=2))
    put(s3, "other/c.vtt", VTT.format(n=3))  # outside the prefix
    put(s3, "zoomer/d.vtt", VTT.format(n=4))  # a sibling whose name starts like the prefix
    put(s3, "zoom/e.mp4", b"\x00\x01")  # not a transcript format
    report = await pull_source(pool, settings, SOURCE)
    assert report.error is None, report.error
    assert (report.new, report.refused, report.listed) == (2, [], 2)
    rows = await pool.fetch("SELECT source, external_id, speakers FROM transcripts ORDER BY external_id")
    assert [(r["source"], r["external_id"]) for r in rows] == [("s3://calls/zoom/", "2026/b.txt"),
                                                              ("s3://calls/zoom/", "a.vtt")]
    assert rows[1]["speakers"] == ["Maya Chen", "Tom Reyes"]


async def test_repull_changes_nothing_and_reads_no_object(pool: asyncpg.Pool, settings: Settings, s3: Any) -> None:
    put(s3, "zoom/a.vtt", VTT.format(n=1))
    await pull_source(pool, settings, SOURCE)
    again = await pull_source(pool, settings, SOURCE)
    assert (again.new, again.changed, again.unchanged, again.fetched) == (0, 0, 1, 0)
    assert await pool.fetchval("SELECT count(*) FROM transcripts") == 1


async def test_a_changed_object_is_stored_in_place_and_analysed_again(pool: asyncpg.Pool, settings: Settings,
                                                                     s3: Any) -> None:
    put(s3, "zoom/a.vtt", VTT.format(n=1))
    first = await pull_source(pool, settings, SOURCE)
    [transcript_id] = first.transcript_ids
    put(s3, "zoom/a.vtt", VTT.format(n="one, revised"))
    second = await pull_source(pool, settings, SOURCE)
    assert (second.new, second.changed) == (0, 1) and second.transcript_ids == [transcript_id]
    row = await pool.fetchrow("SELECT content FROM transcripts WHERE id = $1", transcript_id)
    assert "revised" in row["content"]
    assert await pool.fetchval("SELECT count(*) FROM transcripts") == 1


async def test_a_bad_object_is_refused_once_and_retried_when_it_changes(pool: asyncpg.Pool, settings: Settings,
                                                                       s3: Any) -> None:
    put(s3, "zoom/good.txt", TXT.format(n=1))
    put(s3, "zoom/bad.json", "{not json")
    put(s3, "zoom/empty.vtt", "")
    report = await pull_source(pool, settings, SOURCE)
    assert report.new == 1
    reasons = {r.external_id: r.reason for r in report.refused}
    assert set(reasons) == {"bad.json", "empty.vtt"} and all(reasons.values())
    again = await pull_source(pool, settings, SOURCE)
    assert (again.fetched, again.unchanged) == (0, 1)  # not fetched again, and still counted as refused
    assert {(r.external_id, r.earlier) for r in again.refused} == {("bad.json", True), ("empty.vtt", True)}
    assert (await items(pool, SOURCE.url))["bad.json"]["state"] == "refused"
    put(s3, "zoom/bad.json", json.dumps({"turns": [{"speaker": "Ann", "text": "Fixed now."}]}))
    fixed = await pull_source(pool, settings, SOURCE)
    assert fixed.new == 1 and (await items(pool, SOURCE.url))["bad.json"]["state"] == "stored"


async def test_a_too_big_object_is_refused_without_being_read(pool: asyncpg.Pool, settings: Settings, s3: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_INGEST_MAX_BYTES", "1024")
    put(s3, "zoom/huge.txt", "Ann: " + "word " * 400)
    report = await pull_source(pool, Settings(), SOURCE)
    assert report.fetched == 0 and [r.external_id for r in report.refused] == ["huge.txt"]
    assert "larger than" in report.refused[0].reason


async def test_a_missing_bucket_fails_the_source_in_one_line(pool: asyncpg.Pool, settings: Settings,
                                                            s3: Any) -> None:
    report = await pull_source(pool, settings, parse_source("s3://no-such-bucket/x/"))
    assert report.error is not None and report.error.startswith("s3://no-such-bucket/x/: ")
    assert "\n" not in report.error


async def test_wrong_credentials_fail_the_source_without_the_secret(pool: asyncpg.Pool, settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with authenticating_s3() as endpoint:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        report = await pull_source(pool, settings, SOURCE)
    assert report.error is not None and report.error.startswith("s3://calls/zoom/: ")
    assert SECRET_KEY not in report.error and ACCESS_KEY not in report.error and "\n" not in report.error
    state = await pool.fetchrow("SELECT * FROM intake_sources WHERE source = $1", SOURCE.url)
    assert state["last_pull_ok"] is False


async def test_a_local_folder_is_a_source_too(pool: asyncpg.Pool, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    (folder / "week1").mkdir(parents=True)
    (folder / "week1" / "a.vtt").write_text(VTT.format(n=1))
    (folder / ".hidden.txt").write_text(TXT.format(n=2))
    spec = parse_source(str(folder))
    assert spec.url == f"file://{folder}/"
    report = await pull_source(pool, settings, spec)
    assert report.error is None and report.new == 1
    assert await pool.fetchval("SELECT external_id FROM transcripts WHERE source = $1", spec.url) == "week1/a.vtt"
    (folder / "week1" / "a.vtt").write_text(VTT.format(n="1b"))
    assert (await pull_source(pool, settings, spec)).changed == 1
    missing = await pull_source(pool, settings, parse_source(str(tmp_path / "nope")))
    assert missing.error is not None and "no such" in missing.error
