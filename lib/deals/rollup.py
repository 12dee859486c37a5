"""Roll a deal's calls up into one MEDDPICC and stakeholder picture: pure, from stored results only.

A deal's status for an element is the strongest over its calls (a later call that says less does not
undo what an earlier one established; `history` keeps every call's own status so the drop shows).
`first_identified` is the earliest call with status identified. The summary is the latest call at the
strongest status; evidence keeps the best quotes across calls (strongest calls first, then oldest, each
quote once), each with its call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.agents.grounding import normalise
from lib.agents.schemas import MEDDPIC_ELEMENTS, ElementStatus
from lib.deals.calls import DealCall, DealRules, chronological
from lib.deals.models import (
    CallRef,
    DealElement,
    DealEvidence,
    DealRollup,
    NextQuestion,
    StatusOnCall,
    TimelineCall,
)
from lib.deals.stakeholders import track_people
from lib.deals.warnings import deal_warnings

RANK: dict[str, int] = {"missing": 0, "partial": 1, "identified": 2}
STATUSES: tuple[ElementStatus, ...] = ("missing", "partial", "identified")
NOT_ANALYSED = "No call of this deal has been analysed yet."


def build_rollup(deal_id: str, calls: list[DealCall], rules: DealRules, now: datetime) -> DealRollup:
    ordered = chronological(calls)
    elements: dict[str, DealElement] = {name: roll_element(name, ordered, rules.evidence_quotes) for name in MEDDPIC_ELEMENTS}
    people = track_people(ordered)
    return DealRollup(
        deal_id=deal_id, calls=len(ordered),
        first_call_at=ordered[0].occurred_at if ordered else None,
        last_call_at=ordered[-1].occurred_at if ordered else None,
        elements=elements, stakeholders=[p.summary() for p in people],
        warnings=deal_warnings(elements, people, ordered, rules, now),
        next_questions=next_questions(elements, ordered),
        timeline=[TimelineCall(transcript_id=c.transcript_id, occurred_at=c.occurred_at, title=c.title,
                               format=c.format, analysed=c.meddpic is not None) for c in ordered])


def roll_element(name: str, calls: list[DealCall], quotes: int) -> DealElement:
    analysed = [(c, c.meddpic[name]) for c in calls if c.meddpic]
    history = [StatusOnCall(transcript_id=c.transcript_id, occurred_at=c.occurred_at, status=e["status"])
               for c, e in analysed]
    best = max((RANK[e["status"]] for _, e in analysed), default=0)
    first = next((h for h in history if h.status == "identified"), None)
    strongest = [e for _, e in analysed if RANK[e["status"]] == best]
    return DealElement(
        status=STATUSES[best],
        first_identified=CallRef(transcript_id=first.transcript_id, occurred_at=first.occurred_at) if first else None,
        summary=strongest[-1]["summary"] if strongest else NOT_ANALYSED,
        evidence=best_evidence(analysed, quotes), history=history)


def best_evidence(analysed: list[tuple[DealCall, dict[str, Any]]], limit: int) -> list[DealEvidence]:
    ranked = sorted(analysed, key=lambda ce: -RANK[ce[1]["status"]])  # stable: oldest first within a status
    kept: list[DealEvidence] = []
    seen: set[str] = set()
    for call, element in ranked:
        for item in element.get("evidence", []):
            key = normalise(item["quote"])
            if key in seen:
                continue
            seen.add(key)
            kept.append(DealEvidence(quote=item["quote"], speaker=item.get("speaker"),
                                     transcript_id=call.transcript_id, start_ms=parse_start(item.get("start_time"))))
            if len(kept) == limit:
                return kept
    return kept


def parse_start(start_time: str | None) -> int | None:
    """'hh:mm:ss' (as grounding writes it; 'mm:ss' tolerated) to milliseconds."""
    if not start_time:
        return None
    try:
        parts = [int(p) for p in start_time.split(":")]
    except ValueError:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds * 1000


def next_questions(elements: dict[str, DealElement], calls: list[DealCall]) -> list[NextQuestion]:
    """For each element the deal has not established, the question its latest call suggested."""
    questions: dict[str, str] = {}
    for call in reversed(calls):
        for gap in (call.meddpic or {}).get("gaps", []):
            if gap["element"] in elements and elements[gap["element"]].status != "identified":
                questions.setdefault(gap["element"], gap["question"])
    return [NextQuestion(element=name, question=questions[name]) for name in MEDDPIC_ELEMENTS if name in questions]
