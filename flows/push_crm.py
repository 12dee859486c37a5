"""push-crm: write the roll-ups of the deals that changed to ASMIS_CRM, never over a person's value."""

from __future__ import annotations

from prefect import flow

from lib.run.runtime import runtime_in_use
from tasks.crm import publish_crm_push, push_crm_deals


@flow(name="push-crm", log_prints=False, persist_result=False)
async def push_crm(deal_ids: list[str] | None = None, dry_run: bool = False) -> dict[str, int]:
    """Push deal roll-ups to the CRM; the artifact `crm-push` lists the writes and conflicts.

    Args:
        deal_ids: Only these deals (empty: every deal whose roll-up changed since the last push).
        dry_run: Read the CRM and decide, but write nothing.
    """
    async with runtime_in_use():  # the pool the tasks share, closed when the flow ends
        outcome = await push_crm_deals(deal_ids, dry_run)
        await publish_crm_push(outcome)
    return outcome.counts
