"""What the pages show, worked out from stored rows: the board's marks, a deal's grid with what changed from
the call before, the calls each person was on, and a call's transcript with its evidence highlighted."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.deals.models import DealRollup
from lib.deals.people import resolve_people
from lib.deals.rollup import RANK

SYMBOL = {"identified": "●", "partial": "◐", "missing": "○"}
SHORT = {"metrics": "M", "economic_buyer": "EB", "decision_criteria": "DC", "decision_process": "DP",
         "paper_process": "PP", "identified_pain": "IP", "champion": "Ch", "competition": "Co"}
WARNING_LABELS = {
    "no_economic_buyer": "no economic buyer", "no_champion": "no champion", "competitor_named": "competitor named",
    "paper_process_not_started": "paper process not started", "no_recent_call": "no recent call",
    "champion_sentiment_negative": "champion turned negative", "side_conflict": "side conflict",
    "single_threaded": "single-threaded",
}


def quote_anchor(quote: str) -> str:
    """The id of a quote's highlight on its call page, the same from the deal page and the call page."""
    return "q-" + hashlib.sha256(quote.strip().encode()).hexdigest()[:10]


@dataclass
class GridCell:
    status: str | None  # None: the call is not analysed
    change: str  # "", "up" or "down" from the call before

    @property
    def symbol(self) -> str:
        if self.status is None:
            return "·"
        return {"up": "▲", "down": "▼"}.get(self.change, "") + SYMBOL[self.status]

    @property
    def text(self) -> str:
        if self.status is None:
            return "not analysed"
        return self.status + {"up": ", up from the call before", "down": ", down from the call before"}.get(
            self.change, "")


def element_grid(rollup: DealRollup) -> list[tuple[str, list[GridCell]]]:
    """Per element (MEDDPICC order), a cell per call of the timeline (oldest first)."""
    rows = []
    for name, element in rollup.elements.items():
        on_call = {h.transcript_id: h.status for h in element.history}
        previous: str | None = None
        cells = []
        for call in rollup.timeline:
            status = on_call.get(call.transcript_id)
            change = ""
            if status is not None:
                if previous is not None and status != previous:
                    change = "up" if RANK[status] > RANK[previous] else "down"
                previous = status
            cells.append(GridCell(status, change))
        rows.append((name, cells))
    return rows


def board_marks(statuses: dict[str, str] | None) -> list[tuple[str, str]]:
    """(element, status) in MEDDPICC order; an element the roll-up lacks is missing."""
    statuses = statuses or {}
    return [(name, statuses.get(name, "missing")) for name in MEDDPIC_ELEMENTS]


def calls_of_people(rollup: DealRollup, per_call: dict[int, dict[str, Any]]) -> dict[str, list[int]]:
    """Roll-up person's name -> the calls (ids, oldest first) whose stakeholder map names them, matched as
    the roll-up matches names (one person whatever side or spelling a call gave)."""
    written = [(p.get("side", "unknown"), p.get("name", "")) for data in per_call.values()
               for p in (data or {}).get("people", []) if p.get("name")]
    identities = resolve_people([*written, *((p.side, p.name) for p in rollup.stakeholders)])
    order = {c.transcript_id: i for i, c in enumerate(rollup.timeline)}
    found: dict[str, list[int]] = {}
    for person in rollup.stakeholders:
        me = identities[(person.side, person.name)]
        calls = [call_id for call_id, data in per_call.items()
                 if any(identities.get((p.get("side", "unknown"), p.get("name", ""))) == me
                        for p in (data or {}).get("people", []))]
        found[person.name] = sorted(calls, key=lambda c: order.get(c, c))
    return found


@dataclass
class Highlight:
    anchor: str
    evidence_ids: list[str] = field(default_factory=list)


@dataclass
class Segment:
    text: str
    highlight: Highlight | None = None


@dataclass
class Turn:
    index: int
    speaker: str | None
    side: str | None
    start_ms: int | None
    segments: list[Segment]


@dataclass
class EvidenceItem:
    id: str
    quote: str
    speaker: str | None
    anchor: str | None  # the highlight it links to; None when the quote is not found verbatim
    turn: int | None
    own_id: str | None = None  # the quote's anchor, held here when no highlight holds it (deal pages link to it)


def _locate(quote: str, speaker: str | None, turns: list[dict[str, Any]]) -> tuple[int, int, int] | None:
    """(turn index, start, end) of the quote in a turn of its speaker: exactly, then ignoring case."""
    needle = quote.strip()
    if len(needle) < 2:
        return None
    candidates = [i for i, t in enumerate(turns) if speaker is None or t.get("speaker") == speaker]
    for fold in (False, True):
        for i in candidates:
            text = turns[i].get("text") or ""
            if fold and (len(text.casefold()) != len(text) or len(needle.casefold()) != len(needle)):
                continue  # folding changed lengths: positions would not map back
            at = text.casefold().find(needle.casefold()) if fold else text.find(needle)
            if at >= 0:
                return i, at, at + len(needle)
    return None


def highlight_transcript(turns: list[dict[str, Any]], evidence: Iterable[tuple[str, str | None]],
                         sides: dict[str, str]) -> tuple[list[Turn], list[EvidenceItem]]:
    """The turns cut into plain and highlighted segments, and one item per piece of evidence (in the order
    given) with the highlight it links to. A quote found twice links to one highlight; a quote overlapping
    another's highlight in the same turn links to its turn instead."""
    spans: dict[int, list[tuple[int, int, Highlight]]] = {}
    by_anchor: dict[str, Highlight] = {}
    items = []
    for n, (quote, speaker) in enumerate(evidence, start=1):
        evidence_id = f"e-{n}"
        where = _locate(quote, speaker, turns)
        anchor = quote_anchor(quote)
        if where is None:
            items.append(EvidenceItem(evidence_id, quote, speaker, None, None))
            continue
        turn, start, end = where
        if anchor in by_anchor:
            by_anchor[anchor].evidence_ids.append(evidence_id)
            items.append(EvidenceItem(evidence_id, quote, speaker, anchor, turn))
            continue
        taken = spans.setdefault(turn, [])
        if any(start < e and s < end for s, e, _ in taken):
            items.append(EvidenceItem(evidence_id, quote, speaker, None, turn))
            continue
        highlight = Highlight(anchor, [evidence_id])
        by_anchor[anchor] = highlight
        taken.append((start, end, highlight))
        items.append(EvidenceItem(evidence_id, quote, speaker, anchor, turn))
    for item in items:  # a quote not highlighted: its anchor lands on its evidence item instead
        anchor = quote_anchor(item.quote)
        if item.anchor is None and anchor not in by_anchor:
            item.own_id = anchor
            by_anchor[anchor] = Highlight(anchor)
    out = []
    for i, t in enumerate(turns):
        text = t.get("text") or ""
        segments: list[Segment] = []
        at = 0
        for start, end, highlight in sorted(spans.get(i, []), key=lambda s: s[0]):
            if start > at:
                segments.append(Segment(text[at:start]))
            segments.append(Segment(text[start:end], highlight))
            at = end
        if at < len(text) or not segments:
            segments.append(Segment(text[at:]))
        speaker = t.get("speaker")
        out.append(Turn(i, speaker, sides.get(speaker) if speaker else None, t.get("start_ms"), segments))
    return out, items


def clock(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
