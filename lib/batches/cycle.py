"""One batch-mode pass over claimed work, for callers that wait: collect what earlier runs left ended
(waiting for the ones still running), submit, poll until ended, collect, and send released requests (server errors, expired, canceled) in a
follow-up batch, at most `rounds` batches deep. Flows that split these steps into tasks call
submit / wait_until_ended / collect_ended themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lib.batches.collect import CollectReport, collect_ended
from lib.batches.context import BatchContext
from lib.batches.poll import DEFAULT_BACKOFF, Backoff, wait_until_ended
from lib.batches.submit import SubmitReport, WorkItem, submit
from lib.models import AgentResult

FOLLOW_UP_ROUNDS = 3  # a request released this many times goes back to the backlog for the next run


@dataclass
class CycleReport:
    submits: list[SubmitReport] = field(default_factory=list)
    collects: list[CollectReport] = field(default_factory=list)
    left: list[WorkItem] = field(default_factory=list)  # released in the last round, for the next run

    @property
    def results(self) -> list[AgentResult]:
        return [r for s in self.submits for r in s.cached] + [r for c in self.collects for r in c.results]

    @property
    def batches(self) -> int:
        return sum(len(s.batches) for s in self.submits)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.submits)


async def run_batches(ctx: BatchContext, work: list[WorkItem], *, owner: str, run_id: str | None = None,
                      wait: bool = True, rounds: int = FOLLOW_UP_ROUNDS, backoff: Backoff = DEFAULT_BACKOFF,
                      sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> CycleReport:
    report = CycleReport()
    report.collects.append(await collect_ended(ctx, collector=owner, run_id=run_id))
    if wait:  # batches a dead run left running: wait for them too, then collect (no lease to outlive)
        running = [b.id for b in await ctx.batches.open_batches(ctx.client.provider)
                   if b.status in ("in_progress", "canceling")]
        if running:
            await wait_until_ended(ctx, running, backoff=backoff, sleep=sleep)
            report.collects.append(await collect_ended(ctx, collector=owner, run_id=run_id))
    settled = {(r.transcript_id, r.agent_type) for c in report.collects for r in c.results}
    work = [w for w in work if (w.transcript_id, w.agent_type) not in settled]  # a dead run's batch answered
    for _ in range(rounds):
        if not work:
            break
        submitted = await submit(ctx, work, owner=owner, run_id=run_id)
        report.submits.append(submitted)
        if not wait:
            return report
        await wait_until_ended(ctx, submitted.batches, backoff=backoff, sleep=sleep)
        collected = await collect_ended(ctx, collector=owner, run_id=run_id)
        report.collects.append(collected)
        work = collected.released
    report.left = work
    return report
