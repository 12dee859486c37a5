"""Refresh the deals a run touched and publish their roll-ups."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from lib.deals import refresh
from lib.deals.markdown import deals_markdown
from lib.deals.store import DealRepository
from lib.run.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS

MAX_DEAL_ARTIFACTS = 25


def _run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


@task(name="refresh-deals", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def refresh_deals_of_run(run_id: str) -> list[str]:
    """Rebuild the roll-up of every deal the run wrote results for; return those deal ids."""
    rt = await current_runtime()
    return await refresh.refresh_deals_of_run(rt.pool, run_id, rt.settings)


@task(name="publish-deal-rollups", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def publish_deal_rollups(deal_ids: list[str]) -> None:
    """Publish the deals' roll-ups as a markdown artifact, marking what this flow run changed."""
    if not deal_ids:
        return
    deals = await DealRepository((await current_runtime()).pool).get_many(deal_ids[:MAX_DEAL_ARTIFACTS])
    await acreate_markdown_artifact(key="deal-rollups", markdown=deals_markdown(deals, _run_id()),
                                    description=f"MEDDPICC roll-ups of {len(deal_ids)} deal(s)")
