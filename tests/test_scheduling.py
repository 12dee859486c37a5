"""lib/run/scheduling.py on its own, with plain coroutines standing in for claims and batch tasks."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from lib.db.claims import Claim
from lib.models import AgentType
from lib.run.pipeline import RunSummary, Tally
from lib.run.scheduling import AgentBatch, Scheduler, Work

AGENTS: list[AgentType] = ["meddpic", "stakeholder"]


class Backlog:
    """Transcripts 1..n to claim in order, batches that take a random time, and a log of it all."""

    def __init__(self, n: int, *, seed: int = 0, seconds: tuple[float, float] = (0.0, 0.01)) -> None:
        self.ids = list(range(1, n + 1))
        self.rng = random.Random(seed)
        self.seconds = seconds
        self.claim_sizes: list[int] = []
        self.started: list[AgentBatch] = []
        self.finished: list[AgentBatch] = []
        self.flushes: list[tuple[list[int], list[int]]] = []
        self.released_on_claim: list[list[int]] = []
        self.in_flight = self.max_in_flight = 0

    async def claim(self, limit: int, after: Claim | None, release: list[int]) -> list[Claim]:
        self.released_on_claim.append(release)
        start = 0 if after is None else self.ids.index(after.transcript_id) + 1
        picked = self.ids[start:start + limit]
        self.claim_sizes.append(len(picked))
        base = datetime(2025, 1, 1, tzinfo=UTC)
        return [Claim(t, base + timedelta(seconds=t), list(AGENTS)) for t in picked]

    async def run(self, batch: AgentBatch) -> Tally:
        self.started.append(batch)
        self.in_flight += len(batch.transcript_ids)
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(self.rng.uniform(*self.seconds))
        self.in_flight -= len(batch.transcript_ids)
        self.finished.append(batch)
        return Tally(completed=len(batch.transcript_ids))

    async def finish(self, done: list[int], in_flight: list[int]) -> None:
        self.flushes.append((done, in_flight))

    def work(self) -> Work:
        return Work(claim=self.claim, run=self.run, finish=self.finish)


async def test_every_transcript_gets_one_batch_per_agent_and_is_released_once() -> None:
    backlog = Backlog(50, seconds=(0.0, 0.02))
    summary = RunSummary(run_id="t")
    await Scheduler(backlog.work(), batch_size=4, target_items=16).run(summary)
    assert summary.claimed == 50 and summary.completed == 100
    for agent in AGENTS:
        batches = [b.transcript_ids for b in backlog.started if b.agent_type == agent]
        assert sorted(t for b in batches for t in b) == backlog.ids and max(map(len, batches)) == 4
    released = [t for r in backlog.released_on_claim for t in r] + [t for done, _ in backlog.flushes for t in done]
    assert sorted(released) == backlog.ids
    assert backlog.flushes[-1][1] == []  # nothing left in flight at the end
    assert summary.transcript_ids == released[:25]


async def test_batches_finishing_out_of_order_keep_the_window_filled_but_bounded() -> None:
    backlog = Backlog(60, seed=3, seconds=(0.0, 0.05))
    await Scheduler(backlog.work(), batch_size=5, target_items=20).run(RunSummary(run_id="t"))
    assert [b.transcript_ids for b in backlog.finished] != [b.transcript_ids for b in backlog.started]
    # A claim adds two batches per agent: at most target + one claim's items are ever in flight.
    assert 20 <= backlog.max_in_flight <= 20 + 2 * 2 * 5


async def test_limit_caps_what_is_claimed() -> None:
    backlog = Backlog(30)
    summary = RunSummary(run_id="t")
    await Scheduler(backlog.work(), batch_size=4, target_items=100, limit=10).run(summary)
    assert summary.claimed == 10 and backlog.claim_sizes == [8, 2]


async def test_a_claim_covers_several_batches_and_releases_what_finished_since_the_last() -> None:
    backlog = Backlog(40)
    await Scheduler(backlog.work(), batch_size=2, target_items=4, claim_batches=3).run(RunSummary(run_id="t"))
    assert backlog.claim_sizes[:-1] == [6] * 6 + [4] and backlog.claim_sizes[-1] == 0
    assert backlog.released_on_claim[0] == [] and all(backlog.released_on_claim[1:])
    assert len(backlog.flushes) == 1  # the rest, released once at the end


async def test_leases_of_work_in_flight_are_renewed_on_time_while_a_batch_is_slow() -> None:
    backlog = Backlog(2, seconds=(0.3, 0.3))
    await Scheduler(backlog.work(), batch_size=2, target_items=4, renew_seconds=0.05).run(RunSummary(run_id="t"))
    renewals = [in_flight for done, in_flight in backlog.flushes if not done]
    assert len(renewals) >= 3 and all(r == [1, 2] for r in renewals)


async def test_a_batch_that_raises_stops_the_run_and_cancels_the_others() -> None:
    backlog = Backlog(8, seconds=(0.2, 0.2))
    cancelled: list[AgentBatch] = []

    async def run(batch: AgentBatch) -> Tally:
        if batch.transcript_ids[0] == 1 and batch.agent_type == "meddpic":
            raise RuntimeError("database gone")
        try:
            return await backlog.run(batch)
        except asyncio.CancelledError:
            cancelled.append(batch)
            raise

    work = Work(claim=backlog.claim, run=run, finish=backlog.finish)
    with pytest.raises(RuntimeError, match="database gone"):
        await Scheduler(work, batch_size=2, target_items=8).run(RunSummary(run_id="t"))
    assert cancelled and not backlog.finished
