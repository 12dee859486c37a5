"""Deal roll-ups in the terminal (Rich): a line per deal, or one deal's element-by-call grid."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from lib.deals.models import DealRollup, StoredDeal
from lib.deals.rollup import RANK
from lib.models import json_time
from lib.shown import shown

STYLE = {"identified": "green", "partial": "yellow", "missing": "red"}
# One character per call keeps the grid narrow; the newest calls that fit the terminal are shown.
SYMBOL = {"identified": "●", "partial": "◐", "missing": "○"}
LEGEND = "● identified  ◐ partial  ○ missing  · not analysed  ▲▼ changed since the call before"


def deals_table(deals: list[StoredDeal]) -> Table:
    table = Table("deal", "calls", "last call", "identified", "warnings", title="deals", title_justify="left")
    for d in deals:
        r = d.rollup
        table.add_row(shown(r.deal_id), str(r.calls), f"{r.last_call_at:%Y-%m-%d}" if r.last_call_at else "",
                      f"{r.identified()}/8", ", ".join(w.code for w in r.warnings) or "-")
    return table


def deal_summary(deal: StoredDeal) -> dict[str, Any]:
    """The line `asmis deals --json` prints per deal."""
    r = deal.rollup
    return {"deal_id": r.deal_id, "calls": r.calls, "first_call_at": json_time(r.first_call_at),
            "last_call_at": json_time(r.last_call_at), "elements_identified": r.identified(),
            "warnings": [w.code for w in r.warnings], "updated_at": json_time(deal.updated_at)}


class ElementGrid:
    """The element-by-call grid fitted to the width it is drawn in: the newest calls that fit, and a
    `+N earlier` column for the others; the element and deal columns always show; the legend below
    wraps on words."""

    def __init__(self, rollup: DealRollup) -> None:
        self.rollup = rollup

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fits = len(self.rollup.timeline)
        table = element_grid(self.rollup, fits)
        unbounded = options.update_width(10_000)  # a table measures its natural width only when given room
        while fits > 1 and Measurement.get(console, unbounded, table).maximum > options.max_width:
            fits -= 1
            table = element_grid(self.rollup, fits)
        yield table
        yield Text(LEGEND)


def element_grid(rollup: DealRollup, newest: int | None = None) -> Table:
    """Rows are elements, columns the deal's `newest` calls (all by default; oldest first), after a
    `+N earlier` column with the best status the earlier calls had; ▲/▼ marks a status that changed from
    the call before, · a call not analysed yet; the last column is the deal's status and since when."""
    calls = rollup.timeline
    earlier = calls[:len(calls) - newest] if newest is not None and newest < len(calls) else []
    table = Table(title=f"Deal {shown(rollup.deal_id)}: MEDDPICC by call ({rollup.identified()}/8 identified)",
                  title_justify="left")
    table.add_column("element", no_wrap=True)
    if earlier:
        table.add_column(f"+{len(earlier)}\nearlier", justify="center", no_wrap=True)
    for call in calls[len(earlier):]:
        table.add_column(f"#{call.transcript_id}\n{call.occurred_at:%m-%d}\n{call.format}", justify="center",
                         min_width=5, no_wrap=True)
    table.add_column("deal", no_wrap=True)
    hidden = {c.transcript_id for c in earlier}
    for name, element in rollup.elements.items():
        on_call = {h.transcript_id: h.status for h in element.history}
        cells: list[Text | str] = [name.replace("_", " ")]
        if earlier:
            before: list[str] = [on_call[i] for i in hidden if i in on_call]
            best = max(before, key=lambda status: RANK[status]) if before else None
            cells.append(Text(SYMBOL[best], style=STYLE[best]) if best else Text("·", style="dim"))
        previous: str | None = None
        for call in calls:
            status = on_call.get(call.transcript_id)
            if status is None:
                if call.transcript_id not in hidden:
                    cells.append(Text("·", style="dim"))
                continue
            mark = "" if previous in (None, status) else ("▲" if RANK[status] > RANK[previous or status] else "▼")
            if call.transcript_id not in hidden:
                cells.append(Text(mark + SYMBOL[status], style=STYLE[status]))
            previous = status
        first = element.first_identified
        since = f" since #{first.transcript_id}" if first else ""
        cells.append(Text(element.status + since, style=f"bold {STYLE[element.status]}"))
        table.add_row(*cells)
    return table


def deal_view(deal: StoredDeal) -> Group:
    rollup = deal.rollup
    parts: list[Any] = [ElementGrid(rollup)]
    if rollup.stakeholders:
        # Six columns fit 80: influence and sentiment share one; `--json` has first_seen_at too.
        people = Table(title="Stakeholders across the deal", title_justify="left", box=box.SIMPLE_HEAD)
        people.add_column("name", no_wrap=True)
        for header in ("title", "side"):
            people.add_column(header)
        people.add_column("role", min_width=12)  # `economic buyer (influencer)` wraps, never cut: (influencer) whole
        people.add_column("influence/\nsentiment", no_wrap=True)
        people.add_column("calls")
        for p in rollup.stakeholders:
            people.add_row(shown(p.name), shown(p.title), shown(p.side), shown(p.role_label()),
                           shown(f"{p.influence}/{p.sentiment}"),
                           str(p.calls_seen))
        parts.append(people)
    parts.append(_listing("Warnings", [(w.code, w.message) for w in rollup.warnings] or [("none", "")], "red"))
    if rollup.next_questions:
        parts.append(_listing("Ask next", [(q.element.replace("_", " "), q.question) for q in rollup.next_questions]))
    return Group(*parts)


def _listing(title: str, rows: list[tuple[str, str]], style: str = "") -> Table:
    """A titled two-column list whose long second column wraps under itself."""
    table = Table.grid(padding=(0, 2))
    table.title, table.title_justify, table.title_style = title, "left", "bold"
    table.add_column(style=style, no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(shown(key), shown(text))
    return table
