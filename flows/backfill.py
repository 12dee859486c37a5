"""backfill: history in date chunks, oldest first, one subflow per chunk; resumable by construction
(a chunk's finished work is not claimed again)."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from flows.process import process_transcripts
from lib.estimate import ChunkReport, chunks
from lib.models import LLMMode
from lib.pipeline import RunParams
from lib.runtime import runtime_in_use
from tasks.estimate import estimate_chunk


@flow(name="backfill", log_prints=False, persist_result=False)
async def backfill(since: date, until: date, chunk_days: int = 30, reprocess_stale: bool = False,
                   dry_run: bool = False, task_batch: int | None = None, llm_mode: LLMMode | None = None,
                   wait: bool = True) -> list[ChunkReport]:
    """Process transcripts that occurred in [since, until), chunk by chunk; dry_run only estimates.

    Args:
        since: First day, inclusive.
        until: Last day, exclusive.
        chunk_days: Days per chunk (one process-transcripts run each).
        reprocess_stale: Run again where the result was made with an older prompt, another model or schema.
        dry_run: Only estimate calls, tokens and dollars; call no LLM.
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        llm_mode: interactive or batch (the Message Batches API, half price; empty: ASMIS_LLM_MODE).
        wait: Batch mode: wait for each chunk's batches and collect them (false: submit every chunk and end).
    """
    if until <= since or chunk_days < 1:
        raise ValueError("backfill needs since < until and chunk_days >= 1")
    logger = get_run_logger()
    reports = []
    async with runtime_in_use():
        for start, end in chunks(since, until, chunk_days):
            params = RunParams(since=start, until=end, reprocess_stale=reprocess_stale, task_batch=task_batch)
            if dry_run:
                reports.append(ChunkReport(since=start, until=end, estimate=await estimate_chunk(params)))
                continue
            run = process_transcripts.with_options(flow_run_name=f"backfill-{start:%Y-%m-%d}")
            summary = await run(since=start, until=end, reprocess_stale=reprocess_stale, task_batch=task_batch,
                                llm_mode=llm_mode, wait=wait)
            reports.append(ChunkReport(since=start, until=end, summary=summary))
            logger.info("chunk %s..%s: %d completed, %d failed", start.date(), end.date(), summary.completed,
                        summary.failed)
    return reports
