"""Finish a run: refresh the deals it touched and publish its artifacts."""

from __future__ import annotations

import asyncio

from prefect import task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from lib.deals import refresh
from lib.run.pipeline import RunSummary
from lib.run.runtime import current_runtime
from lib.views.scorecards import scorecards_markdown
from tasks.deals import deal_rollups_artifact
from tasks.retry import TASK_DEFAULTS

MAX_SCORECARDS = 25


@task(name="finish-run", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def finish_run(summary: RunSummary) -> list[tuple[str, str, str]]:
    """Rebuild the roll-up of every deal the run wrote results for, publish them and the run's summary
    and scorecards (one task run: each costs more than the work it wraps); return the artifacts'
    (key, type, id), so the CLI can link them without asking the server."""
    rt = await current_runtime()
    deal_ids = await refresh.refresh_deals_of_run(rt.pool, summary.run_id, rt.settings)
    # the artifacts go to the Prefect server side by side: a round trip each, not one after the other
    deals, others = await asyncio.gather(deal_rollups_artifact(deal_ids), summary_artifacts(summary))
    return sorted([*deals, *others])


async def summary_artifacts(summary: RunSummary) -> list[tuple[str, str, str]]:
    """The run summary table and MEDDPICC scorecards, for the Prefect UI: their (key, type, id)."""
    table = acreate_table_artifact(key="run-summary", table=summary.rows(), description=f"ASMIS run {summary.run_id}")
    if not summary.transcript_ids:
        return [("run-summary", "table", str(await table))]
    rt = await current_runtime()
    markdown = await scorecards_markdown(rt, summary.transcript_ids[:MAX_SCORECARDS])
    table_id, cards_id = await asyncio.gather(table, acreate_markdown_artifact(
        key="meddpicc-scorecards", markdown=markdown, description=f"MEDDPICC scorecards, run {summary.run_id}"))
    return [("run-summary", "table", str(table_id)), ("meddpicc-scorecards", "markdown", str(cards_id))]
