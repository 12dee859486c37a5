"""process_transcripts: claim work as it drains, run each agent type over each batch of transcripts in
parallel (one Prefect task per batch and agent type), release what is done."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import cast

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import State

from flows.batch_run import run_in_batch_mode
from lib.db.claims import Claim
from lib.llm import batch_unavailable, provider_kind
from lib.models import AgentType, LLMMode
from lib.run.agent_batch import BatchOutcome
from lib.run.batch_mode import has_open_batches
from lib.run.pipeline import RunParams, RunPlan, RunSummary
from lib.run.progress import publish_progress
from lib.run.runtime import runtime_in_use
from lib.run.scheduling import AgentBatch, Scheduler, Work
from tasks.agents import record_batch_failure, run_agent_batch
from tasks.batches import collect_message_batches
from tasks.claims import claim_transcripts, extend_claims, plan_run, release_claims
from tasks.results import finish_run


@flow(name="process-transcripts", log_prints=False, persist_result=False)
async def process_transcripts(
    limit: int | None = None,
    agents: list[AgentType] = ["meddpic", "stakeholder"],  # noqa: B006 - shown as the default in the UI's form; never mutated
    transcript_ids: list[int] | None = None,
    force: bool = False,
    reprocess_stale: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    task_batch: int | None = None,
    llm_mode: LLMMode | None = None,
    wait: bool = True,
) -> RunSummary:
    """Run the agents on every transcript that still needs them, within these limits.

    Args:
        limit: Process at most this many transcripts (empty: all of them).
        agents: Agent types to run: meddpic, stakeholder.
        transcript_ids: Only these transcripts (empty: any).
        force: Run again even where a completed result exists (served from the cache where it can be).
        reprocess_stale: Run again where the result was made with an older prompt, another model or schema.
        since: Only calls that occurred at or after this time.
        until: Only calls that occurred before this time.
        task_batch: Transcripts per agent task (empty: ASMIS_TASK_BATCH).
        llm_mode: interactive (the Messages API) or batch (the Message Batches API, half price; empty:
            ASMIS_LLM_MODE).
        wait: Batch mode: wait for the batches to end and collect them (false: submit and finish; a
            later run collects them).
    """
    params = RunParams(limit=limit, agents=agents, transcript_ids=transcript_ids, force=force,
                       reprocess_stale=reprocess_stale, since=since, until=until, task_batch=task_batch)
    started = time.perf_counter()
    owner = str(flow_run.get_id() or uuid.uuid4())
    summary = RunSummary(run_id=owner)
    async with runtime_in_use() as rt:
        plan = await plan_run(params, owner)  # ended runs' leases are freed first, in the same task run
        # What ended in any run's Message Batches is saved before new work is claimed (one query when
        # there are none, so an interactive run pays no task run for it).
        if await has_open_batches(rt):
            (await collect_message_batches(owner)).add_to(summary)
        if (llm_mode or rt.settings.llm_mode) == "batch" and batch_unavailable(rt.settings):
            get_run_logger().warning("batch mode is unavailable with provider %s (Message Batches are an "
                                     "Anthropic API feature): running interactively", provider_kind(rt.settings))
        elif (llm_mode or rt.settings.llm_mode) == "batch":
            await run_in_batch_mode(plan, summary, wait=wait)
            return await _finish(summary, started)
        calls_before = rt.provider.stats.calls
        batch = plan.params.task_batch or 1
        scheduler = Scheduler(_work(plan), batch_size=batch, limit=params.limit,
                              # enough items that the cap stays full while batches finish unevenly
                              target_items=2 * rt.settings.llm_concurrency + 2 * batch,
                              renew_seconds=min(60.0, rt.settings.claim_lease_seconds / 3))
        await scheduler.run(summary)
        summary.llm_calls = rt.provider.stats.calls - calls_before
        return await _finish(summary, started)


async def _finish(summary: RunSummary, started: float) -> RunSummary:
    summary.seconds = round(time.perf_counter() - started, 3)
    get_run_logger().info("run finished", extra=summary.model_dump(exclude={"transcript_ids"}, mode="json"))
    # deals refreshed, roll-ups, summary and scorecards published: one task run
    summary.artifacts = await finish_run(summary)
    return summary


def _work(plan: RunPlan) -> Work:
    async def claim(limit: int, after: Claim | None, release: list[int]) -> list[Claim]:
        claims = await claim_transcripts(plan, limit, after, release)
        if claims:
            get_run_logger().info("claimed %d transcript%s", len(claims), "" if len(claims) == 1 else "s")
        return claims

    async def run(batch: AgentBatch) -> BatchOutcome:
        prompt_id = plan.prompts[batch.agent_type]
        call = run_agent_batch(batch.transcript_ids, batch.agent_type, prompt_id, plan.owner, return_state=True)
        state = await cast(Awaitable[State[BatchOutcome]], call)
        if state.is_completed():
            return await state.aresult()
        error = await state.aresult(raise_on_failure=False)
        if not isinstance(error, BaseException):
            error = RuntimeError(state.message or "the agent batch task failed")
        return await record_batch_failure(batch.transcript_ids, batch.agent_type, prompt_id, error, plan.owner,
                                          str(state.state_details.task_run_id))

    async def finish(done: list[int], in_flight: list[int]) -> None:
        if done:
            await release_claims(plan.owner, done)
        if in_flight:
            await extend_claims(plan.owner, in_flight)

    return Work(claim=claim, run=run, finish=finish, progress=publish_progress)
