"""The real flow against the plain asyncio script a user would write instead, in one run.

    python -m benchmarks.pipeline --transcripts 500 --latency-ms 200 --cap 32
    python -m benchmarks.pipeline --scale            # 1k and 10k transcripts: memory and time per transcript
    python -m benchmarks.pipeline --noop 10000       # the whole `asmis run` over 10k processed transcripts
    python -m benchmarks.pipeline --task-batch 1     # transcripts per agent task (default: ASMIS_TASK_BATCH)
    python -m benchmarks.pipeline --jitter 0.5       # each call takes latency x U(0.5, 1.5)
    python -m benchmarks.pipeline --reference        # 300 x 40 KB, 200 ms + U(0, 100) ms, cap 32, 3 rounds
    python -m benchmarks.pipeline --latency-ms 1000 --jitter-ms 100 --transcripts 300 --repeat 2

Both sides use the same embedded PostgreSQL, the same fake Messages API (in its own process, so it does
not compete with the client for the GIL) and the real anthropic SDK. Figures are printed, never asserted.
A third side runs our lib (scheduler, batches, cache, grounding, saves) without Prefect, so the flow's
extra CPU over it is Prefect's in-process cost. The flow runs against a dedicated Prefect server (its
own process, SQLite) whose task runs and events are counted once its recorder has flushed.
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
def fake_api(latency_ms: float, jitter: float = 0.0, jitter_ms: float = 0.0) -> Iterator[str]:
    """jitter j: each call takes latency x U(1 - j, 1 + j), plus U(0, jitter_ms)."""
    low, spread = latency_ms * (1 - jitter), latency_ms * 2 * jitter + jitter_ms
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_messages_api", "--latency-ms", str(low),
                             "--jitter-ms", str(spread)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def fake_stats(url: str, window: float | None = None, full: int | None = None) -> dict[str, object]:
    """`full`: the in-flight level the ramp and tail are measured against (default: the peak)."""
    query = "&".join(f"{k}={v}" for k, v in (("window", window), ("full", full)) if v)
    query = f"?{query}" if query else ""
    with urllib.request.urlopen(f"{url}/_fake/stats{query}", timeout=5) as response:  # noqa: S310 - loopback
        return dict(json.load(response))


def fake_reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/_fake/reset", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback


def messages_calls(stats: dict[str, object]) -> int:
    by_path = stats["by_path"]
    assert isinstance(by_path, dict)
    return int(by_path.get("POST /v1/messages", 0))


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class PrefectServer:
    """A dedicated `prefect server start` (SQLite in its own PREFECT_HOME), as a user would run one."""

    proc: subprocess.Popen[bytes]
    home: Path
    url: str

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def counts(self) -> tuple[int, int]:
        """(task runs, events) once the server's recorder has flushed: stable for 3 s in a row."""
        import sqlite3

        last, stable = (-1, -1), 0
        while stable < 3:
            time.sleep(1)
            with sqlite3.connect(self.home / "prefect.db") as db:
                now = (db.execute("SELECT count(*) FROM task_run").fetchone()[0],
                       db.execute("SELECT count(*) FROM events").fetchone()[0])
            stable = stable + 1 if now == last else 0
            last = now
        return last


@contextmanager
def prefect_server(root: Path) -> Iterator[PrefectServer]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = root / "prefect"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_LOGGING_LEVEL": "WARNING", "PREFECT_API_URL": ""}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2).close()  # noqa: S310 - loopback
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the Prefect server did not start") from None
            time.sleep(0.5)
    try:
        yield PrefectServer(proc, home, url)
    finally:
        proc.terminate()
        proc.wait(30)


@dataclass
class Side:
    name: str
    seconds: float
    cpu: float
    calls: int
    saturation: float
    max_in_flight: int
    span: float = 0.0  # LLM traffic as the fake saw it: first request in to last reply out
    ramp: float = 0.0  # from the first request to the cap full (90% of it)
    tail: float = 0.0  # from the cap's last full moment (90% of it) to the end
    server_cpu: float = 0.0  # the Prefect server's, a separate process on the same machine
    task_runs: int = 0
    events: int = 0


def side_of(name: str, seconds: float, cpu: float, stats: dict[str, object], cap: int) -> Side:
    def number(key: str) -> float:
        return float(str(stats.get(key, 0)))

    return Side(name, seconds, cpu, messages_calls(stats), number("steady_in_flight") / cap,
                int(number("max_in_flight")), span=number("span_seconds"), ramp=number("ramp_seconds"),
                tail=number("tail_seconds"))


