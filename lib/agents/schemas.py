"""The output models the agents ask for. Field descriptions are written for the model to read: they
travel in the JSON schema of every structured-output request."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1"  # bump when an output model changes shape: it is part of every cache key

ElementStatus = Literal["identified", "partial", "missing"]
MeddpicElementName = Literal["metrics", "economic_buyer", "decision_criteria", "decision_process",
                             "paper_process", "identified_pain", "champion", "competition"]
MEDDPIC_ELEMENTS: tuple[MeddpicElementName, ...] = (
    "metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process", "identified_pain",
    "champion", "competition",
)


class Evidence(BaseModel):
    quote: str = Field(description="A verbatim quote copied exactly from the transcript; never paraphrased.")
    speaker: str | None = Field(None, description="Who said it, as named in the transcript.")
    start_time: str | None = Field(
        None, description="The start time of the quoted turn as shown in the transcript (hh:mm:ss), if shown."
    )


class MeddpicElement(BaseModel):
    status: ElementStatus = Field(
        description="identified: clearly established on the call; partial: hinted or incomplete; "
                    "missing: not discussed."
    )
    summary: str = Field(description="One or two sentences on what the call established for this element.")
    evidence: list[Evidence] = Field(default_factory=list,
                                     description="One to three verbatim quotes supporting the status.")


class Gap(BaseModel):
    element: MeddpicElementName = Field(description="The MEDDPICC element that is missing or weak.")
    question: str = Field(description="The one question the seller should ask next, as they would ask it.")


class NextStep(BaseModel):
    action: str = Field(description="What was agreed to happen next.")
    owner: str | None = Field(None, description="Who owns it, if stated.")
    due: str | None = Field(None, description="When, as stated on the call (a date or a relative time).")


class MeddpicAnalysis(BaseModel):
    """MEDDPICC qualification of one sales call."""

    metrics: MeddpicElement = Field(description="Quantified outcomes the buyer expects.")
    economic_buyer: MeddpicElement = Field(description="The person with budget authority who signs off.")
    decision_criteria: MeddpicElement = Field(description="Criteria the buyer will judge the options by.")
    decision_process: MeddpicElement = Field(description="Steps, people and dates up to a decision.")
    paper_process: MeddpicElement = Field(description="Contract, legal, security review and procurement steps.")
    identified_pain: MeddpicElement = Field(description="The business problem, its cost, and its urgency.")
    champion: MeddpicElement = Field(description="The buyer-side person who sells for us internally.")
    competition: MeddpicElement = Field(description="Alternatives considered, including in-house or doing nothing.")
    gaps: list[Gap] = Field(default_factory=list, description="Each missing or partial element, with a question.")
    next_steps: list[NextStep] = Field(default_factory=list, description="Next steps agreed on the call.")

    def elements(self) -> dict[MeddpicElementName, MeddpicElement]:
        return {name: getattr(self, name) for name in MEDDPIC_ELEMENTS}


Side = Literal["buyer", "seller", "unknown"]
DealRole = Literal["economic_buyer", "champion", "influencer", "technical_evaluator", "user", "legal",
                   "procurement", "blocker", "unknown"]
Level = Literal["high", "medium", "low", "unknown"]
Sentiment = Literal["positive", "neutral", "negative", "unknown"]
RelationshipKind = Literal["reports_to", "influences", "opposes", "works_with", "manages"]


class Stakeholder(BaseModel):
    name: str = Field(description="The person's name as written in the transcript.")
    title: str | None = Field(None, description="Job title, if stated or clearly implied.")
    side: Side = Field(description="buyer: the prospect's organisation; seller: our team; unknown otherwise.")
    role: DealRole = Field(description="The person's role in this deal.")
    influence: Level = Field(description="Influence on the buying decision.")
    sentiment: Sentiment = Field(description="Sentiment towards our offer.")
    evidence: list[Evidence] = Field(default_factory=list,
                                     description="Verbatim quotes supporting role, influence or sentiment.")


class Relationship(BaseModel):
    source: str = Field(description="Name of the first person.")
    kind: RelationshipKind = Field(description="How the first person relates to the second.")
    target: str = Field(description="Name of the second person.")
    evidence: list[Evidence] = Field(default_factory=list, description="Verbatim quotes showing it.")


class StakeholderMap(BaseModel):
    """The people in one sales call and how they relate."""

    people: list[Stakeholder] = Field(default_factory=list, description="Everyone who matters to the deal.")
    relationships: list[Relationship] = Field(default_factory=list,
                                              description="Relationships the call reveals.")
