"""Plan a run and claim its work under a lease."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from lib.db.claims import Claim
from lib.run import pipeline
from lib.run.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS


@task(name="plan-run", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def plan_run(params: pipeline.RunParams, owner: str) -> pipeline.RunPlan:
    """Free the leases of ended flow runs, then resolve the active prompt of each agent type and the model
    into a run plan (one task run: each costs more than the queries it wraps)."""
    await free_claims_of_ended_runs()
    return await pipeline.plan_run(await current_runtime(), params, owner)


@task(name="claim-transcripts", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def claim_transcripts(plan: pipeline.RunPlan, limit: int, after: Claim | None = None,
                            release: list[int] | None = None) -> list[Claim]:
    """Release finished transcripts and claim the next that still need an agent, under a lease."""
    rt = await current_runtime()
    return await rt.claims.claim(plan.owner, plan.work(), limit=limit, after=after, release=release,
                                 lease_seconds=rt.settings.claim_lease_seconds)


@task(name="extend-claims", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def extend_claims(owner: str, transcript_ids: list[int]) -> int:
    """Renew the lease on transcripts still being worked on."""
    rt = await current_runtime()
    return await rt.claims.extend(owner, transcript_ids, rt.settings.claim_lease_seconds)


@task(name="release-claims", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def release_claims(owner: str, transcript_ids: list[int]) -> None:
    """Give up the lease on finished transcripts."""
    await (await current_runtime()).claims.release(owner, transcript_ids)


async def free_claims_of_ended_runs() -> int:
    """Free the leases of flow runs this Prefect server knows are over (crashed, failed, cancelled):
    their work is taken up now instead of when the lease runs out."""
    rt = await current_runtime()
    owners = {}
    for owner in await rt.claims.owners():
        try:
            owners[UUID(owner)] = owner
        except ValueError:
            continue  # not a flow run (a lib-level caller)
    if not owners:
        return 0
    async with get_client() as client:
        runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(owners))))
    ended = [owners[r.id] for r in runs if r.state is not None and r.state.is_final()]
    released = await rt.claims.release_owners(ended) if ended else 0
    if released:
        get_run_logger().info("released %d transcripts claimed by %d ended flow runs", released, len(ended))
    return released
