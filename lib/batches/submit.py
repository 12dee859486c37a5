"""Submit claimed work as Message Batches: the cache answers what it can, the rest is recorded as an
intent and then created at the API, split within its limits.

Order of writes, for a crash at any point:
1. intent: the batch row (status 'submitting', a fresh tag) and its items, one transaction. The
   partial unique index skips inputs already pending in another batch, so no input is sent twice.
2. the create call (no SDK retries: a retried POST would make a second batch).
3. the API's batch id recorded on the row ('in_progress').
A crash between 2 and 3 leaves an intent that recovery matches to the created batch by its tag.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lib.batches.client import BatchRequest
from lib.batches.context import BatchContext
from lib.batches.ids import custom_id, new_tag
from lib.batches.split import MAX_BYTES, MAX_REQUESTS, split
from lib.db.batches import NewItem
from lib.errors import MessageBatchError
from lib.models import AgentResult, AgentType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkItem:
    """One (transcript, agent) to analyse with this prompt."""

    transcript_id: int
    agent_type: AgentType
    prompt_id: int


@dataclass
class SubmitReport:
    cached: list[AgentResult] = field(default_factory=list)  # answered by the cache: the caller saves them
    batches: list[int] = field(default_factory=list)  # our ids of the batches created
    requests: int = 0
    skipped: int = 0  # already pending in another batch
    missing: int = 0  # the transcript is gone
    uncertain: list[int] = field(default_factory=list)  # created or not: recovery decides
    refused: list[str] = field(default_factory=list)  # create calls the API refused (inputs freed, then raised)


@dataclass(frozen=True)
class _Planned:
    item: NewItem
    request: BatchRequest

    @property
    def size(self) -> int:
        return self.request.size


async def submit(ctx: BatchContext, work: list[WorkItem], *, owner: str | None = None, run_id: str | None = None,
                 max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES) -> SubmitReport:
    report = SubmitReport()
    tag = new_tag()
    planned: list[_Planned] = []
    for unit in work:
        transcript = await ctx.transcript(unit.transcript_id)
        if transcript is None:
            report.missing += 1
            continue
        prompt = await ctx.prompt(unit.prompt_id)
        agent = ctx.analyser.agents[unit.agent_type]
        key = agent.input_hash(transcript, prompt)
        if (hit := ctx.analyser.cache.get(key)) is not None:
            result, tier = hit
            report.cached.append(result.model_copy(update={
                "transcript_id": transcript.id, "prompt_id": prompt.id, "prompt_version": prompt.version,
                "cache_tier": tier, "run_id": run_id}))
            continue
        item = NewItem(custom_id(tag, transcript.id, unit.agent_type, key), transcript.id, unit.agent_type,
                       prompt.id, key)
        planned.append(_Planned(item, ctx.client.prepare(item.custom_id, agent.request(transcript, prompt))))
    for i, chunk in enumerate(split(planned, max_requests=max_requests, max_bytes=max_bytes)):
        await _submit_chunk(ctx, tag if i == 0 else new_tag(), chunk, owner, report)
    return report


async def _submit_chunk(ctx: BatchContext, tag: str, chunk: list[_Planned], owner: str | None,
                        report: SubmitReport) -> None:
    if tag != _tag_of(chunk[0]):  # every custom_id of a batch carries that batch's tag
        chunk = [_retagged(ctx, p, tag) for p in chunk]
    recorded = await ctx.batches.record_intent(tag, ctx.client.provider, ctx.model, owner, [p.item for p in chunk])
    if recorded is None:
        report.skipped += len(chunk)
        return
    batch_id, taken = recorded
    report.skipped += len(chunk) - len(taken)
    ids = {item.custom_id for item in taken}
    requests = [p.request for p in chunk if p.item.custom_id in ids]
    try:
        info = await ctx.client.create(tag, requests)
    except MessageBatchError as exc:
        if exc.uncertain:
            report.uncertain.append(batch_id)
            log.warning("batch create unanswered; recovery will look for it", extra={"batch": batch_id})
            return
        await ctx.batches.abandon(batch_id, str(exc))  # the API answered: no batch, the inputs are free again
        report.refused.append(str(exc))
        raise  # retryable (429, 5xx) or not (400, 401, ...): the caller's retry policy decides
    await ctx.batches.mark_submitted(batch_id, info.id, info.status, info.created_at, info.expires_at)
    await ctx.batches.update_status(batch_id, info.status, info.counts, info.ended_at)
    report.batches.append(batch_id)
    report.requests += len(requests)
    log.info("batch submitted", extra={"batch": batch_id, "requests": len(requests)})


def _tag_of(planned: _Planned) -> str:
    return planned.item.custom_id.split("-", 1)[0]


def _retagged(ctx: BatchContext, planned: _Planned, tag: str) -> _Planned:
    old = planned.item
    item = NewItem(custom_id(tag, old.transcript_id, old.agent_type, old.input_hash), old.transcript_id,
                   old.agent_type, old.prompt_id, old.input_hash)
    return _Planned(item, ctx.client.prepare(item.custom_id, planned.request.request))
