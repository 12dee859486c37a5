"""nightly: pull new calls from the sources, then process everything new, on a schedule."""

from __future__ import annotations

from prefect import flow

from flows.process import process_transcripts
from flows.pull import pull_transcripts
from lib.models import LLMMode
from lib.run.pipeline import RunSummary
from lib.settings import get_settings


@flow(name="nightly", log_prints=False, persist_result=False)
async def nightly(task_batch: int | None = None, llm_mode: LLMMode | None = None, pull: bool = True) -> RunSummary:
    """Pull new transcripts from ASMIS_SOURCES, collect ended Message Batches, then run both agents on every
    transcript that has no result yet.

    Args:
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        llm_mode: interactive or batch (empty: ASMIS_LLM_MODE). A nightly batch run submits and ends;
            the next night's collects.
        pull: Pull from the sources first (a source that cannot be read is reported; the run goes on).
    """
    if pull and get_settings().sources.strip():
        await pull_transcripts()
    return await process_transcripts(task_batch=task_batch, llm_mode=llm_mode, wait=False)
