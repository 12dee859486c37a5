"""Zoom and Gong webhooks through the real API server (`asmis api serve`, uvicorn, its own process) on a real
PostgreSQL: requests signed as the vendors sign them (Zoom's HMAC v0, Gong's RS256 JWT made with a key pair
of this test), the transcript fetched from the fake Zoom file server or the fake Gong API, stored once,
analysed in a shared run; every refusal stores nothing; the nightly pull skips what a webhook stored and
picks up what it did not."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.db.connect import create_pool
from lib.intake.gong import GongSource
from lib.intake.pull import pull_source
from lib.intake.sources import parse_source
from lib.intake.zoom import ZoomSource
from lib.settings import Settings
from tests.api_server import ApiServer
from tests.conftest import TEMPLATE, with_database
from tests.fake_gong import FakeGong
from tests.fake_http import Reply
from tests.fake_zoom import FakeZoom, zoom_signed

SECRET = "zoom-webhook-secret-DO-NOT-LEAK"
PUBLIC_URL = "https://asmis.example.com"
GONG_URL = PUBLIC_URL + "/v1/webhooks/gong"
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nMaya Chen: Welcome to meeting {n}.\n\n" \
      "2\n00:00:05.000 --> 00:00:09.000\nTom Reyes: Our budget for meeting {n} is {n}0k and I sign.\n"


def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class World:
    def __init__(self, server: ApiServer, pool: asyncpg.Pool, settings: Settings, zoom: FakeZoom, gong: FakeGong,
                 key: rsa.RSAPrivateKey) -> None:
        self.server, self.pool, self.settings, self.zoom, self.gong, self.key = server, pool, settings, zoom, gong, key
        self.jwts: list[str] = []
        self.download_tokens: list[str] = []

    def meeting(self, n: int, *, vtt: bool = True) -> str:
        start = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        file_id = self.zoom.add_meeting(n, topic=f"Webhook meeting {n}", start_time=start,
                                        vtt=VTT.format(n=n) if vtt else None)
        assert file_id is not None or not vtt
        return file_id or ""

    def event(self, n: int, **kw: Any) -> dict[str, Any]:
        event = self.zoom.transcript_event(n, **kw)
        self.download_tokens.append(event["download_token"])
        return event

    async def post_zoom(self, event: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        body, headers = zoom_signed(SECRET, event or {}, **kw)
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as c:
            return await c.post("/v1/webhooks/zoom", content=body, headers=headers)

    def token(self, body: bytes, *, key: rsa.RSAPrivateKey | None = None, url: str = GONG_URL,
              exp: int | None = None, digest: str | None = None) -> str:
        claims = {"webhook_url": url, "body_sha256": digest or hashlib.sha256(body).hexdigest(),
                  "exp": exp if exp is not None else int(time.time()) + 300, "iat": int(time.time())}
        token = jwt.encode(claims, key or self.key, algorithm="RS256")
        self.jwts.append(token)
        return token

    async def post_gong(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {"Authorization": self.token(body, **kw), "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as c:
            return await c.post("/v1/webhooks/gong", content=body, headers=headers)

    async def item(self, source: str, external_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow("SELECT * FROM intake_items WHERE source = $1 AND external_id = $2",
                                        source, external_id)

    async def stored(self, source: str, external_id: str, timeout: float = 30) -> asyncpg.Record:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = await self.pool.fetchrow("SELECT * FROM transcripts WHERE source = $1 AND external_id = $2",
                                           source, external_id)
            if row is not None:
                return row
            await asyncio.sleep(0.1)
        raise AssertionError(f"{source} {external_id} not stored: {self.server.log()[-3000:]}")

    async def settled(self, source: str, external_id: str, state: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = await self.item(source, external_id)
            if row is not None and row["state"] == state and (state != "pending" or row["attempts"] >= 2):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{source} {external_id} never {state}: {self.server.log()[-3000:]}")

    def pull_zoom(self) -> ZoomSource:
        return ZoomSource(parse_source("zoom://"), self.settings, account_id=self.zoom.account_id,
                          client_id=self.zoom.client_id, client_secret=self.zoom.client_secret,
                          base_url=self.zoom.api_url, oauth_url=self.zoom.oauth_url)

    def pull_gong(self) -> GongSource:
        return GongSource(parse_source("gong://"), self.settings, access_key=self.gong.access_key,
                          secret=self.gong.secret, base_url=self.gong.url, rate=50)


def server_env(zoom: FakeZoom, gong: FakeGong, key: rsa.RSAPrivateKey, **extra: str) -> dict[str, str]:
    return {"ZOOM_WEBHOOK_SECRET_TOKEN": SECRET, "GONG_WEBHOOK_PUBLIC_KEY": public_pem(key).replace("\n", "\\n"),
            "ASMIS_API_PUBLIC_URL": PUBLIC_URL, "ASMIS_WEBHOOK_DEBOUNCE_SECONDS": "1",
            "ASMIS_WEBHOOK_DOWNLOAD_TIMEOUT_SECONDS": "2",
            "ZOOM_ACCOUNT_ID": zoom.account_id, "ZOOM_CLIENT_ID": zoom.client_id,
            "ZOOM_CLIENT_SECRET": zoom.client_secret, "ZOOM_API_BASE_URL": zoom.api_url,
            "ZOOM_OAUTH_URL": zoom.oauth_url, "GONG_ACCESS_KEY": gong.access_key,
            "GONG_ACCESS_KEY_SECRET": gong.secret, "GONG_API_BASE_URL": gong.url,
            "ASMIS_GONG_REQUESTS_PER_SECOND": "50", **extra}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeZoom, FakeGong]]:
    with FakeZoom() as zoom, FakeGong(rate=50) as gong:
        yield zoom, gong


@pytest.fixture(scope="module")
async def world(server_dsn: str, template_dsn: str, tmp_path_factory: pytest.TempPathFactory,
                fakes: tuple[FakeZoom, FakeGong]) -> AsyncIterator[World]:
    name = f"asmis_webhooks_{os.getpid()}"
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    await conn.close()
    url = with_database(server_dsn, name)
    home = tmp_path_factory.mktemp("webhooks")
    settings = Settings(database_url=url, data_dir=home / "data", cache_dir=home / "cache")
    pool = await create_pool(url, settings)
    zoom, gong = fakes
    key = private_key()
    server = ApiServer(url, home, **server_env(zoom, gong, key)).start()
    try:
        yield World(server, pool, settings, zoom, gong, key)
    finally:
        server.stop()
        await pool.close()


async def test_url_validation_answers_the_hmac_of_the_plain_token(world: World) -> None:
    event = {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680,
             "event": "endpoint.url_validation"}
    answer = await world.post_zoom(event)
    assert answer.status_code == 200, answer.text
    expected = __import__("hmac").new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    body, headers = zoom_signed("another-secret", event)
    async with httpx.AsyncClient(base_url=world.server.url) as c:
        refused = await c.post("/v1/webhooks/zoom", content=body, headers=headers)
    assert refused.status_code == 401 and "encryptedToken" not in refused.text


@pytest.mark.parametrize("fault", ["wrong secret", "stale timestamp", "future timestamp", "no signature",
                                   "body changed"])
async def test_a_refused_zoom_request_is_401_and_stores_nothing(world: World, fault: str) -> None:
    n = 100 + ["wrong secret", "stale timestamp", "future timestamp", "no signature", "body changed"].index(fault)
    file_id = world.meeting(n)
    event = world.event(n)
    if fault == "wrong secret":
        body, headers = zoom_signed("not-the-secret", event)
    elif fault == "stale timestamp":
        body, headers = zoom_signed(SECRET, event, timestamp=int(time.time()) - 301)
    elif fault == "future timestamp":
        body, headers = zoom_signed(SECRET, event, timestamp=int(time.time()) + 400)
    elif fault == "no signature":
        body, headers = zoom_signed(SECRET, event)
        del headers["x-zm-signature"]
    else:
        _, headers = zoom_signed(SECRET, event)
        body = json.dumps({**event, "event_ts": 1}).encode()
    async with httpx.AsyncClient(base_url=world.server.url) as c:
        answer = await c.post("/v1/webhooks/zoom", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    await asyncio.sleep(1.5)  # past the debounce: had anything been queued, it would have run
    assert await world.item("zoom-webhook", file_id) is None
    assert world.zoom.count(f"/rec/download/{file_id}") == 0


async def test_a_transcript_event_is_stored_once_and_the_duplicate_changes_nothing(world: World) -> None:
    file_id = world.meeting(200)
    event = world.event(200)
    answer = await world.post_zoom(event)
    assert answer.status_code == 200 and answer.json() == {"status": "accepted", "items": 1}
    row = await world.stored("zoom-webhook", file_id)
    assert row["title"] == "Webhook meeting 200" and "meeting 200" in row["content"]
    await world.settled("zoom-webhook", file_id, "stored")
    before = await world.item("zoom-webhook", file_id)
    downloads = world.zoom.count(f"/rec/download/{file_id}")
    assert downloads == 1
    for _ in range(2):  # Zoom's retry, and the same event delivered twice
        assert (await world.post_zoom(event)).status_code == 200
    await asyncio.sleep(2)
    after = await world.item("zoom-webhook", file_id)
    assert after is not None and before is not None
    assert (after["state"], after["version"], after["transcript_id"]) == (
        before["state"], before["version"], before["transcript_id"])
    assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", file_id) == 1
    assert world.zoom.count(f"/rec/download/{file_id}") == downloads
    # The nightly pull finds the call stored by the webhook: no download, no second row.
    report = await pull_source(world.pool, world.settings, parse_source("zoom://"), source=world.pull_zoom())
    assert report.ok, report.error
    assert world.zoom.count(f"/rec/download/{file_id}") == downloads
    assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", file_id) == 1


async def test_an_expired_download_token_falls_back_to_the_recordings_api(world: World) -> None:
    file_id = world.meeting(300)
    event = world.event(300)
    world.zoom.expire_download_tokens()
    asked = world.zoom.count("/v2/meetings/")
    assert (await world.post_zoom(event)).status_code == 200
    row = await world.stored("zoom-webhook", file_id)
    assert "meeting 300" in row["content"]
    assert world.zoom.count("/v2/meetings/") == asked + 1


@pytest.mark.parametrize("fault", ["404", "hangs"])
async def test_a_download_that_fails_leaves_the_item_pending_for_the_next_pull(world: World, fault: str) -> None:
    n = 400 if fault == "404" else 401
    file_id = world.meeting(n)
    event = world.event(n)
    if fault == "404":
        world.zoom.fail_next(Reply(404, {"code": 3301, "message": "This recording does not exist."}))
    else:
        world.zoom.hang_downloads = 4.0  # longer than ASMIS_WEBHOOK_DOWNLOAD_TIMEOUT_SECONDS=2
    try:
        assert (await world.post_zoom(event)).status_code == 200
        await world.settled("zoom-webhook", file_id, "pending")
        await asyncio.sleep(0.5)
        assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", file_id) == 0
    finally:
        world.zoom.hang_downloads = 0.0
    report = await pull_source(world.pool, world.settings, parse_source("zoom://"), source=world.pull_zoom())
    assert report.ok, report.error
    assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", file_id) == 1


async def test_other_events_malformed_json_and_big_bodies(world: World) -> None:
    ignored = await world.post_zoom({"event": "meeting.started", "payload": {"object": {"id": 1}}})
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    malformed = await world.post_zoom(body=b'{"event": "recording.transcript_completed", ')
    assert malformed.status_code == 400 and "not JSON" in malformed.json()["detail"]
    shapeless = await world.post_zoom({"event": "recording.transcript_completed", "payload": {}})
    assert shapeless.status_code == 400
    big = b'{"event": "x", "pad": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    async with httpx.AsyncClient(base_url=world.server.url, timeout=30) as c:
        answer = await c.post("/v1/webhooks/zoom", content=big, headers=zoom_signed(SECRET, {}, body=big)[1])
    assert answer.status_code == 413
    gong_malformed = b"{not json"
    async with httpx.AsyncClient(base_url=world.server.url, timeout=30) as c:
        answer = await c.post("/v1/webhooks/gong", content=gong_malformed,
                              headers={"Authorization": world.token(gong_malformed)})
    assert answer.status_code == 400


async def test_a_burst_is_one_run_and_the_calls_are_analysed(world: World) -> None:
    ids = [world.meeting(500 + i) for i in range(5)]
    events = [world.event(500 + i) for i in range(5)]
    answers = await asyncio.gather(*(world.post_zoom(e) for e in events))
    assert all(a.status_code == 200 for a in answers)
    rows = [await world.stored("zoom-webhook", file_id) for file_id in ids]
    transcript_ids = sorted(r["id"] for r in rows)
    deadline = time.monotonic() + 240
    while True:
        covering = [r for r in await world.pool.fetch("SELECT params, state FROM api_runs WHERE key_name = 'webhook'")
                    if set(transcript_ids) & set(_params(r)["transcript_ids"])]
        if covering and all(r["state"] not in ("scheduled", "running") for r in covering):
            break
        assert time.monotonic() < deadline, f"runs still going: {world.server.log()[-3000:]}"
        await asyncio.sleep(0.5)
    assert len(covering) == 1 and set(_params(covering[0])["transcript_ids"]) >= set(transcript_ids), covering
    assert covering[0]["state"] == "completed", world.server.log()[-3000:]
    analysed = await world.pool.fetchval("SELECT count(DISTINCT transcript_id) FROM agent_results "
                                         "WHERE transcript_id = ANY($1::bigint[])", transcript_ids)
    assert analysed == 5


def _params(row: asyncpg.Record) -> dict[str, Any]:
    value = row["params"]
    return value if isinstance(value, dict) else json.loads(value)


async def test_a_signed_gong_call_is_stored_with_its_deal(world: World) -> None:
    world.gong.add_call("7782342274025937001", started=datetime.now(UTC).isoformat(), title="Gong pricing",
                        opportunity="0061Q00000WebHk1")
    answer = await world.post_gong(world.gong.automation_payload("7782342274025937001"))
    assert answer.status_code == 200 and answer.json() == {"status": "accepted", "items": 1}, answer.text
    row = await world.stored("gong-webhook", "7782342274025937001")
    assert row["deal_id"] == "0061Q00000WebHk1" and row["title"] == "Gong pricing"
    # The pull lists the call too, and leaves it as the webhook stored it.
    transcripts = world.gong.count("/v2/calls/transcript")
    report = await pull_source(world.pool, world.settings, parse_source("gong://"), source=world.pull_gong())
    assert report.ok and report.new == 0, report.as_dict()
    assert world.gong.count("/v2/calls/transcript") == transcripts


@pytest.mark.parametrize("fault", ["other key", "expired", "other host", "body hash", "no header", "HS256"])
async def test_a_refused_gong_request_is_401_and_stores_nothing(world: World, fault: str) -> None:
    call_id = f"77823422740259371{len(fault):02d}"
    world.gong.add_call(call_id, started=datetime.now(UTC).isoformat(), opportunity="0061Q00000Refused")
    body = json.dumps(world.gong.automation_payload(call_id)).encode()
    if fault == "other key":
        token = world.token(body, key=private_key())
    elif fault == "expired":
        token = world.token(body, exp=int(time.time()) - 60)
    elif fault == "other host":
        token = world.token(body, url="https://evil.example.net/v1/webhooks/gong")
    elif fault == "body hash":
        token = world.token(body, digest=hashlib.sha256(body + b" ").hexdigest())
    elif fault == "HS256":
        token = jwt.encode({"webhook_url": GONG_URL, "body_sha256": hashlib.sha256(body).hexdigest(),
                            "exp": int(time.time()) + 60}, "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256")
    else:
        token = ""
    headers = {"Content-Type": "application/json", **({"Authorization": token} if token else {})}
    async with httpx.AsyncClient(base_url=world.server.url) as c:
        answer = await c.post("/v1/webhooks/gong", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    await asyncio.sleep(1.5)
    assert await world.item("gong-webhook", call_id) is None
    assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", call_id) == 0


async def test_a_gong_test_request_is_answered_and_stores_nothing(world: World) -> None:
    world.gong.add_call("7782342274025937200", started=datetime.now(UTC).isoformat())
    answer = await world.post_gong(world.gong.automation_payload("7782342274025937200", is_test=True))
    assert answer.status_code == 200 and answer.json()["status"] == "test"
    await asyncio.sleep(1.5)
    assert await world.item("gong-webhook", "7782342274025937200") is None


async def test_no_secret_or_token_in_the_server_log(world: World) -> None:
    log = world.server.log()
    assert "webhook refused" in log and "webhook batch" in log
    for secret in [SECRET, world.zoom.client_secret, world.gong.secret, *world.download_tokens, *world.jwts]:
        assert secret not in log
    assert "Traceback" not in log


async def test_the_api_killed_after_the_acknowledgement_loses_nothing(
        world: World, fakes: tuple[FakeZoom, FakeGong], tmp_path: Path) -> None:
    zoom, gong = fakes
    assert world.settings.database_url is not None
    other = ApiServer(world.settings.database_url.get_secret_value(), tmp_path,
                      **server_env(zoom, gong, world.key, ASMIS_WEBHOOK_DEBOUNCE_SECONDS="120")).start()
    file_id = world.meeting(600)
    gong.add_call("7782342274025937600", started=datetime.now(UTC).isoformat(), opportunity="0061Q00000Killed")
    try:
        body, headers = zoom_signed(SECRET, world.event(600))
        payload = json.dumps(gong.automation_payload("7782342274025937600")).encode()
        async with httpx.AsyncClient(base_url=other.url, timeout=30) as c:
            assert (await c.post("/v1/webhooks/zoom", content=body, headers=headers)).status_code == 200
            assert (await c.post("/v1/webhooks/gong", content=payload, headers={
                "Authorization": world.token(payload), "Content-Type": "application/json"})).status_code == 200
        assert other.process is not None
        os.kill(other.process.pid, signal.SIGKILL)
        other.process.wait(10)
    finally:
        other.stop()
    assert (await world.item("zoom-webhook", file_id))["state"] == "pending"  # type: ignore[index]
    assert (await world.item("gong-webhook", "7782342274025937600"))["state"] == "pending"  # type: ignore[index]
    zoom_report = await pull_source(world.pool, world.settings, parse_source("zoom://"), source=world.pull_zoom())
    gong_report = await pull_source(world.pool, world.settings, parse_source("gong://"), source=world.pull_gong())
    assert zoom_report.ok and gong_report.ok
    assert await world.pool.fetchval("SELECT count(*) FROM transcripts WHERE external_id = $1", file_id) == 1
    deal = await world.pool.fetchval("SELECT deal_id FROM transcripts WHERE external_id = $1", "7782342274025937600")
    assert deal == "0061Q00000Killed"
