"""Keep the LLM cap busy with agent batches: claim transcripts as batches drain, start one batch per
agent type for each claim, and hand finished transcripts on in groups (release, lease renewal).

Prefect-free: the flow passes in what claiming, running a batch and finishing transcripts mean, so the
scheduling is tested with plain coroutines (tests/test_scheduling.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lib.db.claims import Claim
from lib.models import AgentType
from lib.pipeline import RunSummary, Tally

MAX_LISTED = 25  # transcript ids a summary lists (for scorecards)


@dataclass(frozen=True)
class AgentBatch:
    agent_type: AgentType
    transcript_ids: list[int]


@dataclass
class Work:
    """What a scheduler does with the outside world."""

    claim: Callable[[int, Claim | None], Awaitable[list[Claim]]]  # (how many, after) -> claims
    run: Callable[[AgentBatch], Awaitable[Tally]]  # never raises for a failed batch: it records it
    finish: Callable[[list[int], list[int]], Awaitable[None]]  # (finished ids, ids still in flight)
    progress: Callable[[RunSummary], None] = lambda summary: None


@dataclass
class Scheduler:
    work: Work
    batch_size: int  # transcripts per claim, and so per agent batch
    target_items: int  # (transcript, agent) items to keep in flight
    limit: int | None = None  # transcripts to claim at most
    flush_items: int = 50
    flush_seconds: float = 5.0
    _running: dict[asyncio.Task[Tally], AgentBatch] = field(default_factory=dict)
    _finished: asyncio.Queue[asyncio.Task[Tally]] = field(default_factory=asyncio.Queue)
    _waiting: dict[int, int] = field(default_factory=dict)  # transcript -> batches still to finish
    _done: list[int] = field(default_factory=list)

    async def run(self, summary: RunSummary) -> None:
        try:
            await self._loop(summary)
        finally:  # an error ends the run: no batch keeps running behind it
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _loop(self, summary: RunSummary) -> None:
        after: Claim | None = None
        exhausted, last_flush = False, time.monotonic()
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
            if len(self._done) >= self.flush_items or time.monotonic() - last_flush >= self.flush_seconds:
                await self._flush(summary)
                last_flush = time.monotonic()
        await self._flush(summary)

    def _items_in_flight(self) -> int:
        return sum(len(b.transcript_ids) for b in self._running.values())

    async def _claim(self, summary: RunSummary, after: Claim | None) -> list[Claim]:
        room = self.batch_size if self.limit is None else min(self.batch_size, self.limit - summary.claimed)
        claims = await self.work.claim(room, after) if room > 0 else []
        summary.claimed += len(claims)
        return claims

    def _start(self, claims: list[Claim]) -> None:
        agents = sorted({a for c in claims for a in c.agents})
        for agent_type in agents:
            batch = AgentBatch(agent_type, [c.transcript_id for c in claims if agent_type in c.agents])
            task = asyncio.ensure_future(self.work.run(batch))
            task.add_done_callback(self._finished.put_nowait)
            self._running[task] = batch
        for claim in claims:
            self._waiting[claim.transcript_id] = len(claim.agents)

    async def _collect(self, summary: RunSummary) -> None:
        """Wait for a batch to finish (or for the flush interval, to renew leases), then take all that did."""
        try:
            done = [await asyncio.wait_for(self._finished.get(), self.flush_seconds)]
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
        self.work.progress(summary)

    async def _flush(self, summary: RunSummary) -> None:
        if not self._done and not self._waiting:
            return
        done, self._done = self._done, []
        await self.work.finish(done, list(self._waiting))
        room = MAX_LISTED - len(summary.transcript_ids)
        summary.transcript_ids.extend(done[:max(room, 0)])
