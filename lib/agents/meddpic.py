"""The MEDDPICC agent: grounding, downgrades, gaps and confidence for MeddpicAnalysis."""

from __future__ import annotations

from typing import ClassVar

from lib.agents.base import BaseAgent
from lib.agents.grounding import GroundingReport, TranscriptIndex
from lib.agents.schemas import (
    MEDDPIC_ELEMENTS,
    ElementStatus,
    Gap,
    MeddpicAnalysis,
    MeddpicElement,
    MeddpicElementName,
)
from lib.models import AgentType

STATUS_WEIGHT = {"identified": 1.0, "partial": 0.5, "missing": 0.0}
DOWNGRADE: dict[ElementStatus, ElementStatus] = {"identified": "partial", "partial": "missing", "missing": "missing"}
QUOTES_FOR_FULL_SUPPORT = 2
DEFAULT_QUESTIONS: dict[MeddpicElementName, str] = {
    "metrics": "How will you measure success, and what is that worth to you in numbers?",
    "economic_buyer": "Who owns the budget for this and gives the final sign-off?",
    "decision_criteria": "What criteria will you use to compare the options?",
    "decision_process": "What are the steps and who is involved between now and a decision?",
    "paper_process": "Once you decide, what does legal, security and procurement review look like, and how long?",
    "identified_pain": "What happens if you don't solve this in the next six months?",
    "champion": "Who on your side will make the case for this internally?",
    "competition": "What other options, including doing nothing, are you considering?",
}


def ground_meddpic(analysis: MeddpicAnalysis, index: TranscriptIndex) -> tuple[MeddpicAnalysis, GroundingReport]:
    """Drop ungrounded quotes, downgrade an element left without evidence by one step, and make sure
    every element that is not identified has a gap with a question."""
    report = GroundingReport()
    updates: dict[str, MeddpicElement] = {}
    for name, element in analysis.elements().items():
        evidence = report.ground(index, element.evidence, name)
        status = element.status
        if status != "missing" and not evidence:
            status = DOWNGRADE[status]
            report.warnings.append(f"{name}: {element.status} downgraded to {status}, no grounded evidence")
        updates[name] = element.model_copy(update={"status": status, "evidence": evidence})
    grounded = analysis.model_copy(update=updates)
    covered = {gap.element for gap in grounded.gaps}
    missing_gaps = [Gap(element=name, question=DEFAULT_QUESTIONS[name]) for name in MEDDPIC_ELEMENTS
                    if updates[name].status != "identified" and name not in covered]
    return grounded.model_copy(update={"gaps": [*grounded.gaps, *missing_gaps]}), report


def meddpic_confidence(analysis: MeddpicAnalysis, report: GroundingReport) -> float:
    """coverage x (0.5 + 0.5 x support) x grounding, each in [0, 1]:
    coverage  = mean over the 8 elements of 1 (identified), 0.5 (partial), 0 (missing);
    support   = mean over non-missing elements of min(1, grounded quotes / 2);
    grounding = share of offered quotes that were grounded (1 when none were offered)."""
    elements = list(analysis.elements().values())
    coverage = sum(STATUS_WEIGHT[e.status] for e in elements) / len(elements)
    present = [e for e in elements if e.status != "missing"]
    support = (sum(min(1.0, len(e.evidence) / QUOTES_FOR_FULL_SUPPORT) for e in present) / len(present)
               if present else 0.0)
    grounding = 1.0 - report.dropped_share
    return round(coverage * (0.5 + 0.5 * support) * grounding, 4)


class MeddpicAgent(BaseAgent[MeddpicAnalysis]):
    agent_type: ClassVar[AgentType] = "meddpic"
    output_model = MeddpicAnalysis

    def ground(self, output: MeddpicAnalysis, index: TranscriptIndex) -> tuple[MeddpicAnalysis, GroundingReport]:
        return ground_meddpic(output, index)

    def confidence(self, output: MeddpicAnalysis, report: GroundingReport) -> float:
        return meddpic_confidence(output, report)
