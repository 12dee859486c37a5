"""Batch mode's tasks: collect ended Message Batches, submit claimed work, wait for batches to end."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from lib.db.claims import Claim
from lib.run import batch_mode
from lib.run.batch_mode import BatchTally
from lib.run.pipeline import RunPlan
from lib.run.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS

# The API ends every batch within 24 hours of its creation; the poll gives up a little after that.
WAIT_TIMEOUT_SECONDS = 25 * 3600
COLLECT_TIMEOUT_SECONDS = 3600


@task(name="collect-message-batches", cache_policy=NO_CACHE, timeout_seconds=COLLECT_TIMEOUT_SECONDS,
      **TASK_DEFAULTS)
async def collect_message_batches(run_id: str) -> BatchTally:
    """Save and cache the results of every ended Message Batch, whichever run submitted it."""
    return await batch_mode.collect(await current_runtime(), run_id)


@task(name="submit-message-batches", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def submit_message_batches(plan: RunPlan, claims: list[Claim]) -> BatchTally:
    """Send the claimed work as Message Batches (the cache answers what it can) and release the claims."""
    return await batch_mode.submit_claims(await current_runtime(), plan, claims)


@task(name="wait-for-message-batches", cache_policy=NO_CACHE, timeout_seconds=WAIT_TIMEOUT_SECONDS,
      **TASK_DEFAULTS)
async def wait_for_message_batches(batch_ids: list[int]) -> int:
    """Poll the batches with backoff until they end; holds no LLM slot."""
    return await batch_mode.wait(await current_runtime(), batch_ids)
