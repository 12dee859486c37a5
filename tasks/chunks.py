"""Backfill chunks as flow runs of the process-transcripts deployment, so any worker of the pool takes
them (prefect.deployments.run_deployment), and what each one did, read back from its run-summary
artifact (flow results stay off: they would need storage that every worker shares)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from lib.pipeline import RunSummary
from tasks.retry import TASK_DEFAULTS

PROCESS_DEPLOYMENT = "process-transcripts/process-transcripts"


@task(name="find-deployment", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def find_deployment(name: str = PROCESS_DEPLOYMENT) -> str | None:
    """The deployment's id, or None when the Prefect server has no such deployment."""
    async with get_client() as client:
        try:
            return str((await client.read_deployment_by_name(name)).id)
        except ObjectNotFound:
            return None


async def dispatch_chunk(deployment_id: str, parameters: dict[str, Any], name: str) -> RunSummary:
    """Run one chunk on the work pool and wait for it; raise when it did not complete."""
    flow_run = await run_deployment(deployment_id, parameters=parameters, flow_run_name=name, timeout=None,
                                    poll_interval=2)  # type: ignore[misc]
    if flow_run.state is None or not flow_run.state.is_completed():
        state = flow_run.state.name if flow_run.state else "unknown"
        raise RuntimeError(f"chunk {name} ended {state} (flow run {flow_run.id})")
    return await chunk_summary(str(flow_run.id))


@task(name="chunk-summary", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def chunk_summary(flow_run_id: str) -> RunSummary:
    """What a chunk's flow run did, from the run-summary table it published."""
    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["run-summary"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])))
    if not artifacts:
        return RunSummary(run_id=flow_run_id)
    data = artifacts[0].data
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data  # type: ignore[assignment]
    return RunSummary.from_rows(rows)
