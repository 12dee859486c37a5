"""Keep the LLM cap busy with agent batches: claim transcripts as batches drain, start one batch per
agent type for each `batch_size` of them, and hand finished transcripts back.

Every call out (a claim, a release) is a Prefect task run in the flow, and a task run costs more than the
round trip it wraps, so they are few: a claim covers `claim_batches` batches and releases what finished
since the last one in the same call; leases are renewed on a timer; the rest is released at the end.

Prefect-free: the flow passes in what claiming, running a batch and finishing transcripts mean, so the
scheduling is tested with plain coroutines (tests/test_scheduling.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lib.db.claims import Claim
from lib.models import AgentType
from lib.run.pipeline import RunSummary, Tally

MAX_LISTED = 25  # transcript ids a summary lists (for scorecards)


@dataclass(frozen=True)
class AgentBatch:
    agent_type: AgentType
    transcript_ids: list[int]


@dataclass
class Work:
    """What a scheduler does with the outside world."""

    # (how many, after, finished since the last call) -> claims; releases the finished ones first
    claim: Callable[[int, Claim | None, list[int]], Awaitable[list[Claim]]]
    run: Callable[[AgentBatch], Awaitable[Tally]]  # never raises for a failed batch: it records it
    finish: Callable[[list[int], list[int]], Awaitable[None]]  # (finished ids, ids still in flight)
    progress: Callable[[RunSummary], None] = lambda summary: None


@dataclass
class Scheduler:
    work: Work
    batch_size: int  # transcripts per agent batch
    target_items: int  # (transcript, agent) items to keep in flight
    limit: int | None = None  # transcripts to claim at most
    claim_batches: int = 2  # batches per claim
    renew_seconds: float = 60.0  # how often the leases of work in flight are renewed
    _running: dict[asyncio.Task[Tally], AgentBatch] = field(default_factory=dict)
    _finished: asyncio.Queue[asyncio.Task[Tally]] = field(default_factory=asyncio.Queue)
    _waiting: dict[int, int] = field(default_factory=dict)  # transcript -> batches still to finish
    _done: list[int] = field(default_factory=list)  # finished, not yet released

    async def run(self, summary: RunSummary) -> None:
        try:
            await self._loop(summary)
        finally:  # an error ends the run: no batch keeps running behind it
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _loop(self, summary: RunSummary) -> None:
        after: Claim | None = None
        exhausted, renewed = False, time.monotonic()
        while True:
            while not exhausted and self._items_in_flight() < self.target_items:
                claims = await self._claim(summary, after)
                if not claims:
                    exhausted = True
                    break
                after = claims[-1]
                self._start(claims)
            if not self._running:
                break
            await self._collect(summary)
            if time.monotonic() - renewed >= self.renew_seconds:
                await self._finish()
                renewed = time.monotonic()
        await self._finish()

    def _items_in_flight(self) -> int:
        return sum(len(b.transcript_ids) for b in self._running.values())

    async def _claim(self, summary: RunSummary, after: Claim | None) -> list[Claim]:
        room = self.batch_size * self.claim_batches
        if self.limit is not None:
            room = min(room, self.limit - summary.claimed)
        if room <= 0:
            return []
        done, self._done = self._done, []
        claims = await self.work.claim(room, after, done)
        summary.claimed += len(claims)
        return claims

    def _start(self, claims: list[Claim]) -> None:
        for claim in claims:
            self._waiting[claim.transcript_id] = len(claim.agents)
        for first in range(0, len(claims), self.batch_size):
            group = claims[first:first + self.batch_size]
            for agent_type in sorted({a for c in group for a in c.agents}):
                batch = AgentBatch(agent_type, [c.transcript_id for c in group if agent_type in c.agents])
                task = asyncio.ensure_future(self.work.run(batch))
                task.add_done_callback(self._finished.put_nowait)
                self._running[task] = batch

    async def _collect(self, summary: RunSummary) -> None:
        """Wait for a batch to finish (or for the renewal interval), then take all that did."""
        try:
            done = [await asyncio.wait_for(self._finished.get(), self.renew_seconds)]
        except TimeoutError:
            return
        while not self._finished.empty():
            done.append(self._finished.get_nowait())
        for task in done:
            batch = self._running.pop(task)
            summary.absorb(task.result())
            for tid in batch.transcript_ids:
                self._waiting[tid] -= 1
                if not self._waiting[tid]:
                    del self._waiting[tid]
                    self._done.append(tid)
                    if len(summary.transcript_ids) < MAX_LISTED:
                        summary.transcript_ids.append(tid)
        self.work.progress(summary)

    async def _finish(self) -> None:
        if not self._done and not self._waiting:
            return
        done, self._done = self._done, []
        await self.work.finish(done, list(self._waiting))
