"""Backfill chunks as flow runs of the process-transcripts deployment, so any worker of the pool takes
them (prefect.deployments.run_deployment), and what each one did, read back from its run-summary
artifact (flow results stay off: they would need storage that every worker shares)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import DeploymentStatus
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled

from lib.run.pipeline import RunSummary
from tasks.retry import TASK_DEFAULTS

PROCESS_DEPLOYMENT = "process-transcripts/process-transcripts"
POLLED_WITHIN = timedelta(seconds=90)  # workers poll every 10 s by default (PREFECT_WORKER_QUERY_SECONDS)
START_WITHIN = timedelta(seconds=120)  # a chunk no worker takes by then runs in the backfill's own process
POLL_SECONDS = 2.0


@task(name="find-deployment", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def find_deployment(name: str = PROCESS_DEPLOYMENT) -> str | None:
    """The deployment's id when something runs its flow runs: READY and polled by a worker (or `asmis
    serve`) within the last POLLED_WITHIN. Else None: a flow run of a deployment that nobody serves
    would wait forever."""
    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None
    polled = deployment.last_polled
    if deployment.status != DeploymentStatus.READY or polled is None or datetime.now(UTC) - polled > POLLED_WITHIN:
        return None
    return str(deployment.id)


async def dispatch_chunk(deployment_id: str, parameters: dict[str, Any], name: str) -> RunSummary | None:
    """Run one chunk on the work pool and wait for it; raise when it did not complete. None when no worker
    took it within START_WITHIN (it is cancelled, and the caller runs the chunk itself)."""
    flow_run = await run_deployment(deployment_id, parameters=parameters, flow_run_name=name,
                                    timeout=0)  # type: ignore[misc]
    waited = 0.0
    async with get_client() as client:
        while True:
            current = await client.read_flow_run(flow_run.id)
            state = current.state
            if state is not None and state.is_final():
                break
            if (state is None or state.is_scheduled()) and waited >= START_WITHIN.total_seconds():
                await client.set_flow_run_state(flow_run.id, Cancelled(message="no worker took this chunk"),
                                                force=True)
                return None
            await asyncio.sleep(POLL_SECONDS)
            waited += POLL_SECONDS
    if not state.is_completed():
        raise RuntimeError(f"chunk {name} ended {state.name} (flow run {flow_run.id})")
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
