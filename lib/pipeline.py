"""The steps the flows sequence, by identifier: plan a run, analyse one (transcript, agent), record a
failure, save a batch. Prefect-free, so they can be tested and timed on their own."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from lib.agents.schemas import SCHEMA_VERSION
from lib.db.claims import WorkFilter
from lib.errors import AsmisError, PermanentAgentError
from lib.models import AGENT_TYPES, AgentResult, AgentType, Prompt, Transcript
from lib.prompt_files import sync_prompts
from lib.runtime import Runtime


class RunParams(BaseModel):
    """What to process. Every field has a default: a bare run processes everything new."""

    limit: int | None = Field(None, ge=1, description="Process at most this many transcripts.")
    agents: list[AgentType] = Field(default_factory=lambda: list(AGENT_TYPES), min_length=1,
                                    description="Agent types to run.")
    transcript_ids: list[int] | None = Field(None, description="Only these transcripts.")
    force: bool = Field(False, description="Run again even where a completed result exists.")
    reprocess_stale: bool = Field(False, description="Run again where the result was made with an older "
                                                     "prompt version, another model or output schema.")
    since: datetime | None = Field(None, description="Only calls that occurred at or after this time.")
    until: datetime | None = Field(None, description="Only calls that occurred before this time.")
    batch_size: int = Field(50, ge=1, le=1000, description="Transcripts claimed per round trip.")


class RunPlan(BaseModel):
    """A run's resolved work: identifiers only, safe to hand to Prefect as a task parameter."""

    owner: str
    prompts: dict[AgentType, int]
    model: str
    schema_version: str = SCHEMA_VERSION
    params: RunParams

    def work(self) -> WorkFilter:
        p = self.params
        return WorkFilter(prompts=self.prompts, model=self.model, schema_version=self.schema_version,
                          force=p.force, reprocess_stale=p.reprocess_stale, since=p.since, until=p.until, transcript_ids=p.transcript_ids)


async def plan_run(rt: Runtime, params: RunParams, owner: str) -> RunPlan:
    """Resolve the active prompts; a database that has none yet gets the version-controlled ones."""
    missing = {a for a in params.agents if await rt.prompts.active(a) is None}
    if missing:
        await sync_prompts(rt.prompts, only=missing)
    prompts: dict[AgentType, int] = {}
    for agent_type in params.agents:
        prompt = await rt.prompts.active(agent_type)
        if prompt is None:
            raise AsmisError(f"no prompt for {agent_type}: add prompts/{agent_type}.md and run `asmis prompts sync`")
        prompts[agent_type] = prompt.id
    return RunPlan(owner=owner, prompts=prompts, model=rt.model, params=params)


async def _prompt(rt: Runtime, prompt_id: int) -> Prompt:
    if (prompt := rt.prompt_cache.get(prompt_id)) is None:  # prompt rows never change once written
        prompt = await rt.prompts.get(prompt_id)
        if prompt is None:
            raise PermanentAgentError(f"prompt {prompt_id} does not exist")
        rt.prompt_cache[prompt_id] = prompt
    return prompt


async def _transcript(rt: Runtime, transcript_id: int) -> Transcript:
    """Both agents of a transcript start together: one fetch serves both (content never changes)."""
    fetch = rt.transcript_cache.get(transcript_id)
    if fetch is None:
        fetch = rt.transcript_cache[transcript_id] = asyncio.ensure_future(rt.transcripts.get(transcript_id))
    try:
        # shield: one waiter timing out must not cancel the fetch the other waits for.
        transcript = await asyncio.shield(fetch)
    except BaseException:
        if fetch.done() and rt.transcript_cache.get(transcript_id) is fetch:
            del rt.transcript_cache[transcript_id]  # a failed fetch is retried, not remembered
        raise
    if transcript is None:
        raise PermanentAgentError(f"transcript {transcript_id} does not exist")
    return transcript


async def analyse(rt: Runtime, transcript_id: int, agent_type: AgentType, prompt_id: int,
                  run_id: str | None = None) -> AgentResult:
    transcript = await _transcript(rt, transcript_id)
    return await rt.analyser.analyse(agent_type, transcript, await _prompt(rt, prompt_id), run_id)


async def failure(rt: Runtime, transcript_id: int, agent_type: AgentType, prompt_id: int, error: BaseException,
                  run_id: str | None = None) -> AgentResult | None:
    """The failed row for an error that outlived every retry; None if the transcript is gone."""
    transcript = await rt.transcripts.get(transcript_id)
    if transcript is None:
        return None
    return rt.analyser.failed(agent_type, transcript, await _prompt(rt, prompt_id), error, run_id)


class RunSummary(BaseModel):
    run_id: str
    claimed: int = 0
    completed: int = 0
    failed: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    saved_usd: Decimal = Decimal("0")
    seconds: float = 0.0
    transcript_ids: list[int] = Field(default_factory=list, description="The first few, for scorecards.")

    def add(self, result: AgentResult) -> None:
        if result.status == "completed":
            self.completed += 1
        else:
            self.failed += 1
        if result.cache_tier is not None:
            self.memory_hits += result.cache_tier == "memory"
            self.disk_hits += result.cache_tier == "disk"
            self.saved_usd += result.cost_usd
            return
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        self.cost_usd += result.cost_usd

    def rows(self) -> list[dict[str, Any]]:
        return [{"metric": k, "value": str(v)} for k, v in self.model_dump(exclude={"transcript_ids"}).items()]
