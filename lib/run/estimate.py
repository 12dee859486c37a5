"""What a run would cost, without calling the LLM: calls, tokens and dollars from the backlog."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel

from lib.db.claims import Backlog
from lib.llm.base import Usage
from lib.llm.pricing import cost_usd
from lib.run.pipeline import RunParams, RunPlan, RunSummary, plan_run
from lib.run.runtime import Runtime

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS_PER_CALL = 2500
SYSTEM_TOKENS_PER_CALL = 600


class Estimate(BaseModel):
    transcripts: int
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    batch_cost_usd: Decimal = Decimal("0")  # the same work through the Message Batches API
    model: str


def estimate(backlog: Backlog, model: str) -> Estimate:
    """Each call reads its transcript (~4 characters a token) plus the prompt, and writes ~2.5k tokens."""
    transcript_tokens = backlog.chars // CHARS_PER_TOKEN
    calls_per_transcript = backlog.calls / backlog.transcripts if backlog.transcripts else 0
    usage = Usage(input_tokens=int(transcript_tokens * calls_per_transcript) + backlog.calls * SYSTEM_TOKENS_PER_CALL,
                  output_tokens=backlog.calls * OUTPUT_TOKENS_PER_CALL)
    return Estimate(transcripts=backlog.transcripts, calls=backlog.calls, input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens, cost_usd=cost_usd(model, usage),
                    batch_cost_usd=cost_usd(model, usage, batch=True), model=model)


def chunks(since: date, until: date, chunk_days: int) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into chunk_days-long UTC windows, oldest first."""
    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(until, time(), UTC)
    out = []
    while start < end:
        out.append((start, min(start + timedelta(days=chunk_days), end)))
        start = out[-1][1]
    return out


class ChunkReport(BaseModel):
    since: datetime
    until: datetime
    estimate: Estimate | None = None
    summary: RunSummary | None = None
    error: str | None = None  # the chunk's run failed (a rerun of the backfill resumes it)

    @property
    def label(self) -> str:
        return f"{self.since:%Y-%m-%d}..{self.until:%Y-%m-%d}"


async def estimate_run(rt: Runtime, params: RunParams) -> Estimate:
    plan = await plan_run(rt, params, owner="dry-run")
    return estimate(await rt.claims.backlog(plan.work()), rt.model)


async def chunk_backlogs(rt: Runtime, plan: RunPlan, windows: list[tuple[datetime, datetime]]) -> list[Backlog]:
    """The plan's work in each chunk, from one SQL query: a backfill can skip the empty ones outright."""
    return await rt.claims.backlogs(plan.work(), windows)


async def estimate_range(rt: Runtime, since: date, until: date, chunk_days: int, reprocess_stale: bool
                         ) -> list[ChunkReport]:
    """What a backfill would do, chunk by chunk, without calling the LLM (nor starting Prefect).
    The prompts are resolved once; all chunks are counted by one query."""
    plan = await plan_run(rt, RunParams(reprocess_stale=reprocess_stale), owner="dry-run")
    windows = chunks(since, until, chunk_days)
    return [ChunkReport(since=start, until=end, estimate=estimate(backlog, rt.model))
            for (start, end), backlog in zip(windows, await chunk_backlogs(rt, plan, windows), strict=True)]
