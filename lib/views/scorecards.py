"""MEDDPICC scorecards and stakeholder maps as markdown (Prefect artifacts) and Rich (terminal)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.models import StoredResult, Transcript
from lib.shown import md, shown

if TYPE_CHECKING:
    from lib.run.runtime import Runtime

RANK = {"missing": 0, "partial": 1, "identified": 2}
STYLE = {"identified": "green", "partial": "yellow", "missing": "red"}


def latest_completed(results: list[StoredResult]) -> dict[str, StoredResult]:
    best: dict[str, StoredResult] = {}
    for r in results:
        if r.status == "completed" and (r.agent_type not in best or r.updated_at > best[r.agent_type].updated_at):
            best[r.agent_type] = r
    return best


def deal_elements(analyses: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per element across a deal's calls: the strongest status, its summary, and all evidence."""
    merged: dict[str, dict[str, Any]] = {}
    for data in analyses:
        for name in MEDDPIC_ELEMENTS:
            element = data[name]
            current = merged.get(name)
            if current is None or RANK[element["status"]] > RANK[current["status"]]:
                merged[name] = {**element, "evidence": [*(current or {}).get("evidence", []), *element["evidence"]]}
            else:
                current["evidence"] = [*current["evidence"], *element["evidence"]]
    return merged


def _scorecard_md(title: str, analyses: list[dict[str, Any]], confidence: float | None) -> str:
    merged = deal_elements(analyses)
    lines = [f"## {title}", "", f"confidence: {confidence:.2f}" if confidence is not None else "", "",
             "| element | status | summary | evidence |", "|---|---|---|---|"]
    for name, element in merged.items():
        quote = element["evidence"][0] if element["evidence"] else None
        cite = f"“{md(quote['quote'])}” ({md(quote.get('speaker') or '?')})" if quote else ""
        lines.append(f"| {name.replace('_', ' ')} | {element['status']} | "
                     f"{_cell(md(element['summary']))} | {_cell(cite)} |")
    # One question per element the deal as a whole has not yet established, latest call first.
    gaps: dict[str, str] = {}
    for data in reversed(analyses):
        for gap in data.get("gaps", []):
            if merged[gap["element"]]["status"] != "identified":
                gaps.setdefault(gap["element"], gap["question"])
    if gaps:
        lines += ["", "**Ask next**", *(f"- *{e.replace('_', ' ')}*: {md(q)}" for e, q in gaps.items())]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


async def scorecards_markdown(rt: Runtime, transcript_ids: list[int]) -> str:
    groups: dict[str, list[tuple[Transcript, dict[str, StoredResult]]]] = defaultdict(list)
    for t in await rt.transcripts.get_many(transcript_ids):
        key = f"Deal {md(t.deal_id)}" if t.deal_id else f"Transcript {t.id}: {md(t.title)}"
        groups[key].append((t, latest_completed(await rt.results.for_transcript(t.id))))
    sections = []
    for title, calls in groups.items():
        meddpic = [r["meddpic"] for _, r in calls if "meddpic" in r]
        if meddpic:
            confidence = sum(r.confidence or 0 for r in meddpic) / len(meddpic)
            sections.append(_scorecard_md(title, [r.data for r in meddpic if r.data], confidence))
    return "# MEDDPICC scorecards\n\n" + ("\n\n".join(sections) or "No completed MEDDPICC results in this run.")


def scorecard_rich(transcript: Transcript, results: dict[str, StoredResult]) -> Group:
    parts: list[Any] = []
    meddpic = results.get("meddpic")
    if meddpic and meddpic.data:
        table = Table("element", "status", "summary / evidence", title=f"MEDDPICC: {shown(transcript.title)} "
                      f"(confidence {meddpic.confidence:.2f}, {shown(meddpic.model)})", title_justify="left", expand=True)
        for name in MEDDPIC_ELEMENTS:
            element = meddpic.data[name]
            quote = element["evidence"][0] if element["evidence"] else None
            cite = f"\n[dim]“{shown(quote['quote'])}” — {shown(quote.get('speaker') or '?')}[/dim]" if quote else ""
            status = element["status"]
            table.add_row(name.replace("_", " "), f"[{STYLE.get(status, 'default')}]{shown(status)}[/]",
                          shown(element["summary"]) + cite)
        parts.append(table)
    stakeholders = results.get("stakeholder")
    if stakeholders and stakeholders.data:
        people = Table("name", "title", "side", "role", "influence", "sentiment",
                       title=f"Stakeholders (confidence {stakeholders.confidence:.2f})", title_justify="left")
        for p in stakeholders.data["people"]:
            people.add_row(*(shown(v) for v in (p["name"], p.get("title"), p["side"], p["role"].replace("_", " "),
                                                 p["influence"], p["sentiment"])))
        parts.append(people)
    return Group(*parts)
