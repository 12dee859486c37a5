"""The HTTP API under load, beside the plain peer a user would write: a bare Starlette endpoint that runs the
same SQL (the key look-up included) and returns the rows as JSON with no validation, mounted on the same
uvicorn process, measured in the same run.

    python -m benchmarks.api [--deals 1000] [--calls 10000] [--seconds 8] [--clients 16,64] [--part api|pages|all]

A fresh embedded PostgreSQL holds the deals (copies of the test fixture's roll-up) and the calls (20 turns
each, a completed result per agent on every other call). The server runs in its own process (uvicorn, one
worker); the load comes from `hey` (Debian's package `hey`) in another. Printed per endpoint and client
count: requests/s, p50 and p99 latency, and the API's requests/s as a share of the peer's. Then the pages
(`--part pages`): the deal board `/` and a deal page `/deals/{id}` (HTML, signed in with a session cookie)
beside the JSON endpoints that answer the same question (`/v1/deals?limit=50`, `/v1/deals/{id}`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from benchmarks.crm import fixture_rollup
from lib.db.api_keys import ApiKeyRepository
from lib.db.api_sessions import SessionRepository
from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
_TURNS = """(SELECT jsonb_agg(jsonb_build_object('speaker', CASE WHEN n % 2 = 0 THEN 'Dana Whitfield' ELSE 'Sam Ortiz' END,
    'start_ms', n * 9000, 'end_ms', n * 9000 + 8000, 'text', 'We spend about forty hours a week on manual reconciliation, point ' || n))
    FROM generate_series(1, 20) n)"""
_CALLS = f"""
INSERT INTO transcripts (source, external_id, deal_id, title, format, occurred_at, content, content_sha256, turns, speakers)
SELECT 'bench', 'call-' || i, 'DEAL-' || lpad((i % $2)::text, 5, '0'), 'Call ' || i, 'txt',
       timestamptz '2024-01-01' + i * interval '37 minutes', 'call ' || i, md5('call ' || i) || md5(i::text),
       {_TURNS}, ARRAY['Dana Whitfield', 'Sam Ortiz']
FROM generate_series(1, $1) i
"""  # noqa: S608 - a constant
_RESULTS = """
INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, confidence, model,
                           model_requested)
SELECT t.id, a, NULL, encode(sha256((t.id::text || a)::bytea), 'hex'), 'completed', '{}'::jsonb, 0.8, 'offline', 'offline'
FROM transcripts t CROSS JOIN (VALUES ('meddpic'), ('stakeholder')) AS agents(a) WHERE t.id % 2 = 0
"""


async def seed(dsn: str, deals: int, calls: int, settings: Settings) -> tuple[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await create_pool(dsn, settings)
    try:
        rollup = fixture_rollup()
        ids = [f"DEAL-{i:05d}" for i in range(deals)]
        await pool.executemany(
            "INSERT INTO deals (deal_id, rollup, calls, last_call_at) VALUES ($1, $2, 3, now() - $3 * interval '1 hour')",
            [(d, {**rollup, "deal_id": d}, n) for n, d in enumerate(ids)])
        await pool.execute(_CALLS, calls, deals)
        await pool.execute(_RESULTS)
        await pool.execute("ANALYZE")
        keys = ApiKeyRepository(pool)
        key = await keys.create("bench", "read")
        caller = await keys.verify(key)
        assert caller is not None
        return key, await SessionRepository(pool).create(caller)
    finally:
        await pool.close()


SERVER = """
import json, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from lib.api.app import create_app
from lib.api.serve import configure_logging
from lib.db.api_keys import key_hash
from lib.db.calls import calls_page_query
from lib.settings import Settings

app = create_app(Settings())
KEY_SQL = ("SELECT id, name, scope, key_sha256, last_used_at IS NULL OR last_used_at < now() - interval '60 seconds' "
           "AS stale FROM api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL")

def rows_json(rows):
    return Response(json.dumps([dict(r) for r in rows], default=str), media_type="application/json")

async def key(request):
    return await request.app.state.pool.fetchrow(KEY_SQL, key_hash(request.headers["authorization"][7:]))

async def deal(request):
    await key(request)
    return rows_json(await request.app.state.pool.fetch("SELECT * FROM deals WHERE deal_id = $1",
                                                      request.path_params["deal_id"]))

async def calls(request):
    await key(request)
    sql, args = calls_page_query(limit=int(request.query_params.get("limit", 50)) + 1)
    return rows_json(await request.app.state.pool.fetch(sql, *args))

