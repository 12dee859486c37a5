"""What the API answers and accepts: the JSON shapes its OpenAPI schema documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.models import AGENT_TYPES

Analysis = Literal["completed", "failed", "pending"]


class CallItem(BaseModel):
    id: int
    title: str | None
    occurred_at: datetime
    deal_id: str | None
    source: str
    format: str
    speakers: list[str]
    turn_count: int
    analyses: dict[str, Analysis] = Field(description="Per agent type: the state of its newest result.")


class CallPage(BaseModel):
    items: list[CallItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class TurnOut(BaseModel):
    speaker: str | None
    start: float | None = Field(description="Seconds from the start of the call, when the transcript has times.")
    start_ms: int | None
    end_ms: int | None
    text: str


class CallDetail(CallItem):
    turns: list[TurnOut]
    metadata: dict[str, Any] = Field(description="What the file said besides its turns: header fields, "
                                     "participants, notes, parse warnings.")


class ResultMetadata(BaseModel):
    model: str
    model_requested: str
    prompt_id: int | None
    prompt_version: str | None
    attempts: int
    cost_usd: float
    input_tokens: int
    output_tokens: int
    llm_mode: str
    llm_provider: str = Field(description="Who served the model: anthropic, bedrock, vertex, openai or offline.")
    cache_tier: str | None
    run_id: str | None
    errors: list[str]
    warnings: list[str]


class ResultOut(BaseModel):
    id: int
    transcript_id: int
    agent_type: str
    status: Literal["completed", "failed"]
    data: dict[str, Any] | None
    confidence_score: float | None
    processing_time: float = Field(description="Seconds the analysis took.")
    timestamp: datetime
    metadata: ResultMetadata


class ResultList(BaseModel):
    items: list[ResultOut]


class DealSummary(BaseModel):
    deal_id: str
    calls: int
    first_call_at: datetime | None
    last_call_at: datetime | None
    elements_identified: int
    warnings: list[str]
    updated_at: datetime


class DealPage(BaseModel):
    items: list[DealSummary]
    next_cursor: str | None


class PromptOut(BaseModel):
    id: int
    agent_type: str
    version: str
    content: str
    content_sha256: str
    is_active: bool
    source_path: str | None
    created_at: datetime


class PromptList(BaseModel):
    items: list[PromptOut]


class PromptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_type: str = Field(description="meddpic or stakeholder")
    content: str = Field(max_length=200_000)

    @field_validator("agent_type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in AGENT_TYPES:
            raise ValueError(f"unknown agent type {value!r}: expected {' or '.join(AGENT_TYPES)}")
        return value

    @field_validator("content")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt is empty")
        return value


class ActivateOut(BaseModel):
    prompt: PromptOut
    changed: bool
    gate: str | None = Field(description="What the evaluation gate measured, when ASMIS_EVAL_SET is set.")


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transcript_ids: list[int] | None = Field(None, max_length=10_000)
    agent: Literal["meddpic", "stakeholder"] | None = None
    force: bool = False

    @field_validator("transcript_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 1 <= i < 2**63 for i in value):
            raise ValueError("transcript ids are positive integers")
        return value


class RunOut(BaseModel):
    run_id: str
    state: Literal["scheduled", "running", "completed", "failed"]
    where: Literal["work_pool", "api_process"]
    params: dict[str, Any]
    flow_run_id: str | None
    prefect_url: str | None
    summary: list[dict[str, Any]] | None = Field(description="The run-summary rows, once the run has ended.")
    error: str | None
    created_at: datetime
    updated_at: datetime


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    migrations: int
