"""The stakeholder map from the shared analysis."""

from __future__ import annotations

from typing import cast

from lib.agents.schemas import (
    DealRole,
    Evidence,
    Level,
    Relationship,
    RelationshipKind,
    Sentiment,
    Side,
    Stakeholder,
    StakeholderMap,
)
from lib.llm.offline.analysis import Analysis
from lib.llm.offline.roles import Profile

MAX_EVIDENCE = 3


def build_stakeholder_map(analysis: Analysis) -> StakeholderMap:
    people = [_stakeholder(profile, analysis) for profile in analysis.profiles]
    relationships = [
        Relationship(source=link.source.name, kind=cast(RelationshipKind, link.kind), target=link.target.name,
                     evidence=[link.sentence.evidence()])
        for link in analysis.links
    ]
    return StakeholderMap(people=people, relationships=relationships)


def _stakeholder(profile: Profile, analysis: Analysis) -> Stakeholder:
    return Stakeholder(
        name=profile.person.name, title=profile.person.title, side=cast(Side, profile.side),
        role=cast(DealRole, profile.role), influence=cast(Level, profile.influence),
        sentiment=cast(Sentiment, profile.sentiment), evidence=_evidence(profile, analysis),
    )


def _evidence(profile: Profile, analysis: Analysis) -> list[Evidence]:
    """The quotes behind the role first, then how the person was introduced, then what they said."""
    person = profile.person
    quotes = [hit.sentence.evidence(hit.span) for hit in profile.hits]
    if person.title_from is not None:
        quotes.append(person.title_from.evidence())
    quotes += [mention.sentence.evidence() for mention in person.introductions]
    if person.is_speaker:
        quotes += [s.evidence() for s in analysis.sentences if s.speaker == person.name and len(s.text.split()) >= 6]
    return [e for e in {e.quote: e for e in quotes}.values() if len(e.quote.split()) >= 2][:MAX_EVIDENCE]
