"""Interactive against batch mode over one backlog, at the fake Messages API: requests, batches, wall
time and dollars from the price table.

    python -m benchmarks.batches [--transcripts 1000] [--cap 32] [--latency-ms 0]

Lib level (no Prefect): the interactive side is the Analyser under the per-process cap, the batch side
`lib.batches.run_batches` (submit, poll, collect). A fresh embedded PostgreSQL and the fake run here.
The fake answers a batch at once and an interactive call after --latency-ms: wall times are the
client-side floor, not what the API takes (most batches end within an hour, interactive calls take
seconds each).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import asyncpg

from benchmarks.pipeline import seed
from lib.agents.analysis import Analyser
from lib.batches import WorkItem, batch_context, run_batches
from lib.cache import ResultCache
from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.llm.anthropic import AnthropicProvider
from lib.llm.limits import LimitedProvider
from lib.models import AGENT_TYPES
from lib.settings import Settings
from tests.fake_messages_api import FakeMessagesAPI

MODEL = "claude-sonnet-5-5"


async def _work(pool: asyncpg.Pool) -> list[WorkItem]:
    prompts = {a: await PromptRepository(pool).active(a) for a in AGENT_TYPES}
    transcripts = await TranscriptRepository(pool).list(limit=1_000_000)
    return [WorkItem(t.id, a, p.id) for t in transcripts for a, p in prompts.items() if p is not None]


async def interactive(dsn: str, root: Path, cap: int) -> tuple[float, Decimal, int]:
    pool = await create_pool(dsn, Settings(pool_max_size=cap + 4))
    provider = LimitedProvider(AnthropicProvider(MODEL), cap, None)
    analyser = Analyser(provider, ResultCache(root / "cache-interactive"))
    work = await _work(pool)
    transcripts = {t.id: t for t in await TranscriptRepository(pool).list(limit=1_000_000)}
    prompts = {w.prompt_id: await PromptRepository(pool).get(w.prompt_id) for w in work}
    started = time.perf_counter()
    results = await asyncio.gather(*(analyser.analyse(w.agent_type, transcripts[w.transcript_id],
                                                      prompts[w.prompt_id]) for w in work))  # type: ignore[arg-type]
    await ResultRepository(pool).upsert_many(list(results))
    wall = time.perf_counter() - started
    await provider.inner.aclose()  # type: ignore[attr-defined]
    await pool.close()
    return wall, sum((r.cost_usd for r in results), Decimal("0")), len(results)


async def batch(dsn: str, root: Path) -> tuple[float, Decimal, int, int]:
    pool = await create_pool(dsn, Settings())
    provider = AnthropicProvider(MODEL)
    ctx = batch_context(pool, Analyser(provider, ResultCache(root / "cache-batch")), provider)
    work = await _work(pool)

    async def no_sleep(_: float) -> None:
        await asyncio.sleep(0)

    started = time.perf_counter()
    report = await run_batches(ctx, work, owner="bench", sleep=no_sleep)
    wall = time.perf_counter() - started
    await provider.aclose()
    await pool.close()
    return wall, sum((r.cost_usd for r in report.results), Decimal("0")), len(report.results), report.batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=32, help="interactive calls in flight")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake's latency per interactive call")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="asmis-batch-bench-"))
    server = EmbeddedPostgres(root / "data")
    try:
        dsn = server.start()
        with FakeMessagesAPI(latency_ms=args.latency_ms) as fake:
            os.environ.update({"ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": fake.url})
            started = time.perf_counter()
            asyncio.run(seed(dsn, args.transcripts))
            print(f"seeded {args.transcripts} transcripts (~40 KB each) in {time.perf_counter() - started:.1f}s")
            wall_i, cost_i, n_i = asyncio.run(interactive(dsn, root, args.cap))
            requests_i = fake.stats().total_requests
            asyncio.run(_forget(dsn))
            fake.clear_prompt_cache()
            fake.reset_stats()
            wall_b, cost_b, n_b, batches = asyncio.run(batch(dsn, root))
            stats = fake.stats()
            print(f"{'mode':12} {'results':>8} {'HTTP requests':>14} {'batches':>8} {'wall s':>8} {'cost $':>10}")
            print(f"{'interactive':12} {n_i:8d} {requests_i:14d} {0:8d} {wall_i:8.1f} {cost_i:10.2f}")
            print(f"{'batch':12} {n_b:8d} {stats.total_requests:14d} {batches:8d} {wall_b:8.1f} {cost_b:10.2f}")
            print("batch requests by path:", {k: v for k, v in stats.by_path.items() if "batches" in k and v < 50}
                  or dict(list(stats.by_path.items())[:5]))
            print(f"batch / interactive cost: {cost_b / cost_i:.3f}" if cost_i else "")
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)


async def _forget(dsn: str) -> None:
    pool = await create_pool(dsn, Settings())
    await pool.execute("TRUNCATE agent_results, message_batch_items, message_batches")
    await pool.close()


if __name__ == "__main__":
    main()
