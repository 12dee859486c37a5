"""Estimate a run without calling the LLM."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from lib import pipeline
from lib.estimate import Estimate, estimate_run
from lib.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS

__all__ = ["Estimate", "estimate_chunk"]


@task(name="estimate-chunk", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def estimate_chunk(params: pipeline.RunParams) -> Estimate:
    """Count the transcripts and calls a run would make, and price them."""
    return await estimate_run(await current_runtime(), params)
