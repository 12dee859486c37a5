"""Pull one source; publish the pull's summary."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, cast

from prefect import get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from lib.errors import SourceError
from lib.intake.pull import CREDENTIAL_VARIABLES, SourceReport, pull_source
from lib.intake.sources import parse_source
from lib.run.runtime import current_runtime
from lib.views.intake import pull_markdown
from tasks.retry import TASK_DEFAULTS


@task(name="pull-source", task_run_name="pull {source}", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def pull_one_source(source: str, since: datetime | None = None) -> SourceReport:
    """Pull new transcripts from one source; a passing failure (5xx, unreachable, 429) raises to be retried."""
    spec = parse_source(source)
    await _credentials_from_secret_blocks(spec.kind.upper() + "_")
    rt = await current_runtime()
    report = await pull_source(rt.pool, rt.settings, spec, since=since)
    if report.error and report.retryable:
        raise SourceError(report.error, source=source, retryable=True)
    get_run_logger().info("pulled %s: %s", source, report.counts() if report.ok else report.error)
    return report


@task(name="publish-pull-summary", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def publish_pull_summary(reports: list[SourceReport]) -> None:
    """Publish counts per source and the refused items (ids and reasons only) to the Prefect UI."""
    await acreate_markdown_artifact(key="pull-summary", markdown=pull_markdown(reports),
                                    description="ASMIS intake: transcripts pulled per source")


async def _credentials_from_secret_blocks(prefix: str) -> None:
    """A credential the environment lacks may come from a Prefect Secret block of the same name, spelled
    as block names are (GONG_ACCESS_KEY_SECRET: `gong-access-key-secret`). The environment wins."""
    from prefect.blocks.system import Secret

    for name in CREDENTIAL_VARIABLES:
        if not name.startswith(prefix) or os.environ.get(name):
            continue
        try:
            block = await Secret.aload(name.lower().replace("_", "-"))
        except (ValueError, LookupError):
            continue  # no such block
        os.environ[name] = str(cast(Any, block).get())
