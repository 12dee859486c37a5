"""The roll-up of one deal, with the field names the README documents (issue 13). Extra fields
(`history`, `timeline`) carry what the element-by-call grid needs; the documented ones never change."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from lib.agents.schemas import MEDDPIC_ELEMENTS, ElementStatus


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
    role: str = Field(description="The deal role the MEDDPICC evidence gives them (champion, economic_buyer), "
                                  "else their functional role.")
    functional_role: str = Field(default="unknown", description="The role most calls gave them other than a "
                                 "deal role (user, technical_evaluator, ...).")
    influence: str
    sentiment: str
    calls_seen: int
    first_seen_at: datetime

    def role_label(self) -> str:
        """'champion (user)': the deal role with the functional role beside it, words not identifiers."""
        role = self.role.replace("_", " ")
        if self.functional_role not in ("unknown", self.role):
            role += f" ({self.functional_role.replace('_', ' ')})"
        return role


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

    @field_validator("elements")
    @classmethod
    def _meddpicc_order(cls, elements: dict[str, DealElement]) -> dict[str, DealElement]:
        """jsonb keeps object keys in its own order: put the elements back in MEDDPICC order."""
        rank: dict[str, int] = {name: i for i, name in enumerate(MEDDPIC_ELEMENTS)}
        return dict(sorted(elements.items(), key=lambda item: rank.get(item[0], len(rank))))

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
