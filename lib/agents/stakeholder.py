"""The stakeholder agent: grounding, downgrades and confidence for StakeholderMap."""

from __future__ import annotations

from typing import ClassVar

from lib.agents.base import BaseAgent
from lib.agents.grounding import GroundingReport, TranscriptIndex, normalise
from lib.agents.schemas import Relationship, Stakeholder, StakeholderMap
from lib.models import AgentType

QUOTES_FOR_FULL_SUPPORT = 2


def _ground_person(person: Stakeholder, index: TranscriptIndex, report: GroundingReport) -> Stakeholder | None:
    if not index.mentions(person.name):
        report.dropped += 1
        report.warnings.append("people: dropped a person who does not appear in the transcript")
        return None
    evidence = report.ground(index, person.evidence, f"people[{person.name}]")
    update: dict[str, object] = {"evidence": evidence}
    if not evidence and (person.role, person.influence, person.sentiment) != ("unknown",) * 3:
        # A claim about someone's role or stance needs a quote behind it.
        update |= {"role": "unknown", "influence": "unknown", "sentiment": "unknown"}
        report.warnings.append(f"people[{person.name}]: role and stance set to unknown, no grounded evidence")
    return person.model_copy(update=update)


def _ground_relationship(rel: Relationship, names: set[str], index: TranscriptIndex,
                         report: GroundingReport) -> Relationship | None:
    evidence = report.ground(index, rel.evidence, f"relationships[{rel.source}->{rel.target}]")
    if normalise(rel.source) not in names or normalise(rel.target) not in names or not evidence:
        report.warnings.append(f"relationships: dropped {rel.source} {rel.kind} {rel.target}, not supported")
        return None
    return rel.model_copy(update={"evidence": evidence})


def ground_stakeholders(stakeholders: StakeholderMap, index: TranscriptIndex
                        ) -> tuple[StakeholderMap, GroundingReport]:
    report = GroundingReport()
    people = [p for person in stakeholders.people if (p := _ground_person(person, index, report))]
    names = {normalise(p.name) for p in people}
    relationships = [r for rel in stakeholders.relationships
                     if (r := _ground_relationship(rel, names, index, report))]
    return StakeholderMap(people=people, relationships=relationships), report


def stakeholder_confidence(stakeholders: StakeholderMap, report: GroundingReport) -> float:
    """(0.5 x coverage + 0.5 x support) x grounding, each in [0, 1], and 0 when nobody was found:
    coverage  = share of people with a known role in the deal;
    support   = mean over people of min(1, grounded quotes / 2);
    grounding = share of offered quotes and people that held up against the transcript."""
    people = stakeholders.people
    if not people:
        return 0.0
    coverage = sum(p.role != "unknown" for p in people) / len(people)
    support = sum(min(1.0, len(p.evidence) / QUOTES_FOR_FULL_SUPPORT) for p in people) / len(people)
    return round((0.5 * coverage + 0.5 * support) * (1.0 - report.dropped_share), 4)


class StakeholderAgent(BaseAgent[StakeholderMap]):
    agent_type: ClassVar[AgentType] = "stakeholder"
    output_model = StakeholderMap

    def ground(self, output: StakeholderMap, index: TranscriptIndex) -> tuple[StakeholderMap, GroundingReport]:
        return ground_stakeholders(output, index)

    def confidence(self, output: StakeholderMap, report: GroundingReport) -> float:
        return stakeholder_confidence(output, report)
