"""The real flow against the plain asyncio script a user would write instead, in one run.

    python -m benchmarks.pipeline --transcripts 500 --latency-ms 200 --cap 32
    python -m benchmarks.pipeline --scale            # 1k and 10k transcripts: memory and time per transcript
    python -m benchmarks.pipeline --noop 10000       # the whole `asmis run` over 10k processed transcripts

Both sides use the same embedded PostgreSQL, the same fake Messages API (in its own process, so it does
not compete with the client for the GIL) and the real anthropic SDK. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.synthetic import transcript_text
from lib.db.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def fake_api(latency_ms: float) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_messages_api", "--latency-ms", str(latency_ms)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def fake_stats(url: str, window: float | None = None) -> dict[str, object]:
    query = f"?window={window}" if window else ""
    with urllib.request.urlopen(f"{url}/_fake/stats{query}", timeout=5) as response:  # noqa: S310 - loopback
        return dict(json.load(response))


def fake_reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/_fake/reset", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback


def messages_calls(stats: dict[str, object]) -> int:
    by_path = stats["by_path"]
    assert isinstance(by_path, dict)
    return int(by_path.get("POST /v1/messages", 0))


def prefect_server_cpu_seconds() -> float:
    """CPU used so far by the temporary Prefect server this process started (a child process)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"prefect.server" in cmdline:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Side:
    name: str
    seconds: float
    cpu: float
    calls: int
    saturation: float
    max_in_flight: int
    server_cpu: float = 0.0  # the temporary Prefect server's, a separate process on the same machine


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def seed(dsn: str, n: int) -> None:
    from lib.db.connect import create_pool
    from lib.db.migrate import migrate
    from lib.db.prompts import PromptRepository
    from lib.db.transcripts import TranscriptRepository
    from lib.ingest import to_record
    from lib.prompt_files import sync_prompts
    from lib.settings import get_settings
    from lib.transcripts import parse_bytes

    pool = await create_pool(dsn, get_settings())
    async with pool.acquire() as conn:
        await migrate(conn)
    await sync_prompts(PromptRepository(pool))
    repo = TranscriptRepository(pool)
    stamp = Path(tempfile.mkstemp()[1])
    for i in range(n):
        parsed = parse_bytes(transcript_text(i).encode(), name=f"call-{i}.txt", max_bytes=10_000_000)
        await repo.add(to_record(stamp, parsed, source="bench", deal_id=None, occurred_at=None))
    stamp.unlink()
    await pool.close()


async def run_peer(dsn: str, url: str, cap: int) -> Side:
    """What a user would write instead: a semaphore, the SDK, asyncpg."""
    import anthropic

    from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
    from lib.llm.base import render_transcript
    from lib.models import Transcript

    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=cap + 2)
    assert pool is not None
    await pool.execute("CREATE TABLE IF NOT EXISTS peer_results (transcript_id bigint, agent text, data text)")
    prompts = {r["agent_type"]: r["content"] for r in await pool.fetch("SELECT * FROM prompts WHERE is_active")}
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM transcripts ORDER BY id")]
    client = anthropic.AsyncAnthropic(api_key="sk-bench", base_url=url, max_retries=2)
    gate = asyncio.Semaphore(cap)
    models: dict[str, Any] = {"meddpic": MeddpicAnalysis, "stakeholder": StakeholderMap}

    async def one(tid: int, agent: str) -> None:
        async with gate:
            row = dict(await pool.fetchrow("SELECT * FROM transcripts WHERE id = $1", tid))
            row["turns"] = json.loads(row["turns"])
            row["metadata"] = json.loads(row["metadata"])
            text = render_transcript(Transcript.model_validate(row))
            reply = await client.messages.parse(
                model="claude-sonnet-5-5", max_tokens=8192, output_format=models[agent],
                system=[{"type": "text", "text": prompts[agent], "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": text}])
            assert reply.parsed_output is not None
            await pool.execute("INSERT INTO peer_results VALUES ($1, $2, $3)", tid, agent,
                               reply.parsed_output.model_dump_json())

    fake_reset(url)
    cpu, started = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(t, a) for t in ids for a in models))
    seconds = time.perf_counter() - started
    stats = fake_stats(url)
    side = Side("plain asyncio peer", seconds, cpu_seconds() - cpu, messages_calls(stats),
                float(str(stats["steady_in_flight"])) / cap, int(str(stats["max_in_flight"])))
    await client.close()
    await pool.close()
    return side


