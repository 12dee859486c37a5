"""Deal roll-ups as a Prefect markdown artifact. Prefect's classic UI does not wrap table cells, so the
tables hold only short cells; summaries and quotes follow them as paragraphs."""

from __future__ import annotations

from lib.deals.changes import element_changes, what_changed
from lib.deals.models import DealElement, StoredDeal
from lib.shown import md
from lib.words import count


def deals_markdown(deals: list[StoredDeal], run_id: str | None) -> str:
    """One section per deal; what `run_id` changed is marked."""
    if not deals:
        return "# Deal roll-ups\n\nNo deal among this run's calls."
    return "# Deal roll-ups\n\n" + "\n\n".join(_deal(d, run_id) for d in deals)


def _deal(deal: StoredDeal, run_id: str | None) -> str:
    rollup = deal.rollup
    changed_here = run_id is not None and deal.changed_by == run_id
    before = deal.previous_rollup if changed_here else rollup
    moved = element_changes(before, rollup) if changed_here else {}
    span = (f", {rollup.first_call_at:%Y-%m-%d} to {rollup.last_call_at:%Y-%m-%d}"
            if rollup.first_call_at and rollup.last_call_at else "")
    lines = [f"## Deal {_cell(rollup.deal_id)}", "",
             f"{count(rollup.calls, 'call')}{span}; {rollup.identified()}/8 elements identified.", ""]
    changes = what_changed(deal.previous_rollup, rollup) if changed_here else []
    lines += ["**Changed in this run**: " + "; ".join(changes) if changes else "No change in this run.", ""]
    lines += ["| element | status | since | this run |", "|---|---|---|---|"]
    for name, element in rollup.elements.items():
        mark = f"**{moved[name]}**" if name in moved else ""
        lines.append(f"| {name.replace('_', ' ')} | {element.status} | {_since(element)} | {mark} |")
    if rollup.warnings:
        lines += ["", "**Warnings**", *(f"- `{w.code}`: {_line(w.message)}" for w in rollup.warnings)]
    if rollup.stakeholders:
        lines += ["", "| person | side | role | sentiment | calls |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(p.name)} | {_cell(p.side)} | {_cell(p.role_label())} | {_cell(p.sentiment)} | "
                  f"{p.calls_seen} |"
                  for p in rollup.stakeholders]
    if rollup.next_questions:
        lines += ["", "**Ask next**",
                  *(f"- *{q.element.replace('_', ' ')}*: {_line(q.question)}" for q in rollup.next_questions)]
    lines += ["", "### Summaries and evidence", ""]
    lines += [_details(name, element) for name, element in rollup.elements.items()]
    return "\n".join(lines)


def _since(element: DealElement) -> str:
    first = element.first_identified
    return f"#{first.transcript_id} {first.occurred_at:%Y-%m-%d}" if first else ""


def _details(name: str, element: DealElement) -> str:
    lines = [f"**{name.replace('_', ' ')}** ({element.status}): {_line(element.summary)}", ""]
    for e in element.evidence:
        at = f" at {e.start_ms // 60000}:{e.start_ms // 1000 % 60:02d}" if e.start_ms is not None else ""
        lines += [f"> “{_line(e.quote)}” ({_line(e.speaker or '?')}, call #{e.transcript_id}{at})", ""]
    return "\n".join(lines)


def _line(text: str) -> str:
    return " ".join(md(text).split())


def _cell(text: str) -> str:
    return _line(text).replace("|", "\\|")[:60]
