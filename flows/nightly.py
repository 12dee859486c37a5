"""nightly: pull new calls from the sources, process everything new, on a schedule; then write changed
deals to the CRM and send the Slack digest, each when configured."""

from __future__ import annotations

from prefect import flow

from flows.process import process_transcripts
from flows.pull import pull_transcripts
from flows.push_crm import push_crm
from lib.digest.send import slack_configured
from lib.models import LLMMode
from lib.run.pipeline import RunSummary
from lib.run.runtime import runtime_in_use
from lib.settings import get_settings
from tasks.crm import send_slack_digest


@flow(name="nightly", log_prints=False, persist_result=False)
async def nightly(task_batch: int | None = None, llm_mode: LLMMode | None = None, pull: bool = True) -> RunSummary:
    """Pull new transcripts from ASMIS_SOURCES, collect ended Message Batches, then run both agents on every
    transcript that has no result yet; then push the deals whose roll-up changed to ASMIS_CRM and send the
    Slack digest, when configured.

    Args:
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        llm_mode: interactive or batch (empty: ASMIS_LLM_MODE). A nightly batch run submits and ends;
            the next night's collects.
        pull: Pull from the sources first (a source that cannot be read is reported; the run goes on).
    """
    settings = get_settings()
    async with runtime_in_use():  # one pool for the whole night, closed at its end
        if pull and settings.sources.strip():
            await pull_transcripts()
        summary = await process_transcripts(task_batch=task_batch, llm_mode=llm_mode, wait=False)
        # A CRM that cannot be reached fails the run, but only after the digest has gone out.
        pushed = await push_crm(return_state=True) if settings.crm is not None else None
        if slack_configured(settings):
            await send_slack_digest()
    if pushed is not None and pushed.is_failed():
        await pushed.aresult()  # raises the push's error
    return summary
