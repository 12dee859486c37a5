"""Batch mode (ASMIS_LLM_MODE=batch, `--batch-api`) on a runtime: the steps the flow's batch tasks
wrap. Prefect-free. The flow sequences them (flows/batch_run.py):

    collect what ended (any run's) -> claim -> submit (and release the claims: the inputs are pending
    in a batch now, which keeps every other run off them) -> [wait -> collect -> claim what was released]

Claims are held only while submitting: from then on the pending batch items keep other runs away, so a
rerun after a crash collects a dead run's batches at once, without waiting for its leases to expire.
"""

from __future__ import annotations

import weakref
from decimal import Decimal

from pydantic import Field

from lib.batches import BatchContext, WorkItem, batch_context, collect_ended, submit, wait_until_ended
from lib.db.batches import BatchRepository
from lib.db.claims import Claim
from lib.llm import batch_unavailable
from lib.llm.base import Usage
from lib.llm.pricing import cost_usd
from lib.models import AgentResult
from lib.run.pipeline import RunPlan, RunSummary, Tally
from lib.run.runtime import Runtime

MAX_LISTED = 25  # transcript ids a summary lists (for scorecards)
_contexts: weakref.WeakKeyDictionary[Runtime, BatchContext] = weakref.WeakKeyDictionary()


class BatchTally(Tally):
    """What a batch step did: results as any tally counts them, plus the batch side."""

    batches: int = 0  # Message Batches created
    batch_requests: int = 0  # requests sent in them
    batch_results: int = 0  # results collected from them
    released: int = 0  # requests back in the backlog (server error, expired, canceled)
    batch_saved_usd: Decimal = Decimal("0")  # what the collected results would have cost interactively, minus their cost
    batch_ids: list[int] = Field(default_factory=list)
    transcript_ids: list[int] = Field(default_factory=list, description="The first few with a result.")

    def add(self, result: AgentResult) -> None:
        super().add(result)
        if len(self.transcript_ids) < MAX_LISTED and result.transcript_id not in self.transcript_ids:
            self.transcript_ids.append(result.transcript_id)

    def add_batch_result(self, result: AgentResult) -> None:
        self.add(result)
        self.batch_results += 1
        usage = Usage(result.input_tokens, result.output_tokens, result.cache_read_tokens, result.cache_write_tokens)
        self.batch_saved_usd += cost_usd(result.model, usage) - result.cost_usd

    def add_to(self, summary: RunSummary) -> None:
        """Count this step in a run's summary."""
        summary.absorb(self)
        summary.batches += self.batches
        summary.batch_requests += self.batch_requests
        summary.batch_results += self.batch_results
        summary.batch_saved_usd += self.batch_saved_usd
        listed = set(summary.transcript_ids)
        summary.transcript_ids += [t for t in self.transcript_ids if t not in listed][:MAX_LISTED - len(listed)]

    def absorb(self, other: Tally) -> None:
        super().absorb(other)
        if isinstance(other, BatchTally):
            for name in ("batches", "batch_requests", "batch_results", "released", "batch_saved_usd"):
                setattr(self, name, getattr(self, name) + getattr(other, name))
            self.batch_ids += other.batch_ids


def context(rt: Runtime) -> BatchContext:
    """This runtime's batch context: its analyser (cache, agents, capped provider for re-asks) and the
    bare provider's batch client (polling holds no LLM slot)."""
    if (ctx := _contexts.get(rt)) is None:
        ctx = _contexts[rt] = batch_context(rt.pool, rt.analyser, rt.provider.inner)
    return ctx


async def has_open_batches(rt: Runtime) -> bool:
    """Cheap: one query, no provider made (a run with nothing to do never loads the SDK). With a provider
    that has no Message Batches, none can be collected: False."""
    if batch_unavailable(rt.settings):
        return False
    return bool(await BatchRepository(rt.pool).open_batches())


async def collect(rt: Runtime, run_id: str) -> BatchTally:
    """Collect every ended batch (whichever run submitted it), after recovering unrecorded ones."""
    tally = BatchTally()
    if not await has_open_batches(rt):
        return tally
    report = await collect_ended(context(rt), collector=run_id, run_id=run_id)
    for result in report.results:
        tally.add_batch_result(result)
    tally.released = len(report.released)
    return tally


async def submit_claims(rt: Runtime, plan: RunPlan, claims: list[Claim]) -> BatchTally:
    """Submit the claimed (transcript, agent) pairs, save what the cache answered, release the claims."""
    work = [WorkItem(c.transcript_id, agent, plan.prompts[agent]) for c in claims for agent in c.agents
            if agent in plan.prompts]
    report = await submit(context(rt), work, owner=plan.owner, run_id=plan.owner)
    await rt.results.upsert_many(report.cached)
    await rt.claims.release(plan.owner, [c.transcript_id for c in claims])
    tally = BatchTally(batches=len(report.batches), batch_requests=report.requests, batch_ids=report.batches)
    for result in report.cached:
        tally.add(result)
    return tally


async def wait(rt: Runtime, batch_ids: list[int]) -> int:
    """Poll until these batches, and any other still running (a dead run's), end (bounded by their
    expiry); how many have ended."""
    running = [b.id for b in await BatchRepository(rt.pool).open_batches() if b.status in ("in_progress", "canceling")]
    ids = list(dict.fromkeys([*batch_ids, *running]))
    if not ids:
        return 0
    ended = await wait_until_ended(context(rt), ids)
    return sum(b.status == "ended" for b in ended)
