"""A batch-mode run in its own process, for crash tests: python -m tests.batch_worker DSN CACHE_DIR.
Submits every (transcript, agent) of the database in batch mode and waits for the batch (it is
SIGKILLed while it waits). The SDK reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL (the fake)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lib.agents.analysis import Analyser
from lib.batches import Backoff, WorkItem, batch_context, run_batches
from lib.cache import ResultCache
from lib.db.connect import create_pool
from lib.db.prompts import PromptRepository
from lib.db.transcripts import TranscriptRepository
from lib.llm.anthropic import AnthropicProvider
from lib.models import AGENT_TYPES
from lib.settings import Settings


async def main(dsn: str, cache_dir: str) -> None:
    pool = await create_pool(dsn, Settings())
    provider = AnthropicProvider("claude-sonnet-5-5")
    ctx = batch_context(pool, Analyser(provider, ResultCache(Path(cache_dir))), provider)
    prompts = {a: await PromptRepository(pool).active(a) for a in AGENT_TYPES}
    work = [WorkItem(t.id, a, p.id) for t in await TranscriptRepository(pool).list(limit=1000)
            for a, p in prompts.items() if p is not None]
    await run_batches(ctx, work, owner="doomed-run", backoff=Backoff(first=30.0))
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
