"""Message Batches (issue 11): the same requests as the interactive path, at half the price, submitted
durably, polled, and collected through the agents' own validation and grounding.

    ctx = batch_context(pool, analyser, provider)          # Anthropic, or the offline extractor
    report = await submit(ctx, work, owner=run_id)         # cache hits come back, the rest is submitted
    await wait_until_ended(ctx, report.batches)            # poll with backoff, no LLM slot held
    collected = await collect_ended(ctx, collector=run_id) # recover, collect, save, cache
"""

from __future__ import annotations

from lib.batches.collect import CollectReport, collect_batch, collect_ended
from lib.batches.context import BatchContext, batch_context
from lib.batches.cycle import CycleReport, run_batches
from lib.batches.poll import Backoff, refresh, wait_until_ended
from lib.batches.recover import RecoverReport, recover
from lib.batches.submit import SubmitReport, WorkItem, submit

__all__ = ["Backoff", "BatchContext", "CollectReport", "CycleReport", "RecoverReport", "SubmitReport", "WorkItem",
           "batch_context", "collect_batch", "collect_ended", "recover", "refresh", "run_batches", "submit",
           "wait_until_ended"]