def full_level(cap: int) -> int:
    """The cap counts as full from 90% of it: with jitter, a reply and the call that takes its slot
    leave it one short for a moment."""
    return max(1, int(cap * 0.9))


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def seed(dsn: str, n: int) -> None:
    from lib.db.connect import create_pool
    from lib.db.migrate import migrate
    from lib.db.prompts import PromptRepository
    from lib.db.transcripts import TranscriptRepository
    from lib.intake.ingest import to_record
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
    stats = fake_stats(url, full=full_level(cap))
    side = side_of("plain asyncio peer", seconds, cpu_seconds() - cpu, stats, cap)
    await client.close()
    await pool.close()
    return side


async def run_lib(url: str, cap: int, task_batch: int) -> Side:
    """Our lib without Prefect: the same scheduler, batches, cache, grounding and saves, as coroutines."""
    import uuid

    from lib.run.agent_batch import analyse_batch
    from lib.run.pipeline import RunParams, RunSummary, plan_run
    from lib.run.runtime import runtime_in_use
    from lib.run.scheduling import AgentBatch, Scheduler, Work

    async with runtime_in_use() as rt:
        owner = str(uuid.uuid4())
        plan = await plan_run(rt, RunParams(task_batch=task_batch), owner)

        async def claim(limit: int, after: Any, release: list[int]) -> Any:
            return await rt.claims.claim(owner, plan.work(), limit=limit, after=after, lease_seconds=900,
                                         release=release)

        async def run(batch: AgentBatch) -> Any:
            return await analyse_batch(rt, batch.transcript_ids, batch.agent_type, plan.prompts[batch.agent_type],
                                       owner, attempt_key=str(uuid.uuid4()), final=True)

        async def finish(done: list[int], in_flight: list[int]) -> None:
            await rt.claims.release(owner, done)

        fake_reset(url)
        cpu, started = cpu_seconds(), time.perf_counter()
        summary = RunSummary(run_id=owner)
        await Scheduler(Work(claim, run, finish), batch_size=task_batch,
                        target_items=2 * cap + 2 * task_batch).run(summary)
        seconds = time.perf_counter() - started
        assert summary.failed == 0, summary
        stats = fake_stats(url, full=full_level(cap))
        return side_of("asmis lib, no Prefect", seconds, cpu_seconds() - cpu, stats, cap)


async def forget_results(dsn: str) -> None:
    """Between the lib side and the flow: the same work again, from scratch (the disk cache is cleared)."""
    from lib.cache import open_cache
    from lib.settings import get_settings

    conn = await asyncpg.connect(dsn)
    await conn.execute("DELETE FROM agent_results")
    await conn.execute("UPDATE transcripts SET claimed_by = NULL, claim_expires_at = NULL")
    await conn.close()
    cache = open_cache(get_settings())
    cache.clear()
    cache.close()


async def run_ours(url: str, cap: int, task_batch: int, server: PrefectServer) -> tuple[Side, float]:
    from flows.process import process_transcripts

    warm = time.perf_counter()
    await process_transcripts(transcript_ids=[-1])  # starts Prefect's engine
    engine_start = time.perf_counter() - warm
    idle_cpu, idle_started = server.cpu_seconds(), time.perf_counter()
    runs_before, events_before = server.counts()
    # An idle server still runs its services (scheduler, event loops): measured here, subtracted below.
    idle_rate = (server.cpu_seconds() - idle_cpu) / (time.perf_counter() - idle_started)
    fake_reset(url)
    cpu, server_cpu, started = cpu_seconds(), server.cpu_seconds(), time.perf_counter()
    summary = await process_transcripts(task_batch=task_batch)
    seconds = time.perf_counter() - started
    assert summary.failed == 0, summary
    print(f"asmis flow: {summary.seconds:.2f}s from claiming the first transcript to saving the last result; "
          f"the rest of its wall time is Prefect's flow start and finish, and artifacts")
    stats = fake_stats(url, full=full_level(cap))
    side = side_of("asmis flow", seconds, cpu_seconds() - cpu, stats, cap)
    task_runs, events = server.counts()  # waits for the recorder: CPU read after it, so it is all counted
    side.server_cpu = server.cpu_seconds() - server_cpu - idle_rate * (time.perf_counter() - started)
    print(f"Prefect server idle: {idle_rate * 1000:.0f} ms CPU per second (subtracted)")
    side.task_runs, side.events = task_runs - runs_before, events - events_before
    return side, engine_start


def flow_runs(server: PrefectServer) -> int:
    import sqlite3

    with sqlite3.connect(server.home / "prefect.db") as db:
        return int(db.execute("SELECT count(*) FROM flow_run").fetchone()[0])


def noop_rerun(env: dict[str, str], url: str, server: PrefectServer) -> tuple[float, int, bool]:
    """The whole `asmis run` command over work that is all done."""
    before, runs_before = messages_calls(fake_stats(url)), flow_runs(server)
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "asmis"), "run"], env=env, capture_output=True,
                         text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, messages_calls(fake_stats(url)) - before, flow_runs(server) > runs_before


