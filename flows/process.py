"""process_transcripts: claim work in a stream, run both agents per transcript in parallel, save results.

Work flows through a window of in-flight agent tasks: new transcripts are claimed as the window drains
and results are saved in batches, so memory stays flat for any backlog and the LLM cap stays busy.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import cast

from prefect import flow, get_run_logger
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.states import State
from prefect.utilities.annotations import quote

from lib.db.claims import Claim
from lib.models import AgentResult, AgentType
from lib.pipeline import RunParams, RunPlan, RunSummary
from lib.progress import publish_progress
from lib.runtime import runtime_in_use
from tasks.agents import record_failure, run_agent
from tasks.claims import claim_transcripts, extend_claims, plan_run, release_claims
from tasks.deals import publish_deal_rollups, refresh_deals
from tasks.results import MAX_SCORECARDS, publish_artifacts, save_results

Job = tuple[int, AgentType]


@dataclass
class Window:
    """Agent tasks in flight, and what each claimed transcript still waits for."""

    plan: RunPlan
    size: int
    running: dict[asyncio.Task[State], Job] = field(default_factory=dict)
    # Finished tasks arrive here: O(1) per completion, where asyncio.wait over the window is O(window).
    finished: asyncio.Queue[asyncio.Task[State]] = field(default_factory=asyncio.Queue)
    waiting: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    queued: list[Job] = field(default_factory=list)
    done_transcripts: list[int] = field(default_factory=list)

    def start(self, claims: list[Claim]) -> None:
        for claim in claims:
            for agent_type in claim.agents:
                self.queued.append((claim.transcript_id, agent_type))
                self.waiting[claim.transcript_id] += 1

    def fill(self) -> None:
        while self.queued and len(self.running) < self.size:
            tid, agent_type = job = self.queued.pop(0)
            coro = run_agent(tid, agent_type, self.plan.prompts[agent_type], self.plan.owner, return_state=True)
            task = asyncio.ensure_future(cast(Awaitable[State], coro))
            task.add_done_callback(self.finished.put_nowait)
            self.running[task] = job

    def finish(self, job: Job) -> None:
        self.waiting[job[0]] -= 1
        if not self.waiting[job[0]]:
            del self.waiting[job[0]]
            self.done_transcripts.append(job[0])


async def _outcome(plan: RunPlan, job: Job, state: State) -> AgentResult | None:
    if state.is_completed():
        return cast(AgentResult, await state.result())
    error = state.data if isinstance(state.data, BaseException) else RuntimeError(state.message or "failed")
    tid, agent_type = job
    return await record_failure(tid, agent_type, plan.prompts[agent_type], error, plan.owner)


async def _drain(window: Window, summary: RunSummary, pending: list[AgentResult]) -> None:
    done = [await window.finished.get()]
    while not window.finished.empty():
        done.append(window.finished.get_nowait())
    for task in done:
        job = window.running.pop(task)
        result = await _outcome(window.plan, job, task.result())
        if result is not None:
            pending.append(result)
            summary.add(result)
        window.finish(job)


async def _flush(window: Window, summary: RunSummary, pending: list[AgentResult]) -> None:
    if pending:
        # quote: Prefect would otherwise walk every field of every result looking for futures.
        await save_results(quote(list(pending)))  # type: ignore[call-overload]
        pending.clear()
    if window.done_transcripts:
        await release_claims(window.plan.owner, list(window.done_transcripts))
        room = MAX_SCORECARDS - len(summary.transcript_ids)
        summary.transcript_ids.extend(window.done_transcripts[:max(room, 0)])
        window.done_transcripts.clear()
    if window.waiting:
        await extend_claims(window.plan.owner, list(window.waiting))
    publish_progress(summary)
    _forget_task_results()


def _forget_task_results() -> None:
    """Prefect keeps, for the rest of the flow run, links from every task's result (and each of its
    fields) to the task's state, to draw an edge when a result is passed to another task, and each task's
    asset lineage. Our results are never passed on (tasks get identifiers and quoted batches) and we have
    no assets, and over a large backlog both maps grow without bound (~13 entries per agent task, 26,797
    after 1000 transcripts): drop them once the results are saved."""
    if (context := FlowRunContext.get()) is not None:
        context.run_results.clear()
        context.task_run_assets.clear()


@flow(name="process-transcripts", log_prints=False, persist_result=False)
async def process_transcripts(params: RunParams | None = None) -> RunSummary:
    """Run the agents on every transcript that still needs them (within the parameters' limits)."""
    params = params or RunParams()
    logger = get_run_logger()
    started = time.perf_counter()
    owner = str(flow_run.get_id() or uuid.uuid4())
    summary = RunSummary(run_id=owner)
    async with runtime_in_use() as rt:
        plan = await plan_run(params, owner)
        calls_before = rt.provider.stats.calls
        window = Window(plan, size=max(2, rt.settings.llm_concurrency * 2))
        await _stream(window, summary, params)
        summary.llm_calls = rt.provider.stats.calls - calls_before
        summary.seconds = round(time.perf_counter() - started, 3)
        logger.info("run finished", extra=summary.model_dump(exclude={"transcript_ids"}, mode="json"))
        # issue 13 (deals branch): refresh and publish the deals of this run's finished transcripts. The
        # lead re-places this; summary.transcript_ids holds only the first MAX_SCORECARDS of them.
        await publish_deal_rollups(await refresh_deals(summary.transcript_ids))
        await publish_artifacts(summary)
        return summary


async def _stream(window: Window, summary: RunSummary, params: RunParams) -> None:
    logger = get_run_logger()
    pending: list[AgentResult] = []
    after: Claim | None = None
    exhausted = False
    last_flush = time.monotonic()
    while True:
        while not exhausted and len(window.queued) < window.size:
            room = params.batch_size if params.limit is None else min(params.batch_size, params.limit - summary.claimed)
            claims = await claim_transcripts(window.plan, room, after) if room > 0 else []
            if not claims:
                exhausted = True
                break
            after = claims[-1]
            summary.claimed += len(claims)
            window.start(claims)
            logger.info("claimed %d transcripts (%d so far)", len(claims), summary.claimed)
        window.fill()
        if not window.running:
            break
        await _drain(window, summary, pending)
        if len(pending) >= params.batch_size or time.monotonic() - last_flush > 5:
            await _flush(window, summary, pending)
            last_flush = time.monotonic()
    await _flush(window, summary, pending)
