"""nightly: process everything new, on a schedule."""

from __future__ import annotations

from prefect import flow

from flows.process import process_transcripts
from lib.pipeline import RunParams, RunSummary


@flow(name="nightly", log_prints=False, persist_result=False)
async def nightly(batch_size: int = 50) -> RunSummary:
    """Run both agents on every transcript that has no result yet."""
    return await process_transcripts(RunParams(batch_size=batch_size))
