"""Run one agent over a batch of transcripts: identifiers in, counts out (the results go to Postgres)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from lib.models import AgentType
from lib.run import agent_batch
from lib.run.agent_batch import BatchOutcome
from lib.run.runtime import current_runtime
from tasks.retry import RETRIES, TASK_DEFAULTS

BATCH_TIMEOUT_SECONDS = 3600


def _batch_name() -> str:
    """e.g. `meddpic-16-from-1042`: the agent, how many transcripts, the first one's id."""
    params = task_run.parameters
    ids = params["transcript_ids"]
    return f"{params['agent_type']}-{len(ids)}-from-{ids[0] if ids else 'none'}"


@task(name="run-agent-batch", task_run_name=_batch_name, cache_policy=NO_CACHE,
      timeout_seconds=BATCH_TIMEOUT_SECONDS, **TASK_DEFAULTS)
async def run_agent_batch(transcript_ids: list[int], agent_type: AgentType, prompt_id: int,
                          run_id: str) -> BatchOutcome:
    """Analyse a batch of transcripts with one agent, through the result cache, and save the results."""
    # Every attempt of this task run has the same id (prefect.runtime.task_run, documented); the last one
    # records what still fails instead of asking for another retry.
    return await agent_batch.analyse_batch(
        await current_runtime(), transcript_ids, agent_type, prompt_id, run_id,
        attempt_key=str(task_run.id), final=task_run.run_count > RETRIES)


@task(name="record-batch-failure", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def record_batch_failure(transcript_ids: list[int], agent_type: AgentType, prompt_id: int,
                               error: BaseException, run_id: str, attempt_key: str) -> BatchOutcome:
    """Save `failed` rows for the items a batch task left when it ended in an error of its own."""
    return await agent_batch.record_batch_failure(await current_runtime(), transcript_ids, agent_type, prompt_id,
                                                  error, run_id, attempt_key=attempt_key)
