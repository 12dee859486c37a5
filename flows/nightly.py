"""nightly: process everything new, on a schedule."""

from __future__ import annotations

from prefect import flow

from flows.process import process_transcripts
from lib.pipeline import RunSummary


@flow(name="nightly", log_prints=False, persist_result=False)
async def nightly(task_batch: int | None = None) -> RunSummary:
    """Run both agents on every transcript that has no result yet.

    Args:
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
    """
    return await process_transcripts(task_batch=task_batch)