async def run_ours(url: str, cap: int) -> tuple[Side, float]:
    from flows.process import process_transcripts

    warm = time.perf_counter()
    await process_transcripts(transcript_ids=[-1])  # starts Prefect's engine and server
    engine_start = time.perf_counter() - warm
    fake_reset(url)
    cpu, server_cpu, started = cpu_seconds(), prefect_server_cpu_seconds(), time.perf_counter()
    summary = await process_transcripts(task_batch=max(50, cap))
    seconds = time.perf_counter() - started
    server_cpu = prefect_server_cpu_seconds() - server_cpu
    assert summary.failed == 0, summary
    print(f"asmis flow: {summary.seconds:.2f}s from claiming the first transcript to saving the last result; "
          f"the rest of its wall time is Prefect's flow start and finish, and artifacts")
    stats = fake_stats(url)
    return Side("asmis flow", seconds, cpu_seconds() - cpu, messages_calls(stats),
                float(str(stats["steady_in_flight"])) / cap, int(str(stats["max_in_flight"])), server_cpu), engine_start


def noop_rerun(env: dict[str, str], url: str) -> tuple[float, int, bool]:
    """The whole `asmis run` command over work that is all done."""
    before = messages_calls(fake_stats(url))
    started = time.perf_counter()
    out = subprocess.run([str(Path(sys.executable).parent / "asmis"), "run"], env=env, capture_output=True,
                         text=True, check=True)
    seconds = time.perf_counter() - started
    engine = "Starting temporary server" in out.stdout + out.stderr
    return seconds, messages_calls(fake_stats(url)) - before, engine


def configure(root: Path, dsn: str, url: str, cap: int) -> dict[str, str]:
    from lib.settings import get_settings

    env = {"ASMIS_DATABASE_URL": dsn, "ASMIS_CACHE_DIR": str(root / "cache"), "ASMIS_LLM_PROVIDER": "anthropic",
           "ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": url, "ASMIS_LLM_CONCURRENCY": str(cap),
           "ASMIS_LLM_GLOBAL_LIMIT": str(cap), "ASMIS_MODEL": "claude-sonnet-5-5",
           "PREFECT_HOME": str(root / "prefect")}
    os.environ.update(env)
    get_settings.cache_clear()
    return {**os.environ, **env}


