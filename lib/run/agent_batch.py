"""One agent over a batch of transcripts: the unit of work of one Prefect task (DESIGN.md).

A Prefect task run costs more CPU than an agent call's own work, so a task covers up to
ASMIS_TASK_BATCH transcripts. Its items run concurrently under the process LLM cap, each through the
result cache. An attempt saves the items that ended (completed, or failed for good) in one upsert and
raises BatchIncomplete while some failed for a passing reason and the task has attempts left; the next
attempt analyses only those. On the last attempt they get `failed` rows instead, so nothing disappears.
"""

from __future__ import annotations

import asyncio

from pydantic import Field

from lib.db.prompts import prompt_for_run
from lib.errors import BatchIncomplete, is_retryable
from lib.models import AgentResult, AgentType, Prompt, Transcript
from lib.run.pipeline import Tally
from lib.run.runtime import Runtime


class BatchOutcome(Tally):
    """What one batch task did: small enough to hand back to Prefect."""

    agent_type: AgentType
    transcript_ids: list[int] = Field(default_factory=list, description="Items that ended, with a saved row.")


class BatchLedger:
    """What earlier attempts of one batch task ended and saved, kept in process between attempts."""

    def __init__(self, agent_type: AgentType) -> None:
        self.outcome = BatchOutcome(agent_type=agent_type)
        self.done: set[int] = set()
        self.unsaved: list[AgentResult] = []  # a save that failed is retried before anything else
        self.retried: dict[int, tuple[int, list[str]]] = {}  # item -> LLM attempts and errors so far

    def retry_later(self, transcript_id: int, error: BaseException) -> None:
        attempts, errors = self.retried.get(transcript_id, (0, []))
        self.retried[transcript_id] = (attempts + (getattr(error, "attempts", 0) or 1),
                                       errors + list(getattr(error, "errors", None) or [str(error)])[-3:])

    def with_history(self, result: AgentResult) -> AgentResult:
        """The result with what earlier attempts of the task tried for the item."""
        attempts, errors = self.retried.pop(result.transcript_id, (0, []))
        if not attempts:
            return result
        return result.model_copy(update={"attempts": result.attempts + attempts,
                                         "errors": (errors + result.errors)[-10:]})


async def analyse_batch(rt: Runtime, transcript_ids: list[int], agent_type: AgentType, prompt_id: int,
                        run_id: str, *, attempt_key: str, final: bool) -> BatchOutcome:
    """Analyse what is left of the batch; `attempt_key` is the same for every attempt of one task run."""
    ledger = rt.batch_ledgers.setdefault(attempt_key, BatchLedger(agent_type))
    await _save(rt, ledger)  # what an attempt whose save failed left
    todo = [t for t in transcript_ids if t not in ledger.done]
    prompt = await prompt_by_id(rt, prompt_id)
    transcripts = await transcripts_by_id(rt, todo)
    ready = {t: found for t, found in transcripts.items() if found is not None}
    ledger.done.update(set(todo) - set(ready))  # deleted since it was claimed: nothing to analyse or record
    replies = await asyncio.gather(*(rt.analyser.analyse(agent_type, t, prompt, run_id) for t in ready.values()),
                                   return_exceptions=True)
    rt.cache.flush()  # the batch's fresh results, to disk in one transaction
    transient: list[BaseException] = []
    for transcript, reply in zip(ready.values(), replies, strict=True):
        if isinstance(reply, AgentResult):
            ledger.unsaved.append(ledger.with_history(reply))
        elif not isinstance(reply, Exception):
            raise reply  # cancellation and the like end the attempt
        elif final or not is_retryable(reply):
            ledger.unsaved.append(ledger.with_history(rt.analyser.failed(agent_type, transcript, prompt, reply, run_id)))
        else:
            ledger.retry_later(transcript.id, reply)
            transient.append(reply)
    await _save(rt, ledger)
    if transient:
        raise BatchIncomplete(f"{agent_type}: {len(transient)} of {len(transcript_ids)} items failed for a passing "
                              f"reason ({type(transient[0]).__name__}); the rest are saved",
                              errors=[str(e) for e in transient[:5]])
    del rt.batch_ledgers[attempt_key]
    return ledger.outcome


async def _save(rt: Runtime, ledger: BatchLedger) -> None:
    await rt.results.upsert_many(ledger.unsaved)
    for result in ledger.unsaved:
        ledger.outcome.add(result)
        ledger.outcome.transcript_ids.append(result.transcript_id)
        ledger.done.add(result.transcript_id)
    ledger.unsaved.clear()


async def record_batch_failure(rt: Runtime, transcript_ids: list[int], agent_type: AgentType, prompt_id: int,
                               error: BaseException, run_id: str, *, attempt_key: str) -> BatchOutcome:
    """A batch task that ended in an error of its own (a timeout, say): `failed` rows for the items it
    had not saved. A completed row is never overwritten (ResultRepository.upsert_many)."""
    ledger = rt.batch_ledgers.pop(attempt_key, None) or BatchLedger(agent_type)
    left = [t for t in transcript_ids if t not in ledger.done and t not in {r.transcript_id for r in ledger.unsaved}]
    prompt = await prompt_by_id(rt, prompt_id)
    transcripts = await transcripts_by_id(rt, left)
    ledger.unsaved.extend(ledger.with_history(rt.analyser.failed(agent_type, t, prompt, error, run_id))
                          for t in transcripts.values() if t is not None)
    await _save(rt, ledger)
    return ledger.outcome


async def prompt_by_id(rt: Runtime, prompt_id: int) -> Prompt:
    return await prompt_for_run(rt.prompts, rt.prompt_cache, prompt_id)


async def transcripts_by_id(rt: Runtime, ids: list[int]) -> dict[int, Transcript | None]:
    """The batch's transcripts in one query. Both agents' tasks of a batch start together: the second
    finds the first one's query in flight and waits for it (content never changes once stored)."""
    futures: dict[int, asyncio.Future[dict[int, Transcript]]] = {}
    fetch: asyncio.Future[dict[int, Transcript]]
    missing = []
    for tid in ids:
        if (known := rt.transcript_cache.get(tid)) is None:
            missing.append(tid)
        else:
            futures[tid] = known
    if missing:
        fetch = asyncio.ensure_future(_fetch(rt, missing))
        for tid in missing:
            rt.transcript_cache[tid] = futures[tid] = fetch
    found: dict[int, Transcript | None] = {}
    for fetch in {id(f): f for f in futures.values()}.values():
        try:
            # shield: one waiter being cancelled must not cancel the query the other waits for.
            rows = await asyncio.shield(fetch)
        except BaseException:
            if fetch.done():  # a failed query is retried, not remembered
                for key in [k for k, v in rt.transcript_cache.items() if v is fetch]:
                    del rt.transcript_cache[key]
            raise
        found.update((tid, rows.get(tid)) for tid, f in futures.items() if f is fetch)
    return found


async def _fetch(rt: Runtime, ids: list[int]) -> dict[int, Transcript]:
    return {t.id: t for t in await rt.transcripts.get_many(ids)}
