"""What `asmis pull` and `asmis sources` print, and the pull summary artifact (Markdown)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from lib.intake.pull import SourceReport
from lib.shown import md, plain, shown
from lib.words import count


def pull_lines(reports: list[SourceReport]) -> list[str]:
    """A line per source (its counts, or why it failed) and a line per refused item."""
    lines = []
    width = max((len(r.source) for r in reports), default=0)
    for r in reports:
        if r.error:
            lines.append(f"[red]failed[/red]  {shown(r.source):{width}}  {shown(r.error)}")
            continue
        counts = "  ".join(f"{k} {v}" for k, v in r.counts().items())
        lines.append(f"[green]ok[/green]      {shown(r.source):{width}}  {counts}  "
                     f"[dim]({r.listed} listed, {count(r.requests, 'request')}, {r.seconds:.1f} s)[/dim]")
    for r in reports:
        lines += [f"[yellow]refused[/yellow] {shown(r.source)}{shown(item.external_id)}: {shown(item.reason)}"
                  + (" [dim](as before: unchanged since)[/dim]" if item.earlier else "") for item in r.refused]
    return lines


def pull_markdown(reports: list[SourceReport]) -> str:
    """The pull-transcripts flow's summary artifact: counts per source, refused items by id (never content)."""
    rows = ["| source | new | changed | already stored | pending | refused | unchanged | requests | error |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in reports:
        c = r.counts()
        rows.append(f"| `{md(r.source)}` | {c['new']} | {c['changed']} | {c['already stored']} | {c['pending']} | "
                    f"{c['refused']} | {c['unchanged']} | {r.requests} | {md(r.error or '').replace('|', '/')} |")
    refused = [f"- `{md(r.source)}{md(i.external_id)}`: {md(i.reason)}" for r in reports for i in r.refused]
    return "\n".join(rows + (["", "Refused:", *refused] if refused else []))


def sources_table(sources: list[dict[str, Any]]) -> Group:
    """A block per source: its URL on a line of its own, then its times and counts, so that at 80 columns
    no date is split and a long URL folds alone."""
    blocks: list[Any] = []
    for s in sources:
        result = ("never pulled" if s["last_pull_at"] is None else
                  f"[red]{shown(s['last_error'])}[/red]" if s["last_error"] else
                  shown(", ".join(f"{k} {v}" for k, v in s["last_counts"].items() if v) or "nothing"))
        items = s["items"]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("newest seen", _short(s["high_water"]))
        grid.add_row("last pull", f"{_short(s['last_pull_at'])}: {result}" if s["last_pull_at"] else result)
        grid.add_row("items", f"{items['stored']} stored, {items['pending']} pending, {items['refused']} refused")
        blocks += [Text(plain(s["source"]), style="bold", overflow="fold"), Padding(grid, (0, 0, 0, 2))]
    return Group(*blocks)


def open_item_lines(sources: list[dict[str, Any]]) -> list[str]:
    lines = []
    for s in sources:
        lines += [f"pending {shown(s['source'])}{shown(p['external_id'])} (listed {_short(p['since'])}, tried {p['attempts']}x)"
                  for p in s["pending"]]
        lines += [f"refused {shown(s['source'])}{shown(r['external_id'])}: {shown(r['reason'])}" for r in s["refused"]]
    return lines


def _short(stamp: str | None) -> str:
    return stamp[:16].replace("T", " ") if stamp else "-"
