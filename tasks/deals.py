"""The deals' roll-ups as a Prefect artifact (published by tasks/results.py:finish_run)."""

from __future__ import annotations

from prefect.artifacts import acreate_markdown_artifact
from prefect.runtime import flow_run

from lib.deals.markdown import deals_markdown
from lib.deals.store import DealRepository
from lib.run.runtime import current_runtime

MAX_DEAL_ARTIFACTS = 25


def _run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


async def deal_rollups_artifact(deal_ids: list[str]) -> list[tuple[str, str, str]]:
    """The deals' roll-ups as a markdown artifact, marking what this flow run changed: its (key, type, id)."""
    if not deal_ids:
        return []
    deals = await DealRepository((await current_runtime()).pool).get_many(deal_ids[:MAX_DEAL_ARTIFACTS])
    artifact_id = await acreate_markdown_artifact(key="deal-rollups", markdown=deals_markdown(deals, _run_id()),
                                                  description=f"MEDDPICC roll-ups of {len(deal_ids)} deal(s)")
    return [("deal-rollups", "markdown", str(artifact_id))]
