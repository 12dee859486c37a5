"""Records that cross module boundaries: transcripts, prompts and agent results."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AgentType = Literal["meddpic", "stakeholder"]
AGENT_TYPES: tuple[AgentType, ...] = ("meddpic", "stakeholder")
ResultStatus = Literal["completed", "failed"]
CacheTier = Literal["memory", "disk"]
LLMProviderName = Literal["anthropic", "bedrock", "vertex", "openai", "offline"]
LLMMode = Literal["interactive", "batch"]  # batch: the Message Batches API, at half price


def json_time(value: datetime | None) -> str | None:
    """A timestamp as every `--json` output writes it: UTC, `Z`, as pydantic's JSON mode does."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat()


class NewTranscript(BaseModel):
    source: str
    external_id: str | None = None
    deal_id: str | None = None
    title: str | None = None
    format: str
    occurred_at: datetime
    content: str
    content_sha256: str
    turns: list[dict[str, Any]]
    speakers: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class Transcript(NewTranscript):
    model_config = ConfigDict(frozen=True)

    id: int
    ingested_at: datetime


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    agent_type: AgentType
    version: str
    content: str
    content_sha256: str
    is_active: bool
    source_path: str | None
    created_at: datetime


class AgentResult(BaseModel):
    """What one agent made of one transcript. Never holds transcript text beyond grounded quotes,
    and never a secret."""

    transcript_id: int
    agent_type: AgentType
    prompt_id: int | None
    prompt_version: str | None = None
    input_hash: str
    status: ResultStatus
    data: dict[str, Any] | None = None
    confidence: float | None = Field(None, ge=0, le=1)
    model: str  # the model id the reply named (the API answers an alias with a dated snapshot id)
    model_requested: str  # the model id the call asked for: what "made with another model" compares
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    processing_ms: int = 0
    attempts: int = 1
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    cache_tier: CacheTier | None = None
    llm_mode: LLMMode = "interactive"
    llm_provider: LLMProviderName = "anthropic"  # who served the model: anthropic, bedrock, vertex, openai, offline
    run_id: str | None = None
    schema_version: str = "1"


class StoredResult(AgentResult):
    """A saved row; prompt_version, transcript_title and transcript_unlabelled are read from the prompt and
    transcript rows."""

    id: int
    transcript_title: str | None = None
    transcript_unlabelled: bool = False  # the transcript has no speaker labels (stored as one turn)
    created_at: datetime
    updated_at: datetime
