"""Find the batches an intent may have created without our recording it (a crash, or a create call
whose answer was lost).

An intent older than the create call's timeout has either been recorded by its run or never will be.
For each such intent, list the account's batches created in [intent - skew, intent + timeout + skew]
that no row of ours names, and read the first result line of each that has ended: custom_ids carry
the intent's tag, so the one whose ids do is its batch, adopted and collected like any other. When no
batch in the window can be it and none is still running, the create made nothing: the intent is
abandoned and its inputs are free for the next submitter. While a candidate is still running, the
intent waits (its inputs stay pending), so nothing is ever submitted twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lib.batches.context import BatchContext

log = logging.getLogger(__name__)

CREATE_TIMEOUT = timedelta(minutes=10)  # the SDK's default read timeout for a non-streaming call
CLOCK_SKEW = timedelta(minutes=5)  # between our database's clock and the API's


@dataclass
class RecoverReport:
    adopted: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)


async def recover(ctx: BatchContext, *, now: datetime | None = None, create_timeout: timedelta = CREATE_TIMEOUT,
                  skew: timedelta = CLOCK_SKEW) -> RecoverReport:
    report = RecoverReport()
    now = now or datetime.now(UTC)
    intents = [b for b in await ctx.batches.open_batches(ctx.client.provider)
               if b.status == "submitting" and b.created_at + create_timeout <= now]
    if not intents:
        return report
    known = await ctx.batches.known_api_ids()
    for intent in intents:
        since, until = intent.created_at - skew, intent.created_at + create_timeout + skew
        found = await ctx.client.find(intent.tag, since, until, known)
        if found is not None:
            await ctx.batches.mark_submitted(intent.id, found.id, found.status, found.created_at, found.expires_at)
            await ctx.batches.update_status(intent.id, found.status, found.counts, found.ended_at)
            known.add(found.id)
            report.adopted.append(intent.id)
            log.info("recovered an unrecorded batch", extra={"batch": intent.id})
        elif now > until and not await ctx.client.undecided(since, until, known):
            await ctx.batches.abandon(intent.id, "the create call made no batch")
            report.abandoned.append(intent.id)
        else:
            report.waiting.append(intent.id)
    return report
