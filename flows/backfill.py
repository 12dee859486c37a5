"""backfill: history in date chunks, oldest first, one subflow per chunk; resumable by construction
(a chunk's finished work is not claimed again)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from flows.process import process_transcripts
from lib.estimate import ChunkReport, chunks
from lib.pipeline import RunParams
from lib.runtime import runtime_in_use
from tasks.estimate import estimate_chunk


@flow(name="backfill", log_prints=False, persist_result=False)
async def backfill(since: date, until: date, chunk_days: int = 30, reprocess_stale: bool = False,
                   dry_run: bool = False, batch_size: int = 50) -> list[ChunkReport]:
    """Process transcripts that occurred in [since, until), chunk by chunk; dry_run only estimates."""
    if until <= since or chunk_days < 1:
        raise ValueError("backfill needs since < until and chunk_days >= 1")
    logger = get_run_logger()
    async with runtime_in_use():
        return await _run_chunks(since, until, chunk_days, reprocess_stale, dry_run, batch_size, logger)


async def _run_chunks(since: date, until: date, chunk_days: int, reprocess_stale: bool, dry_run: bool,
                      batch_size: int, logger: Any) -> list[ChunkReport]:
    reports = []
    for start, end in chunks(since, until, chunk_days):
        params = RunParams(since=start, until=end, reprocess_stale=reprocess_stale, batch_size=batch_size)
        if dry_run:
            reports.append(ChunkReport(since=start, until=end, estimate=await estimate_chunk(params)))
            continue
        summary = await process_transcripts.with_options(flow_run_name=f"backfill-{start:%Y-%m-%d}")(params)
        reports.append(ChunkReport(since=start, until=end, summary=summary))
        logger.info("chunk %s..%s: %d completed, %d failed", start.date(), end.date(), summary.completed,
                    summary.failed)
    return reports