@contextmanager
def bench_setup(latency_ms: float, cap: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A fresh embedded PostgreSQL, the fake API in its own process, and our settings pointing at both."""
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-"))
    server = EmbeddedPostgres(root / "data")
    try:
        dsn = server.start()
        with fake_api(latency_ms) as url:
            yield dsn, url, configure(root, dsn, url, cap)
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)


def compare(args: argparse.Namespace) -> None:
    with bench_setup(args.latency_ms, args.cap) as (dsn, url, env):
        started = time.perf_counter()
        asyncio.run(seed(dsn, args.transcripts))
        print(f"seeded {args.transcripts} transcripts (~40 KB) in {time.perf_counter() - started:.1f}s")
        peer = asyncio.run(run_peer(dsn, url, args.cap))
        ours, engine = asyncio.run(run_ours(url, args.cap))
        ideal = ours.calls * args.latency_ms / 1000 / args.cap
        print(f"\n{args.transcripts} transcripts, {ours.calls} LLM calls, {args.latency_ms:g} ms latency, cap "
              f"{args.cap}; ideal {ideal:.2f}s; Prefect engine start (not counted) {engine:.1f}s")
        print(f"{'':22}{'wall s':>9}{'vs ideal':>10}{'saturation':>12}{'CPU ms/call':>13}{'calls':>7}"
              f"{'max in flight':>15}")
        for side in (peer, ours):
            print(f"{side.name:22}{side.seconds:9.2f}{side.seconds / ideal:9.2f}x{side.saturation:12.2f}"
                  f"{side.cpu / max(side.calls, 1) * 1000:13.2f}{side.calls:7d}{side.max_in_flight:15d}")
        print(f"ratio asmis / peer: {ours.seconds / peer.seconds:.3f}x")
        print(f"the temporary Prefect server (its own process, same machine) used {ours.server_cpu:.1f} CPU s, "
              f"{ours.server_cpu / max(ours.calls, 1) * 1000:.2f} ms per agent task run")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        seconds, calls, engine_started = noop_rerun(env, url)
        print(f"no-op rerun (`asmis run`, whole command): {seconds:.2f}s, {calls} LLM calls, "
              f"Prefect engine started: {'yes' if engine_started else 'no'} (so 0 task runs)")


def scale_point(n: int, latency_ms: float, cap: int) -> None:
    with bench_setup(latency_ms, cap) as (dsn, url, _):
        asyncio.run(seed(dsn, n))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours, _ = asyncio.run(run_ours(url, cap))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"transcripts": n, "seconds": round(ours.seconds, 2),
                          "ms_per_transcript": round(ours.seconds / n * 1000, 2), "calls": ours.calls,
                          "peak_rss_mb": round(rss), "peak_rss_before_run_mb": round(rss_before),
                          "cpu_ms_per_call": round(ours.cpu / max(ours.calls, 1) * 1000, 2)}))


_MARK_DONE = """
INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, model, schema_version)
SELECT t.id, p.agent_type, p.id, encode(sha256((t.id || p.agent_type)::bytea), 'hex'), 'completed', '{}', $1, $2
FROM transcripts t CROSS JOIN prompts p WHERE p.is_active
"""


def noop_point(n: int) -> None:
    """`asmis run` over n transcripts that all have their results: the whole command, three times."""
    from lib.agents.schemas import SCHEMA_VERSION

    with bench_setup(0, 32) as (dsn, url, env):
        started = time.perf_counter()
        asyncio.run(seed(dsn, n))

        async def mark_done() -> None:
            conn = await asyncpg.connect(dsn)
            await conn.execute(_MARK_DONE, os.environ["ASMIS_MODEL"], SCHEMA_VERSION)
            await conn.execute("ANALYZE")
            await conn.close()

        asyncio.run(mark_done())
        print(f"seeded {n} transcripts (~40 KB) with their results in {time.perf_counter() - started:.1f}s")
        for _ in range(3):
            seconds, calls, engine_started = noop_rerun(env, url)
            print(f"no-op `asmis run` over {n} processed transcripts: {seconds:.2f}s, {calls} LLM calls, "
                  f"Prefect engine started: {'yes' if engine_started else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--cap", type=int, default=32)
    parser.add_argument("--scale", action="store_true", help="1k and 10k transcripts, each in its own process")
    parser.add_argument("--scale-point", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--noop", type=int, metavar="N", help="time `asmis run` over N processed transcripts")
    args = parser.parse_args()
    if args.noop:
        noop_point(args.noop)
    elif args.scale_point:
        scale_point(args.scale_point, args.latency_ms, args.cap)
    elif args.scale:
        for n in (1000, 10000):
            subprocess.run([sys.executable, "-m", "benchmarks.pipeline", "--scale-point", str(n), "--latency-ms",
                            str(args.latency_ms), "--cap", str(args.cap)], cwd=ROOT, check=True)
    else:
        compare(args)


if __name__ == "__main__":
    main()
