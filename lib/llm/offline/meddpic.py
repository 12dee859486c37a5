"""MEDDPICC from the shared analysis: each element's status, a summary built only from what was found,
and up to three verbatim quotes."""

from __future__ import annotations

import re

from lib.agents.schemas import Evidence, MeddpicAnalysis, MeddpicElement
from lib.llm.offline.analysis import Analysis
from lib.llm.offline.competition import IN_HOUSE, STATUS_QUO, UNNAMED
from lib.llm.offline.elements import (
    CRITERIA,
    CRITERIA_QUESTION,
    PAIN,
    PAPER,
    PROCESS,
    Found,
    answers_to,
    cue_sentences,
    metric_quantities,
)
from lib.llm.offline.gaps import gaps_for
from lib.llm.offline.nextsteps import find_next_steps
from lib.llm.offline.patterns import DATE
from lib.llm.offline.quantities import Quantity
from lib.llm.offline.roles import Profile, weight
from lib.llm.offline.summaries import (
    champion_summary,
    economic_buyer_summary,
    keyword_summary,
    list_phrase,
    who,
)
from lib.llm.offline.text import Rule

MAX_EVIDENCE = 3
# 'I'm not going to be the one pushing it upstairs', 'I won't champion this', 'don't count on me to sell it'
_REFUSAL = re.compile(r"\b(?:I'm not going to|I am not going to|I won't|I will not|I'm not) (?:be the (?:one|person) "
                      r"(?:pushing|selling|championing|carrying|taking)|push (?:it|this)|champion (?:it|this)|sell (?:it|this) "
                      r"(?:upstairs|internally|in(?:side)?))\b|\bdon't count on me to (?:push|sell|champion)\b",
                      re.IGNORECASE)
MISSING = "Not discussed on this call."


def build_meddpic(analysis: Analysis) -> MeddpicAnalysis:
    elements = {
        "metrics": _metrics(analysis),
        "economic_buyer": _economic_buyer(analysis),
        "decision_criteria": _keyword_element(analysis, CRITERIA, "Criteria raised", buyer_only=True,
                                              answers=CRITERIA_QUESTION),
        "decision_process": _keyword_element(analysis, PROCESS, "Decision steps mentioned", dates=True),
        "paper_process": _keyword_element(analysis, PAPER, "Paperwork mentioned"),
        "identified_pain": _keyword_element(analysis, PAIN, "Pain described", buyer_only=True),
        "champion": _champion(analysis),
        "competition": _competition(analysis),
    }
    return MeddpicAnalysis(**elements, gaps=gaps_for(elements, analysis),
                           next_steps=find_next_steps(analysis.sentences, analysis.directory))


def element(found: list[Found], summary: str, strong: bool) -> MeddpicElement:
    found = [f for f in found if len(f.sentence.text.split()) >= 3]
    if not found:
        return MeddpicElement(status="missing", summary=MISSING, evidence=[])
    best = sorted(found, key=lambda f: (-f.score, f.sentence.position))[:MAX_EVIDENCE]
    evidence = _distinct([f.sentence.evidence(f.span) for f in sorted(best, key=lambda f: f.sentence.position)])
    status = "identified" if strong else "partial"
    return MeddpicElement(status=status, summary=summary, evidence=evidence)


def _metrics(analysis: Analysis) -> MeddpicElement:
    found, quantities = [], []
    for sentence in analysis.sentences:
        measured = metric_quantities(sentence)
        if measured and analysis.side_of(sentence.speaker) != "seller":  # the seller's figures are not the buyer's
            buyer = analysis.side_of(sentence.speaker) == "buyer"
            found.append(Found(sentence, measured[0].span, len(measured) + (2 if buyer else 0)))
            quantities += measured
    speakers = [f.sentence.speaker for f in found]
    buyer_said = sum(1 for f in found if analysis.side_of(f.sentence.speaker) == "buyer")
    summary = f"Numbers raised on the call: {list_phrase(_distinct_texts(quantities), 6)}{who(speakers)}."
    return element(found, summary, strong=buyer_said >= 2 or (buyer_said == 1 and len(found) >= 2))


def metric_values(analysis: Analysis) -> list[Quantity]:
    """Every quantity counted as a metric, for callers that want the numbers themselves."""
    found = [q for sentence in analysis.sentences for q in metric_quantities(sentence)]
    return list({q.key: q for q in reversed(found)}.values())[::-1]


def _economic_buyer(analysis: Analysis) -> MeddpicElement:
    profile = analysis.with_role("economic_buyer")
    if profile is not None:
        found = [Found(h.sentence, h.span, h.weight) for h in profile.hits]
        return element(found, economic_buyer_summary(profile), strong=weight(profile.hits) >= 2)
    unattributed = [Found(h.sentence, h.span, h.weight) for hits in analysis.roles.economic_buyer.values()
                    for h in hits]
    summary = "Sign-off was mentioned, but no named person was confirmed as the budget holder."
    return element(unattributed, summary, strong=False)


def _champion(analysis: Analysis) -> MeddpicElement:
    profile = analysis.with_role("champion")
    if profile is not None:
        found = [Found(h.sentence, h.span, h.weight) for h in profile.hits]
        strong = any(h.weight >= 3 for h in profile.hits)
        return element(found, champion_summary(profile, strong), strong)
    if any(_REFUSAL.search(s.text) and analysis.side_of(s.speaker) == "buyer" for s in analysis.sentences):
        return element([], "", strong=False)  # a buyer said outright they will not carry it: no champion
    return element(_positive_buyer_quotes(analysis), "A buyer spoke positively, but no one offered to sell "
                   "internally.", strong=False)


def _positive_buyer_quotes(analysis: Analysis) -> list[Found]:
    buyers: list[Profile] = [p for p in analysis.profiles if p.side == "buyer" and p.sentiment == "positive"]
    return [Found(h.sentence, h.span, h.weight) for p in buyers[:1]
            for h in analysis.roles.positive.get(p.person.name, [])]


def _keyword_element(analysis: Analysis, cue: Rule, label: str, buyer_only: bool = False,
                     dates: bool = False, answers: Rule | None = None) -> MeddpicElement:
    found = cue_sentences(analysis.sentences, cue, analysis.sides, buyer_only)
    if answers is not None:
        seen = {f.sentence.position for f in found}
        found += [f for f in answers_to(analysis.sentences, answers, analysis.sides) if f.sentence.position not in seen]
    summary = keyword_summary(label, found, cue, DATE if dates else None)
    return element(found, summary, strong=len(found) >= 2 or any(f.score >= 4 for f in found))


def _competition(analysis: Analysis) -> MeddpicElement:
    alternatives = analysis.alternatives
    found = [Found(a.sentence, a.span, 1) for a in alternatives]
    speakers = who([a.sentence.speaker for a in alternatives])
    summary = f"Alternatives named: {list_phrase([a.name for a in alternatives], 5)}{speakers}."
    named = [a for a in alternatives if a.name not in (IN_HOUSE, STATUS_QUO, UNNAMED) and not a.in_the_past]
    return element(found, summary, strong=bool(named) or len(alternatives) >= 2)


def _distinct(evidence: list[Evidence]) -> list[Evidence]:
    return list({e.quote: e for e in evidence}.values())


def _distinct_texts(quantities: list[Quantity]) -> list[str]:
    return list({q.key: q.text for q in reversed(quantities)}.values())[::-1]
