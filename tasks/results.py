"""Publish a run's artifacts."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from lib.run.pipeline import RunSummary
from lib.run.runtime import current_runtime
from lib.views.scorecards import scorecards_markdown
from tasks.retry import TASK_DEFAULTS

MAX_SCORECARDS = 25


@task(name="publish-artifacts", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def publish_artifacts(summary: RunSummary) -> None:
    """Publish the run summary table and MEDDPICC scorecards to the Prefect UI."""
    await acreate_table_artifact(key="run-summary", table=summary.rows(),
                                 description=f"ASMIS run {summary.run_id}")
    if not summary.transcript_ids:
        return
    rt = await current_runtime()
    markdown = await scorecards_markdown(rt, summary.transcript_ids[:MAX_SCORECARDS])
    await acreate_markdown_artifact(key="meddpicc-scorecards", markdown=markdown,
                                    description=f"MEDDPICC scorecards, run {summary.run_id}")
