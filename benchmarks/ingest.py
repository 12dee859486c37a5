"""Embedded PostgreSQL start times and ingest throughput, with baselines measured in the same run.

    python -m benchmarks.ingest [--transcripts 200]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from benchmarks.synthetic import transcript_text
from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.db.transcripts import TranscriptRepository
from lib.intake.ingest import ingest_paths
from lib.settings import Settings
from lib.transcripts import parse_file


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _du(path: Path) -> str:
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True).stdout.split()[0]


async def _ingest(dsn: str, folder: Path, files: list[Path]) -> tuple[float, float, float]:
    settings = Settings(database_url=SecretStr(dsn))
    pool = await create_pool(dsn, settings)
    async with pool.acquire() as conn:
        await migrate(conn)
    started = time.perf_counter()
    for f in files:
        parse_file(f, max_bytes=10_000_000)
    parse_only = time.perf_counter() - started

    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE raw (name text, body text)")
        await conn.executemany("INSERT INTO raw VALUES ($1, $2)", [(f.name, f.read_text()) for f in files])
    raw_insert = time.perf_counter() - started

    repo = TranscriptRepository(pool)
    started = time.perf_counter()
    async for _ in ingest_paths(repo, [folder], source="bench", max_bytes=10_000_000):
        pass
    ours = time.perf_counter() - started
    await pool.close()
    return parse_only, raw_insert, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transcripts", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-"))
    try:
        server = EmbeddedPostgres(root / "data")
        cold = _timed(server.start)
        size = _du(server.layout.pgdata)
        warm = _timed(server.start)
        server.stop()
        restart = _timed(server.start)
        print(f"embedded PostgreSQL: cold start (initdb + start) {cold:.2f}s, warm (already running) "
              f"{warm * 1000:.1f}ms, restart of a stopped cluster {restart:.2f}s, fresh data dir {size}")

        folder = root / "calls"
        folder.mkdir()
        files = []
        for i in range(args.transcripts):
            path = folder / f"call-{i:05d}.txt"
            path.write_text(transcript_text(i))
            files.append(path)
        mb = sum(f.stat().st_size for f in files) / 1e6
        parse_only, raw_insert, ours = asyncio.run(_ingest(server.dsn(), folder, files))
        n = args.transcripts
        print(f"ingest of {n} transcripts ({mb:.1f} MB, ~{mb * 1e6 / n / 1000:.0f} KB each):")
        print(f"  asmis ingest_paths (parse + normalise + insert): {n / ours:7.1f} transcripts/s")
        print(f"  baseline, parse only (no database):              {n / parse_only:7.1f} transcripts/s")
        print(f"  baseline, raw text insert with asyncpg:          {n / raw_insert:7.1f} transcripts/s")
        print(f"  ratio ours / (parse + raw insert): {ours / (parse_only + raw_insert):.2f}x the time")
        server.destroy()
    finally:
        shutil.rmtree(root, ignore_errors=True)



if __name__ == "__main__":
    main()