def configure(root: Path, dsn: str, url: str, cap: int, prefect_url: str) -> dict[str, str]:
    from lib.settings import get_settings

    env = {"ASMIS_DATABASE_URL": dsn, "ASMIS_CACHE_DIR": str(root / "cache"), "ASMIS_LLM_PROVIDER": "anthropic",
           "ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": url, "ASMIS_LLM_CONCURRENCY": str(cap),
           "ASMIS_LLM_GLOBAL_LIMIT": str(cap), "ASMIS_MODEL": "claude-sonnet-5-5",
           "PREFECT_HOME": str(root / "prefect"), "PREFECT_API_URL": prefect_url}
    os.environ.update(env)
    get_settings.cache_clear()
    return {**os.environ, **env}


@dataclass
class Bench:
    dsn: str
    url: str
    env: dict[str, str]
    prefect: PrefectServer


@contextmanager
def bench_setup(latency_ms: float, cap: int, jitter: float = 0.0, jitter_ms: float = 0.0) -> Iterator[Bench]:
    """A fresh embedded PostgreSQL, the fake API and a Prefect server in their own processes, and our
    settings pointing at them. Prefect is imported only after PREFECT_API_URL is set."""
    root = Path(tempfile.mkdtemp(prefix="asmis-bench-"))
    server = EmbeddedPostgres(root / "data")
    try:
        dsn = server.start()
        with fake_api(latency_ms, jitter, jitter_ms) as url, prefect_server(root) as prefect:
            yield Bench(dsn, url, configure(root, dsn, url, cap, prefect.url), prefect)
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)


def fresh_process_pacers() -> None:
    """Each side starts as a new process would: no pacer state left by the side before it."""
    from lib.llm.pacing import forget_process_pacers

    forget_process_pacers()


def compare(args: argparse.Namespace) -> None:
    from lib.settings import get_settings

    with bench_setup(args.latency_ms, args.cap, args.jitter, args.jitter_ms) as bench:
        k = args.task_batch or get_settings().task_batch
        started = time.perf_counter()
        asyncio.run(seed(bench.dsn, args.transcripts))
        print(f"seeded {args.transcripts} transcripts (~40 KB) in {time.perf_counter() - started:.1f}s")
        ratios: list[tuple[float, float]] = []
        for round_no in range(1, args.repeat + 1):
            print(f"\n--- round {round_no} of {args.repeat}")
            ratios.append(compare_round(args, bench, k))
        if args.repeat > 1:
            print("\nLLM span asmis / plain script, per round: " + ", ".join(f"{r:.3f}x" for r, _ in ratios)
                  + "; wall: " + ", ".join(f"{w:.3f}x" for _, w in ratios))
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        seconds, calls, engine_started = noop_rerun(bench.env, bench.url, bench.prefect)
        print(f"no-op rerun (`asmis run`, whole command): {seconds:.2f}s, {calls} LLM calls, "
              f"flow run created: {'yes' if engine_started else 'no'}")


def compare_round(args: argparse.Namespace, bench: Bench, k: int) -> tuple[float, float]:
    """One round: the plain script, our lib, the flow, each from no results and a cold disk cache."""
    asyncio.run(forget_results(bench.dsn))
    fresh_process_pacers()
    peer = asyncio.run(run_peer(bench.dsn, bench.url, args.cap))
    peer_load = load()
    fresh_process_pacers()
    lib_side = asyncio.run(run_lib(bench.url, args.cap, k))
    lib_load = load()
    asyncio.run(forget_results(bench.dsn))
    fresh_process_pacers()
    ours, engine = asyncio.run(run_ours(bench.url, args.cap, k, bench.prefect))
    ours_load = load()
    ideal = ours.calls * (args.latency_ms + args.jitter_ms / 2) / 1000 / args.cap
    print(f"\n{args.transcripts} transcripts, {ours.calls} LLM calls, {args.latency_ms:g} ms latency "
          f"(x U({1 - args.jitter:g}, {1 + args.jitter:g}) + U(0, {args.jitter_ms:g}) ms), cap {args.cap}, "
          f"task batch {k}; ideal {ideal:.2f}s; Prefect engine start (not counted) {engine:.1f}s")
    print(f"{'':24}{'wall s':>8}{'LLM span':>9}{'vs ideal':>9}{'ramp s':>8}{'tail s':>8}{'satur.':>8}"
          f"{'CPU ms/call':>12}{'calls':>6}{'max':>5}  load (1/5/15 min)")
    for side, side_load in ((peer, peer_load), (lib_side, lib_load), (ours, ours_load)):
        print(f"{side.name:24}{side.seconds:8.2f}{side.span:9.2f}{side.span / ideal:8.2f}x{side.ramp:8.2f}"
              f"{side.tail:8.2f}{side.saturation:8.2f}{side.cpu / max(side.calls, 1) * 1000:12.2f}{side.calls:6d}"
              f"{side.max_in_flight:5d}  {side_load}")
    span_ratio, wall_ratio = ours.span / peer.span, ours.seconds / peer.seconds
    print(f"ratio asmis / plain script: LLM span {span_ratio:.3f}x, wall {wall_ratio:.3f}x")
    per_call = {name: cpu / max(ours.calls, 1) * 1000 for name, cpu in (
        ("SDK (the plain script: SDK + asyncpg)", peer.cpu), ("ours beyond it", lib_side.cpu - peer.cpu),
        ("Prefect in-process", ours.cpu - lib_side.cpu), ("Prefect server", ours.server_cpu))}
    total = sum(per_call.values())
    print("CPU per agent call: " + ", ".join(f"{n} {v:.2f} ms" for n, v in per_call.items()))
    print(f"Prefect's share of the flow's CPU (in-process + server): "
          f"{(per_call['Prefect in-process'] + per_call['Prefect server']) / total:.1%}")
    n = args.transcripts
    print(f"Prefect server recorded {ours.task_runs} task runs and {ours.events} events: "
          f"{ours.task_runs / n:.3f} task runs and {ours.events / n:.2f} events per transcript; "
          f"its CPU: {ours.server_cpu:.1f} s, {ours.server_cpu / n * 1000:.2f} ms per transcript")
    return span_ratio, wall_ratio


