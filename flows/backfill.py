"""backfill: history in date chunks, oldest first. Chunks with nothing to do are skipped from one
estimate; the rest run as flow runs of the process-transcripts deployment when there is one (so every
worker of the pool takes a share), else in this process. Resumable by construction: a chunk's finished
work is not claimed again. In batch mode every chunk only submits its Message Batches; one last run over
the whole range then waits for them, collects, and sends what came back released in follow-up batches."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from flows.process import process_transcripts
from lib.llm import batch_unavailable
from lib.models import LLMMode
from lib.run.estimate import ChunkReport
from lib.run.runtime import runtime_in_use
from tasks.chunks import dispatch_chunk, find_deployment
from tasks.estimate import estimate_chunks


@flow(name="backfill", log_prints=False, persist_result=False)
async def backfill(since: date, until: date, chunk_days: int = 30, reprocess_stale: bool = False,
                   dry_run: bool = False, task_batch: int | None = None, parallel_chunks: int = 1,
                   llm_mode: LLMMode | None = None, wait: bool = True) -> list[ChunkReport]:
    """Process transcripts that occurred in [since, until), chunk by chunk; dry_run only estimates.

    Args:
        since: First day, inclusive.
        until: Last day, exclusive.
        chunk_days: Days per chunk (one process-transcripts run each).
        reprocess_stale: Run again where the result was made with an older prompt, another model or schema.
        dry_run: Only estimate calls, tokens and dollars; call no LLM.
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        parallel_chunks: Chunks in flight at once (as flow runs on the work pool, where it is deployed).
        llm_mode: interactive or batch (the Message Batches API, half price; empty: ASMIS_LLM_MODE).
        wait: Batch mode: wait for the batches and collect them (false: submit every chunk and end; a
            later run collects them).
    """
    if until <= since or chunk_days < 1 or parallel_chunks < 1:
        raise ValueError("backfill needs since < until, chunk_days >= 1 and parallel_chunks >= 1")
    logger = get_run_logger()
    async with runtime_in_use() as rt:
        batch = (llm_mode or rt.settings.llm_mode) == "batch" and not batch_unavailable(rt.settings)
        mode = {"llm_mode": llm_mode, "wait": wait and not batch}  # batch chunks submit; the last run collects
        estimates = await estimate_chunks(since, until, chunk_days, reprocess_stale)
        if dry_run:
            return estimates
        todo = [r for r in estimates if r.estimate and r.estimate.calls]
        logger.info("%d of %d chunks have work", len(todo), len(estimates))
        deployment = await find_deployment() if todo else None
        if todo and deployment is None:
            logger.info("no process-transcripts deployment served by a worker on this Prefect server: chunks run "
                        "in this process")
        gate = asyncio.Semaphore(parallel_chunks)

        async def one(report: ChunkReport) -> ChunkReport:
            async with gate:
                return await _run_chunk(report, deployment, reprocess_stale, task_batch, mode, logger)

        done = {r.since: r for r in await asyncio.gather(*(one(r) for r in todo))}
        reports = [done.get(r.since, r) for r in estimates]
        if batch and wait:  # also what a dead run left: its batches, and inputs they released
            whole = ChunkReport(since=estimates[0].since, until=estimates[-1].until) if estimates else None
            if whole is not None:
                reports.append(await _run_chunk(whole, None, reprocess_stale, task_batch,
                                                {"llm_mode": "batch", "wait": True}, logger))
    return reports


async def _run_chunk(report: ChunkReport, deployment: str | None, reprocess_stale: bool,
                     task_batch: int | None, mode: dict[str, Any], logger: Any) -> ChunkReport:
    """Run one chunk; a chunk that fails is reported and the others go on (a rerun resumes it)."""
    name = f"backfill-{report.since:%Y-%m-%d}"
    try:
        summary = None
        if deployment is not None:
            summary = await dispatch_chunk(deployment, {"since": report.since, "until": report.until,
                                                        "reprocess_stale": reprocess_stale, "task_batch": task_batch,
                                                        **mode}, name)
            if summary is None:
                logger.warning("no worker took chunk %s: it runs in this process", report.label)
        if summary is None:
            summary = await process_transcripts.with_options(flow_run_name=name)(
                since=report.since, until=report.until, reprocess_stale=reprocess_stale, task_batch=task_batch, **mode)
    except Exception as exc:  # noqa: BLE001 - reported per chunk; the backfill goes on
        logger.error("chunk %s failed: %s", report.label, exc)
        return report.model_copy(update={"error": f"{type(exc).__name__}: {exc}"})
    logger.info("chunk %s: %d completed, %d failed", report.label, summary.completed, summary.failed)
    return report.model_copy(update={"summary": summary})
