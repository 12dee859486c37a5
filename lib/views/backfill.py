"""The table `asmis backfill` prints: whole days, inclusive at both ends, so chunks never read as
overlapping; a run of chunks with nothing to do is one line; the totals close the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from rich import box
from rich.table import Table

from lib.run.estimate import ChunkReport


@dataclass
class _Row:
    first: ChunkReport
    last: ChunkReport
    empty: bool
    chunks: int = 1
    transcripts: int = 0
    calls: str = "0"
    tokens: tuple[int, int] = (0, 0)
    cost: Decimal = field(default_factory=Decimal)

    def days(self) -> str:
        return f"{self.first.since:%Y-%m-%d} to {self.last.until - timedelta(days=1):%Y-%m-%d}"


def is_empty(report: ChunkReport) -> bool:
    """Nothing done (run), nothing to do (estimate: skipped without a run), or neither."""
    if report.error is not None:
        return False
    if report.summary is not None:
        return report.summary.claimed == 0 and report.summary.completed + report.summary.failed == 0
    if report.estimate is not None:
        return report.estimate.calls == 0
    return True


def _row(report: ChunkReport) -> _Row:
    row = _Row(report, report, is_empty(report))
    if (s := report.summary) is not None:
        row.transcripts, row.calls = s.claimed, f"{s.completed} ok, {s.failed} failed"
        row.tokens, row.cost = (s.input_tokens, s.output_tokens), s.cost_usd
    elif report.error is not None:
        row.calls = f"[red]failed[/red]: {report.error}"
    elif (e := report.estimate) is not None:
        row.transcripts, row.calls, row.tokens, row.cost = e.transcripts, str(e.calls), (e.input_tokens,
                                                                                        e.output_tokens), e.cost_usd
    return row


def rows(reports: list[ChunkReport]) -> list[_Row]:
    """One row per chunk with work; consecutive empty chunks folded into one row."""
    out: list[_Row] = []
    for report in reports:
        if is_empty(report) and out and out[-1].empty:
            out[-1].last = report
            out[-1].chunks += 1
        else:
            out.append(_row(report))
    return out


def backfill_table(reports: list[ChunkReport], *, dry_run: bool) -> Table:
    table = Table(title="backfill estimate (no LLM called)" if dry_run else "backfill", title_justify="left",
                  show_footer=True, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("days (inclusive)", no_wrap=True)
    for name in ("chunks", "transcripts", "LLM calls", "tokens in/out", "USD"):
        table.add_column(name, justify="right", no_wrap=name != "LLM calls")
    for row in rows(reports):
        table.add_row(row.days(), str(row.chunks), str(row.transcripts), row.calls,
                      f"{row.tokens[0]}/{row.tokens[1]}", f"{row.cost:.2f}", style="dim" if row.empty else None)
    # A run's reports carry the estimate that planned them too: count what was done, not both.
    estimates = [r.estimate for r in reports if r.estimate] if dry_run else []
    summaries = [r.summary for r in reports if r.summary]
    calls = (str(sum(e.calls for e in estimates)) if dry_run else
             f"{sum(s.completed for s in summaries)} ok, {sum(s.failed for s in summaries)} failed")
    tokens_in = sum(e.input_tokens for e in estimates) + sum(s.input_tokens for s in summaries)
    tokens_out = sum(e.output_tokens for e in estimates) + sum(s.output_tokens for s in summaries)
    footers = ["total", str(len(reports)),
               str(sum(e.transcripts for e in estimates) + sum(s.claimed for s in summaries)), calls,
               f"{tokens_in}/{tokens_out}",
               f"{sum((e.cost_usd for e in estimates), Decimal()) + sum((s.cost_usd for s in summaries), Decimal()):.2f}"]
    for column, footer in zip(table.columns, footers, strict=True):
        column.footer = footer
    return table
