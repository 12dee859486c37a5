"""Intake figures: a first pull of 1,000 Gong calls from the fake Gong API at the real pace (requests,
pages, seconds), then a pull with nothing new from Gong, a folder, S3 (moto) and Zoom (one listing per
source, no transcript fetched).

    python -m benchmarks.intake [--calls 1000] [--rate 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.intake.pull import SourceReport, pull_source
from lib.intake.sources import parse_source
from lib.settings import Settings
from tests.fake_gong import FakeGong
from tests.fake_zoom import FakeZoom
from tests.s3_server import ACCESS_KEY, SECRET_KEY, client, threaded_s3

TXT = "Maya Chen: Hello, this is call {n}.\nTom Reyes: Our budget is {n}0k and I sign.\n"
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nMaya Chen: Meeting {n}.\n"


def line(label: str, r: SourceReport, gong: FakeGong | None = None) -> str:
    extra = ""
    if gong is not None:
        extra = (f"; listing {gong.count('/v2/calls')}, transcript {gong.count('/v2/calls/transcript')}, "
                 f"extensive {gong.count('/v2/calls/extensive')}")
    source = "file:///…/calls/" if r.source.startswith("file://") else r.source
    return (f"{label:30} {source:18} new {r.new:5}  unchanged {r.unchanged:5}  requests {r.requests:4}  "
            f"pages {r.pages:4}  fetched {r.fetched:5}  429s {r.throttled}  {r.seconds:7.2f} s{extra}")


async def main(calls: int, rate: float) -> None:
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-intake-"))
    server = EmbeddedPostgres(root / "pg", unsafe_fast=True)
    dsn = server.start()
    os.environ["ASMIS_GONG_REQUESTS_PER_SECOND"] = str(rate)
    settings = Settings(database_url=SecretStr(dsn))
    pool = await create_pool(dsn, settings)
    async with pool.acquire() as conn:
        await migrate(conn)
    now = datetime.now(UTC)
    try:
        with FakeGong(page_size=100, rate=3) as gong, FakeZoom() as zoom, threaded_s3() as s3_url:
            os.environ.update(GONG_ACCESS_KEY=gong.access_key, GONG_ACCESS_KEY_SECRET=gong.secret,
                              GONG_API_BASE_URL=gong.url, ZOOM_ACCOUNT_ID=zoom.account_id,
                              ZOOM_CLIENT_ID=zoom.client_id, ZOOM_CLIENT_SECRET=zoom.client_secret,
                              ZOOM_API_BASE_URL=zoom.api_url, ZOOM_OAUTH_URL=zoom.oauth_url,
                              AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                              AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=s3_url)
            for i in range(calls):
                gong.add_call(f"{7782342274025900000 + i}", started=(now - timedelta(minutes=30 * i + 5)).isoformat())
            s3 = client(s3_url)
            s3.create_bucket(Bucket="calls")
            folder = root / "calls"
            folder.mkdir()
            for i in range(100):
                s3.put_object(Bucket="calls", Key=f"zoom/{i:03d}.txt", Body=TXT.format(n=i).encode())
                (folder / f"{i:03d}.txt").write_text(TXT.format(n=i))
                zoom.add_meeting(i, topic=f"Meeting {i}", start_time=(now - timedelta(hours=5 * i + 1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"), vtt=VTT.format(n=i))
            print(f"settings: {rate} Gong requests/s, {settings.gong_transcript_batch} call ids per transcript "
                  f"request, Gong pages of {gong.page_size} (fake enforces 3 requests in any second)")
            first = await pull_source(pool, settings, parse_source("gong://"), now=now)
            print(line(f"first pull, {calls} Gong calls", first, gong))
            gong.requests.clear()
            print(f"  at {rate}/s, {first.requests} requests take at least {(first.requests - 1) / rate:.1f} s; "
                  f"the fake answered {gong.throttled} with 429")
            for url in (str(folder), "s3://calls/zoom/", "zoom://"):
                report = await pull_source(pool, settings, parse_source(url))
                print(line(f"first pull, {url.split(':')[0] if '://' in url else 'folder'}", report))
            gong.requests.clear()
            gong.throttled = 0
            for url in ("gong://", str(folder), "s3://calls/zoom/", "zoom://"):
                report = await pull_source(pool, settings, parse_source(url), now=now + timedelta(hours=1))
                print(line("nothing new", report, gong if url == "gong://" else None))
                gong.requests.clear()
            print(f"zoom downloads in the nothing-new pull: {zoom.count('/rec/download/') - 100}")
    finally:
        await pool.close()
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=Settings().gong_requests_per_second)
    args = parser.parse_args()
    began = time.perf_counter()
    asyncio.run(main(args.calls, args.rate))
    print(f"total {time.perf_counter() - began:.1f} s")
