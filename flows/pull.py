"""pull_transcripts: a task per source, all at once; one failing source never stops the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import cast

from prefect import flow
from prefect.states import State

from lib.intake.pull import SourceReport
from lib.intake.sources import parse_sources
from lib.run.runtime import runtime_in_use
from lib.settings import get_settings
from tasks.pull import publish_pull_summary, pull_one_source


@flow(name="pull-transcripts", log_prints=False, persist_result=False)
async def pull_transcripts(sources: list[str] | None = None, since: datetime | None = None) -> list[SourceReport]:
    """Pull new transcripts from the sources (default: ASMIS_SOURCES) into the database.

    Args:
        sources: Source URLs (gong://, s3://bucket/prefix/, gs://, az://, file:///dir/, zoom://); empty:
            ASMIS_SOURCES.
        since: Read back to this time instead of each source's high-water mark less the lookback.
    """
    urls = [spec.url for spec in parse_sources(sources or get_settings().sources)]
    async with runtime_in_use():  # one pool for every task of this run, closed at its end
        calls = [cast(Awaitable[State[SourceReport]], pull_one_source(url, since, return_state=True))
                 for url in urls]
        states = await asyncio.gather(*calls)
        reports = [await _report(url, state) for url, state in zip(urls, states, strict=True)]
    await publish_pull_summary(reports)
    return reports


async def _report(url: str, state: State[SourceReport]) -> SourceReport:
    """The task's report, or, after its last retry, the error it ended with."""
    outcome = await state.aresult(raise_on_failure=False)
    if isinstance(outcome, SourceReport):
        return outcome
    return SourceReport(url, error=str(outcome) if isinstance(outcome, BaseException) else "the pull failed")
