"""Estimate a run without calling the LLM."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from lib.run.estimate import ChunkReport, estimate_range
from lib.run.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS


@task(name="estimate-chunks", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def estimate_chunks(since: date, until: date, chunk_days: int, reprocess_stale: bool) -> list[ChunkReport]:
    """Count the transcripts and calls each chunk of a backfill would make, and price them."""
    return await estimate_range(await current_runtime(), since, until, chunk_days, reprocess_stale)