def scale_point(n: int, latency_ms: float, cap: int, task_batch: int | None) -> None:
    from lib.settings import get_settings

    with bench_setup(latency_ms, cap) as bench:
        asyncio.run(seed(bench.dsn, n))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours, _ = asyncio.run(run_ours(bench.url, cap, task_batch or get_settings().task_batch, bench.prefect))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"transcripts": n, "seconds": round(ours.seconds, 2),
                          "ms_per_transcript": round(ours.seconds / n * 1000, 2), "calls": ours.calls,
                          "peak_rss_mb": round(rss), "peak_rss_before_run_mb": round(rss_before),
                          "cpu_ms_per_call": round(ours.cpu / max(ours.calls, 1) * 1000, 2),
                          "task_runs": ours.task_runs, "events": ours.events}))


_MARK_DONE = """
INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, model, model_requested,
                           schema_version)
SELECT t.id, p.agent_type, p.id, encode(sha256((t.id || p.agent_type)::bytea), 'hex'), 'completed', '{}', $1, $1, $2
FROM transcripts t CROSS JOIN prompts p WHERE p.is_active
"""


def noop_point(n: int) -> None:
    """`asmis run` over n transcripts that all have their results: the whole command, three times."""
    from lib.agents.schemas import SCHEMA_VERSION

    with bench_setup(0, 32) as bench:
        dsn, url, env = bench.dsn, bench.url, bench.env
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
            seconds, calls, engine_started = noop_rerun(env, url, bench.prefect)
            print(f"no-op `asmis run` over {n} processed transcripts: {seconds:.2f}s, {calls} LLM calls, "
                  f"flow run created: {'yes' if engine_started else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--cap", type=int, default=32)
    parser.add_argument("--task-batch", type=int, help="transcripts per agent task (default: ASMIS_TASK_BATCH)")
    parser.add_argument("--jitter", type=float, default=0.0, help="each call takes latency x U(1 - j, 1 + j)")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="plus U(0, this) ms on every call")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the comparison on one setup")
    parser.add_argument("--reference", action="store_true",
                        help="300 x 40 KB, 200 ms + U(0, 100) ms, cap 32, both agents, 3 rounds")
    parser.add_argument("--scale", action="store_true", help="1k and 10k transcripts, each in its own process")
    parser.add_argument("--scale-point", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--noop", type=int, metavar="N", help="time `asmis run` over N processed transcripts")
    args = parser.parse_args()
    if args.reference:
        args.transcripts, args.latency_ms, args.jitter_ms, args.cap, args.repeat = 300, 200, 100, 32, 3
    if args.noop:
        noop_point(args.noop)
    elif args.scale_point:
        scale_point(args.scale_point, args.latency_ms, args.cap, args.task_batch)
    elif args.scale:
        for n in (1000, 10000):
            extra = ["--task-batch", str(args.task_batch)] if args.task_batch else []
            subprocess.run([sys.executable, "-m", "benchmarks.pipeline", "--scale-point", str(n), "--latency-ms",
                            str(args.latency_ms), "--cap", str(args.cap), *extra], cwd=ROOT, check=True)
    else:
        compare(args)


if __name__ == "__main__":
    main()
