"""Run one agent on one transcript: identifiers in, an AgentResult out."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from lib import pipeline
from lib.models import AgentResult, AgentType
from lib.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS

AGENT_TIMEOUT_SECONDS = 1800


@task(name="run-agent", task_run_name="{agent_type}-{transcript_id}", cache_policy=NO_CACHE,
      timeout_seconds=AGENT_TIMEOUT_SECONDS, **TASK_DEFAULTS)
async def run_agent(transcript_id: int, agent_type: AgentType, prompt_id: int, run_id: str) -> AgentResult:
    """Analyse a transcript with one agent, through the result cache."""
    return await pipeline.analyse(await current_runtime(), transcript_id, agent_type, prompt_id, run_id)


@task(name="record-failure", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def record_failure(transcript_id: int, agent_type: AgentType, prompt_id: int, error: BaseException,
                         run_id: str) -> AgentResult | None:
    """Build the failed row for an error that outlived every retry."""
    return await pipeline.failure(await current_runtime(), transcript_id, agent_type, prompt_id, error, run_id)
