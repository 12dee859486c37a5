"""From a vendor's webhook to results and CRM fields, beside the same analysis started by `POST /v1/runs`.

    python -m benchmarks.webhooks [--calls 20] [--gap 1.5] [--burst 50] [--baseline 5]

A fresh embedded PostgreSQL; the API (`asmis api serve`, uvicorn, its own process) with the fake Messages API
answering after 200 ms (ASMIS_LLM_PROVIDER=anthropic), the fake Gong API (its default 3 requests a second),
the fake Zoom file server and the fake HubSpot (ASMIS_CRM=hubspot), all on loopback; default webhook
settings (a 3 s debounce). Printed:

- latency: `--calls` Gong webhooks (signed RS256 JWTs), one every `--gap` seconds as calls end through a day,
  each timed from its request to both agents' results stored and to its deal's fields written to HubSpot;
  beside it the baseline, `POST /v1/runs` for an already stored call (`--baseline` of them, one at a time),
  timed to both results stored. p50, p95 and the ratio.
- burst: `--burst` Zoom `recording.transcript_completed` events posted at once: acknowledgement p50/p99, and
  how many flow runs (api_runs started by webhooks) the burst became.

The first webhook and the first run pay Prefect's temporary server start; one of each warms up first."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.db.api_keys import ApiKeyRepository
from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.db.transcripts import TranscriptRepository
from lib.settings import Settings
from tests.api_server import ApiServer
from tests.fake_gong import FakeGong
from tests.fake_hubspot import TOKEN as HUBSPOT_TOKEN
from tests.fake_hubspot import FakeHubSpot
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_zoom import FakeZoom, zoom_signed
from tests.helpers import synthetic_transcript

SECRET = "bench-zoom-secret"
PUBLIC_URL = "https://asmis.bench.example"
LLM_KEY = "sk-ant-bench"
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nMaya Chen: Welcome to burst call {n}.\n\n" \
      "2\n00:00:05.000 --> 00:00:09.000\nTom Reyes: Our budget is {n}0k, I sign, and we decide by June.\n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Bench:
    def __init__(self, server: ApiServer, pool: asyncpg.Pool, gong: FakeGong, zoom: FakeZoom, hubspot: FakeHubSpot,
                 key: rsa.RSAPrivateKey, api_key: str) -> None:
        self.server, self.pool, self.gong, self.zoom, self.hubspot = server, pool, gong, zoom, hubspot
        self.key, self.api_key = key, api_key

    async def post_gong(self, client: httpx.AsyncClient, call_id: str) -> None:
        body = json.dumps(self.gong.automation_payload(call_id)).encode()
        token = jwt.encode({"webhook_url": PUBLIC_URL + "/v1/webhooks/gong", "exp": int(time.time()) + 300,
                            "body_sha256": hashlib.sha256(body).hexdigest()}, self.key, algorithm="RS256")
        answer = await client.post("/v1/webhooks/gong", content=body, headers={"Authorization": token})
        answer.raise_for_status()

    async def analysed(self, source: str, external_id: str, deadline: float) -> float:
        """When both agents' results of this call are stored (monotonic)."""
        while time.monotonic() < deadline:
            done = await self.pool.fetchval(
                "SELECT count(*) FROM agent_results r JOIN transcripts t ON t.id = r.transcript_id "
                "WHERE t.source = $1 AND t.external_id = $2 AND r.status = 'completed'", source, external_id)
            if done >= 2:
                return time.monotonic()
            await asyncio.sleep(0.05)
        raise SystemExit(f"{external_id} not analysed in time: {self.server.log()[-2000:]}")

    async def crm_written(self, deal_id: str, deadline: float) -> float:
        while time.monotonic() < deadline:
            if any(deal_id.encode() in r.body for r in self.hubspot.calls("POST", "batch/update")):
                return time.monotonic()
            await asyncio.sleep(0.05)
        raise SystemExit(f"deal {deal_id} never written to the CRM: {self.server.log()[-2000:]}")

    async def one_webhook(self, client: httpx.AsyncClient, n: int) -> tuple[float, float]:
        call_id, deal = f"88000000000000{n:05d}", f"91{n:07d}"
        self.gong.add_call(call_id, started=(datetime.now(UTC) - timedelta(minutes=40)).isoformat(),
                           title=f"Bench call {n}", opportunity=deal)
        self.hubspot.add_deal(deal)
        started = time.monotonic()
        await self.post_gong(client, call_id)
        deadline = started + 600
        results, crm = await asyncio.gather(self.analysed("gong-webhook", call_id, deadline),
                                            self.crm_written(deal, deadline))
        return results - started, crm - started

    async def one_baseline(self, client: httpx.AsyncClient, n: int) -> float:
        transcript_id, _ = await TranscriptRepository(self.pool).add(synthetic_transcript(90_000 + n))
        started = time.monotonic()
        answer = await client.post("/v1/runs", json={"transcript_ids": [transcript_id]},
                                   headers={"Authorization": f"Bearer {self.api_key}"})
        answer.raise_for_status()
        deadline = started + 600
        while time.monotonic() < deadline:
            if await self.pool.fetchval("SELECT count(*) FROM agent_results WHERE transcript_id = $1 "
                                        "AND status = 'completed'", transcript_id) >= 2:
                return time.monotonic() - started
            await asyncio.sleep(0.05)
        raise SystemExit("the baseline run did not finish")

    async def burst(self, client: httpx.AsyncClient, size: int) -> tuple[list[float], int, float]:
        start = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        files = [self.zoom.add_meeting(70_000 + i, topic=f"Burst {i}", start_time=start, vtt=VTT.format(n=i))
                 for i in range(size)]
        events = [self.zoom.transcript_event(70_000 + i) for i in range(size)]
        runs_before = await self.pool.fetchval("SELECT count(*) FROM api_runs WHERE key_name = 'webhook'")

        async def post(event: dict[str, Any]) -> float:
            body, headers = zoom_signed(SECRET, event)
            started = time.monotonic()
            answer = await client.post("/v1/webhooks/zoom", content=body, headers=headers)
            answer.raise_for_status()
            return time.monotonic() - started

        began = time.monotonic()
        acks = list(await asyncio.gather(*(post(e) for e in events)))
        deadline = began + 600
        for file_id in files:
            await self.analysed("zoom-webhook", str(file_id), deadline)
        all_done = time.monotonic() - began
        runs = await self.pool.fetchval("SELECT count(*) FROM api_runs WHERE key_name = 'webhook'") - runs_before
        return acks, int(runs), all_done


