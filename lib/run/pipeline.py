"""The run-level steps the flows sequence, by identifier: plan a run and tally what it did.
Prefect-free, so they can be tested and timed on their own (one batch of work: lib/run/agent_batch.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from lib.agents.schemas import SCHEMA_VERSION
from lib.db.claims import WorkFilter
from lib.errors import AsmisError
from lib.models import AGENT_TYPES, AgentResult, AgentType
from lib.prompt_files import sync_prompts
from lib.run.runtime import Runtime


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
    task_batch: int | None = Field(None, ge=1, le=1000, description="Transcripts per agent task (and per "
                                   "claim); unset: ASMIS_TASK_BATCH.")


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
    """Resolve the active prompts; a database that has none yet gets the version-controlled ones.
    Resolved once per runtime: a command that checks its backlog and then runs plans once."""
    missing = {a for a in params.agents if a not in rt.active_prompts and await rt.prompts.active(a) is None}
    if missing:
        await sync_prompts(rt.prompts, only=missing)
    for agent_type in params.agents:
        if agent_type in rt.active_prompts:
            continue
        prompt = await rt.prompts.active(agent_type)
        if prompt is None:
            raise AsmisError(f"no prompt for {agent_type}: add prompts/{agent_type}.md and run `asmis prompts sync`")
        rt.active_prompts[agent_type] = prompt.id
    prompts = {a: rt.active_prompts[a] for a in params.agents}
    task_batch = params.task_batch or rt.settings.task_batch
    return RunPlan(owner=owner, prompts=prompts, model=rt.model,
                   params=params.model_copy(update={"task_batch": task_batch}))


class Tally(BaseModel):
    """Counts of results, their tokens and dollars: what a batch did, and what a run did."""

    completed: int = 0
    failed: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    saved_usd: Decimal = Decimal("0")

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

    def absorb(self, other: Tally) -> None:
        for name in Tally.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class RunSummary(Tally):
    run_id: str
    claimed: int = 0
    llm_calls: int = 0
    batches: int = 0  # batch mode: Message Batches created, requests sent, results collected, $ saved
    batch_requests: int = 0
    batch_results: int = 0
    batch_saved_usd: Decimal = Decimal("0")
    seconds: float = 0.0
    transcript_ids: list[int] = Field(default_factory=list, description="The first few, for scorecards.")
    artifacts: list[tuple[str, str, str]] = Field(
        default_factory=list, description="(key, type, id) of each Prefect artifact the run published.")

    def rows(self) -> list[dict[str, Any]]:
        batch = ["batches", "batch_requests", "batch_results", "batch_saved_usd"] if self.batch_requests or \
            self.batch_results else []  # shown when the run used Message Batches
        order = ["run_id", "claimed", "completed", "failed", "memory_hits", "disk_hits", "llm_calls", "input_tokens",
                 "output_tokens", "cost_usd", "saved_usd", *batch, "seconds"]
        values = self.model_dump(exclude={"transcript_ids", "artifacts"})
        return [{"metric": k, "value": str(values[k])} for k in order]

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> RunSummary:
        """The inverse of rows(): a summary read back from its run-summary table artifact."""
        return cls.model_validate({row["metric"]: row["value"] for row in rows if row["metric"] in cls.model_fields})