peer = Starlette(routes=[Route("/deals/{deal_id}", deal), Route("/calls", calls)])
peer.state = app.state  # the API's own pool, opened by its lifespan
app.mount("/peer", peer)
configure_logging()
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def hey(url: str, key: str, clients: int, seconds: float, cookie: str | None = None) -> dict[str, float]:
    headers = ["-H", f"Authorization: Bearer {key}"] + (["-H", f"Cookie: asmis_session={cookie}"] if cookie else [])
    out = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(clients), *headers, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1))  # type: ignore[union-attr]
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1))  # type: ignore[union-attr]
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    if set(codes) != {"200"}:
        raise SystemExit(f"{url}: answers other than 200: {codes}")
    return {"rps": rps, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--part", choices=("api", "pages", "all"), default="all",
                        help="api: the API beside its plain peer; pages: the pages beside the JSON they show")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        raise SystemExit("this benchmark drives the server with `hey`: apt-get install hey")
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-api-"))
    db = EmbeddedPostgres(root / "data", unsafe_fast=True)
    dsn = db.start()
    server = None
    try:
        settings = Settings(database_url=dsn, data_dir=root / "data", cache_dir=root / "cache")
        started = time.perf_counter()
        key, session = asyncio.run(seed(dsn, args.deals, args.calls, settings))
        print(f"seeded {args.deals} deals and {args.calls} calls in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        env = {**os.environ, "ASMIS_DATABASE_URL": dsn, "ASMIS_DATA_DIR": str(root / "data"),
               "ASMIS_CACHE_DIR": str(root / "cache"), "ASMIS_POOL_MAX_SIZE": "20"}
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/v1/health")
        deal = f"DEAL-{args.deals // 2:05d}"
        pairs = [("GET /v1/deals/{id}", f"/v1/deals/{deal}", f"/peer/deals/{deal}"),
                 ("GET /v1/calls?limit=50", "/v1/calls?limit=50", "/peer/calls?limit=50")]
        clients_list = [int(c) for c in args.clients.split(",")]
        if args.part in ("api", "all"):
            api_vs_peer(base, key, pairs, clients_list, args.seconds)
        if args.part in ("pages", "all"):
            pages_vs_json(base, key, session, deal, clients_list, args.seconds)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; server and hey share them")
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        db.destroy()
        shutil.rmtree(root, ignore_errors=True)


def api_vs_peer(base: str, key: str, pairs: list[tuple[str, str, str]], clients_list: list[int],
                seconds: float) -> None:
    for path in (pairs[0][1], pairs[1][1], pairs[0][2]):  # warm: pool connections, prepared statements
        hey(base + path, key, 4, 1)
    print(f"{'endpoint':24} {'clients':>7} {'API req/s':>10} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'peer req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'API/peer':>8}")
    for label, api_path, peer_path in pairs:
        for clients in clients_list:
            api = hey(base + api_path, key, clients, seconds)
            peer = hey(base + peer_path, key, clients, seconds)
            print(f"{label:24} {clients:>7} {api['rps']:>10.0f} {api['p50_ms']:>7.1f} {api['p99_ms']:>7.1f} "
                  f"{peer['rps']:>10.0f} {peer['p50_ms']:>7.1f} {peer['p99_ms']:>7.1f} "
                  f"{api['rps'] / peer['rps']:>8.2f}", flush=True)


def pages_vs_json(base: str, key: str, session: str, deal: str, clients_list: list[int], seconds: float) -> None:
    """The HTML pages beside the JSON endpoints a script would read for the same view."""
    pairs = [("GET / (board, 50 deals)", "/", "/v1/deals?limit=50"),
             ("GET /deals/{id} page", f"/deals/{deal}", f"/v1/deals/{deal}")]
    headers = {"Authorization": f"Bearer {key}", "Cookie": f"asmis_session={session}"}
    for _, page_path, json_path in pairs:  # warm; a page answered without a session would be a redirect
        for path in (page_path, json_path) * 3:
            answer = httpx.get(base + path, headers=headers, timeout=60)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")
    print(f"{'page':24} {'clients':>7} {'page req/s':>10} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'JSON req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'page/JSON':>9}")
    for label, page_path, json_path in pairs:
        for clients in clients_list:
            page = hey(base + page_path, key, clients, seconds, cookie=session)
            data = hey(base + json_path, key, clients, seconds)
            print(f"{label:24} {clients:>7} {page['rps']:>10.0f} {page['p50_ms']:>7.1f} {page['p99_ms']:>7.1f} "
                  f"{data['rps']:>10.0f} {data['p50_ms']:>7.1f} {data['p99_ms']:>7.1f} "
                  f"{page['rps'] / data['rps']:>9.2f}", flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer at {url}")


if __name__ == "__main__":
    main()
