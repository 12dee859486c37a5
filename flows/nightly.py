"""nightly: process everything new, on a schedule."""

from __future__ import annotations

from prefect import flow

from flows.process import process_transcripts
from lib.models import LLMMode
from lib.run.pipeline import RunSummary


@flow(name="nightly", log_prints=False, persist_result=False)
async def nightly(task_batch: int | None = None, llm_mode: LLMMode | None = None) -> RunSummary:
    """Collect ended Message Batches, then run both agents on every transcript that has no result yet.

    Args:
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        llm_mode: interactive or batch (empty: ASMIS_LLM_MODE). A nightly batch run submits and ends;
            the next night's collects.
    """
    return await process_transcripts(task_batch=task_batch, llm_mode=llm_mode, wait=False)