async def run(args: argparse.Namespace, bench: Bench) -> None:
    async with httpx.AsyncClient(base_url=bench.server.url, timeout=60,
                                 limits=httpx.Limits(max_connections=200)) as client:
        await bench.one_webhook(client, 0)  # warm-up: Prefect's temporary server starts in the API process
        await bench.one_baseline(client, 0)
        baseline = [await bench.one_baseline(client, n) for n in range(1, args.baseline + 1)]

        async def later(n: int) -> tuple[float, float]:
            await asyncio.sleep(n * args.gap)
            return await bench.one_webhook(client, n)

        timed = await asyncio.gather(*(later(n) for n in range(1, args.calls + 1)))
        results, crm = [t[0] for t in timed], [t[1] for t in timed]
        acks, runs, burst_done = await bench.burst(client, args.burst)
    b50, b95 = statistics.median(baseline), pct(baseline, 0.95)
    r50, r95 = statistics.median(results), pct(results, 0.95)
    c50, c95 = statistics.median(crm), pct(crm, 0.95)
    print(f"LLM fake at 200 ms; webhook debounce {Settings().webhook_debounce_seconds:g} s (default); "
          f"{args.calls} Gong webhooks {args.gap:g} s apart; baseline {args.baseline} runs one at a time")
    print(f"{'measure':44} {'p50 s':>7} {'p95 s':>7} {'p50 / baseline':>15}")
    print(f"{'baseline: POST /v1/runs -> results stored':44} {b50:>7.2f} {b95:>7.2f} {1.0:>15.2f}")
    print(f"{'webhook -> both results stored':44} {r50:>7.2f} {r95:>7.2f} {r50 / b50:>15.2f}")
    print(f"{'webhook -> deal fields written to the CRM':44} {c50:>7.2f} {c95:>7.2f} {c50 / b50:>15.2f}")
    print(f"burst of {args.burst} Zoom events at once: ack p50 {statistics.median(acks) * 1000:.0f} ms, "
          f"p99 {pct(acks, 0.99) * 1000:.0f} ms, max {max(acks) * 1000:.0f} ms; {runs} flow run(s); "
          f"all {args.burst} analysed {burst_done:.1f} s after the first post")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (server, fakes and client share them)")


async def seed(dsn: str, settings: Settings) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await create_pool(dsn, settings)
    try:
        return await ApiKeyRepository(pool).create("bench", "write")
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.5)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--baseline", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-webhooks-"))
    db = EmbeddedPostgres(root / "pg", unsafe_fast=True)
    dsn = db.start()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    try:
        with FakeMessagesAPI(latency_ms=200, api_key=LLM_KEY) as llm, FakeGong() as gong, FakeZoom() as zoom, \
                FakeHubSpot() as hubspot:
            env = {"ASMIS_LLM_PROVIDER": "anthropic", "ANTHROPIC_BASE_URL": llm.url, "ANTHROPIC_API_KEY": LLM_KEY,
                   "ASMIS_MODEL": "claude-sonnet-5-5", "ASMIS_CRM": "hubspot", "ASMIS_HUBSPOT_API_URL": hubspot.url,
                   "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN, "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET,
                   "GONG_WEBHOOK_PUBLIC_KEY": pem, "ASMIS_API_PUBLIC_URL": PUBLIC_URL,
                   "GONG_ACCESS_KEY": gong.access_key, "GONG_ACCESS_KEY_SECRET": gong.secret,
                   "GONG_API_BASE_URL": gong.url, "ZOOM_ACCOUNT_ID": zoom.account_id,
                   "ZOOM_CLIENT_ID": zoom.client_id, "ZOOM_CLIENT_SECRET": zoom.client_secret,
                   "ZOOM_API_BASE_URL": zoom.api_url, "ZOOM_OAUTH_URL": zoom.oauth_url}
            settings = Settings(database_url=dsn, data_dir=root / "data", cache_dir=root / "cache")
            api_key = asyncio.run(seed(dsn, settings))
            server = ApiServer(dsn, root / "home", **env).start()
            try:
                async def go() -> None:
                    pool = await create_pool(dsn, settings)
                    try:
                        await run(args, Bench(server, pool, gong, zoom, hubspot, key, api_key))
                    finally:
                        await pool.close()

                asyncio.run(go())
            finally:
                server.stop()
    finally:
        db.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
