"""Collect ended batches: stream each one's results (JSONL, any order, matched by custom_id) and settle
every request once.

Where a request ends:
- succeeded: the reply goes through the agent's own parse, validation and grounding
  (`BaseAgent.process_reply`); one that fails them is re-asked interactively within the agent's bounds.
  The result is saved and cached like an interactive one, marked llm_mode='batch', priced at the batch
  price (plus the interactive price of any re-ask). No valid output within the bounds: a failed row.
- errored with invalid_request_error: a failed row; the same request would fail again.
- errored otherwise (api_error, overloaded_error, ...), expired, canceled, or missing from the results:
  released, i.e. back in the backlog. Released inputs are returned to the caller, which submits them
  in a follow-up batch (`lib.batches.cycle`); a run that stops first leaves them to the next run's claim.
  Nothing of theirs is saved: they cost nothing.
Each settle moves the item out of 'pending' and saves its result in one transaction, so a collector
that dies half way leaves the rest to the next one and no result is saved twice.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from dataclasses import dataclass, field

from lib.batches.client import ResultLine
from lib.batches.context import BatchContext
from lib.batches.poll import refresh
from lib.batches.recover import recover
from lib.batches.submit import WorkItem
from lib.db.batches import ItemState, StoredBatch, StoredItem
from lib.errors import PermanentAgentError, RetryableAgentError
from lib.models import AgentResult

log = logging.getLogger(__name__)
CONCURRENCY = 16  # settles in flight: grounding is CPU, re-asks wait on the interactive provider
COLLECT_LEASE_SECONDS = 900.0


@dataclass
class CollectReport:
    batches: int = 0
    succeeded: int = 0  # valid and grounded as the batch answered
    reasked: int = 0  # settled by an interactive re-ask
    failed: int = 0
    results: list[AgentResult] = field(default_factory=list)  # saved here, for the run's summary
    released: list[WorkItem] = field(default_factory=list)  # to submit again


async def collect_ended(ctx: BatchContext, *, collector: str, run_id: str | None = None,
                        lease_seconds: float = COLLECT_LEASE_SECONDS) -> CollectReport:
    """Recover unrecorded batches, then collect every ended batch of this provider, whoever submitted it."""
    await recover(ctx)
    report = CollectReport()
    for batch in await ctx.batches.open_batches(ctx.client.provider):
        batch = await refresh(ctx, batch)
        if batch.status == "ended" and await ctx.batches.take_for_collect(batch.id, collector, lease_seconds):
            await collect_batch(ctx, batch, report, run_id)
    return report


async def collect_batch(ctx: BatchContext, batch: StoredBatch, report: CollectReport,
                        run_id: str | None = None) -> None:
    assert batch.api_batch_id is not None
    pending = {item.custom_id: item for item in await ctx.batches.items(batch.id, "pending")}
    running: set[asyncio.Task[None]] = set()
    try:
        async with aclosing(ctx.client.results(batch.api_batch_id)) as lines:
            async for line in lines:
                item = pending.pop(line.custom_id, None)
                if item is None:  # settled by an earlier collector, or not ours
                    continue
                if len(running) >= CONCURRENCY:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                running.add(asyncio.create_task(_settle(ctx, item, line, report, run_id)))
        await asyncio.gather(*running)
    except BaseException:
        for task in running:
            task.cancel()
        raise
    for item in pending.values():
        await _release(ctx, item, None, "missing from the batch results", report)
    await ctx.batches.finish_collect(batch.id)
    report.batches += 1
    log.info("batch collected", extra={"batch": batch.id})


async def _settle(ctx: BatchContext, item: StoredItem, line: ResultLine, report: CollectReport,
                  run_id: str | None) -> None:
    transcript = await ctx.transcript(item.transcript_id)
    if transcript is None:
        await ctx.batches.settle(item, "failed", line.outcome, "the transcript was deleted", None)
        return
    prompt = await ctx.prompt(item.prompt_id)
    agent = ctx.analyser.agents[item.agent_type]
    marks = {"run_id": run_id, "llm_mode": "batch", "input_hash": item.input_hash}
    if line.outcome == "succeeded" and line.reply is not None:
        try:
            result = await agent.process_reply(transcript, prompt, line.reply, ctx.analyser.index(transcript))
        except PermanentAgentError as exc:
            failed = agent.failed_result(transcript, prompt, exc).model_copy(update=marks)
            if await ctx.batches.settle(item, "failed", "succeeded", str(exc), failed):
                report.failed += 1
                report.results.append(failed)
            return
        except RetryableAgentError as exc:  # the re-ask could not be made now: try the input again later
            await _release(ctx, item, line, f"re-ask failed: {exc}", report)
            return
        result = result.model_copy(update=marks)
        state: ItemState = "succeeded" if result.attempts == 1 else "reasked"
        if await ctx.batches.settle(item, state, "succeeded", None, result):
            ctx.analyser.cache.put(item.input_hash, result)
            report.results.append(result)
            report.succeeded += state == "succeeded"
            report.reasked += state == "reasked"
        return
    if line.outcome == "errored" and line.error_type == "invalid_request_error":
        error = PermanentAgentError(f"the batch request was invalid: {line.error}", attempts=1)
        failed = agent.failed_result(transcript, prompt, error).model_copy(update=marks)
        if await ctx.batches.settle(item, "failed", "errored", line.error, failed):
            report.failed += 1
            report.results.append(failed)
        return
    await _release(ctx, item, line, line.error or line.outcome, report)


async def _release(ctx: BatchContext, item: StoredItem, line: ResultLine | None, why: str,
                   report: CollectReport) -> None:
    if await ctx.batches.settle(item, "released", line.outcome if line else None, why, None):
        report.released.append(WorkItem(item.transcript_id, item.agent_type, item.prompt_id))
