"""Batch mode of process_transcripts: claim everything the run covers, send it as Message Batches,
and (unless --no-wait) poll and collect, sending what came back released in follow-up batches.
Only sequences tasks; the steps are lib/run/batch_mode.py."""

from __future__ import annotations

from prefect import get_run_logger

from lib.db.claims import Claim
from lib.run.batch_mode import BatchTally
from lib.run.pipeline import RunPlan, RunSummary
from lib.run.progress import publish_progress
from tasks.batches import collect_message_batches, submit_message_batches, wait_for_message_batches
from tasks.claims import claim_transcripts

CLAIM_CHUNK = 1000  # transcripts per claim and submit task: up to 2,000 requests in one Message Batch
FOLLOW_UP_ROUNDS = 3  # submit, wait, collect; what a round released goes in the next round's batch


def _count(summary: RunSummary, tally: BatchTally) -> None:
    tally.add_to(summary)
    publish_progress(summary)


async def run_in_batch_mode(plan: RunPlan, summary: RunSummary, *, wait: bool) -> None:
    for _ in range(FOLLOW_UP_ROUNDS):
        batch_ids = await _submit_backlog(plan, summary)
        if not wait:
            get_run_logger().info("submitted %d Message Batches; a later run collects them", len(batch_ids))
            return
        if not await wait_for_message_batches(batch_ids):
            return
        collected = await collect_message_batches(plan.owner)
        _count(summary, collected)
        if not collected.released:
            return


async def _submit_backlog(plan: RunPlan, summary: RunSummary) -> list[int]:
    batch_ids: list[int] = []
    after: Claim | None = None
    left = plan.params.limit
    while left is None or left > 0:
        claims = await claim_transcripts(plan, CLAIM_CHUNK if left is None else min(CLAIM_CHUNK, left), after)
        if not claims:
            break
        summary.claimed += len(claims)
        submitted = await submit_message_batches(plan, claims)
        _count(summary, submitted)
        batch_ids += submitted.batch_ids
        after = claims[-1]
        left = None if left is None else left - len(claims)
    return batch_ids
