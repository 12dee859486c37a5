"""The roll-up of one deal, with the field names the README documents (issue 13). Extra fields
(`history`, `timeline`) carry what the element-by-call grid needs; the documented ones never change."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lib.agents.schemas import ElementStatus


class CallRef(BaseModel):
    transcript_id: int
    occurred_at: datetime


class DealEvidence(BaseModel):
    quote: str
    speaker: str | None
    transcript_id: int
    start_ms: int | None


class StatusOnCall(BaseModel):
    transcript_id: int
    occurred_at: datetime
    status: ElementStatus


class DealElement(BaseModel):
    status: ElementStatus
    first_identified: CallRef | None
    summary: str
    evidence: list[DealEvidence] = Field(default_factory=list)
    history: list[StatusOnCall] = Field(default_factory=list, description="Its status on each analysed call.")


class DealStakeholder(BaseModel):
    name: str
    title: str | None
    side: str
    role: str
    influence: str
    sentiment: str
    calls_seen: int
    first_seen_at: datetime


class DealWarning(BaseModel):
    code: str
    message: str


class NextQuestion(BaseModel):
    element: str
    question: str


class TimelineCall(BaseModel):
    transcript_id: int
    occurred_at: datetime
    title: str | None
    format: str
    analysed: bool


class DealRollup(BaseModel):
    deal_id: str
    calls: int
    first_call_at: datetime | None
    last_call_at: datetime | None
    elements: dict[str, DealElement]
    stakeholders: list[DealStakeholder]
    warnings: list[DealWarning]
    next_questions: list[NextQuestion]
    timeline: list[TimelineCall] = Field(default_factory=list, description="Every call of the deal, oldest first.")

    def identified(self) -> int:
        return sum(e.status == "identified" for e in self.elements.values())


class StoredDeal(BaseModel):
    """A row of the deals table."""

    deal_id: str
    rollup: DealRollup
    calls: int
    first_call_at: datetime | None
    last_call_at: datetime | None
    result_ids: list[int]
    previous_rollup: DealRollup | None
    changed_by: str | None
    updated_at: datetime
