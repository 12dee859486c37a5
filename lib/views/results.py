"""`asmis results` in the terminal: one plainly labelled row per result, and one transcript's scorecard."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lib.models import StoredResult, Transcript
from lib.shown import plain, shown
from lib.views.scorecards import latest_completed, scorecard_rich

# A row fits 80 characters; `asmis results ID` shows the whole title and the model, `--json` everything.
TITLE_WIDTH = 24


UNLABELLED_MARK = "!"
UNLABELLED_NOTE = f"{UNLABELLED_MARK} no speaker labels found: stored as one turn (check the file's format)"


def results_table(rows: list[StoredResult]) -> Table:
    """Rows as the repository orders them (transcript, then agent). The JSON's `id` is the result's own.
    A transcript with no speaker labels is marked, and a note under the table says what the mark means."""
    flagged = any(r.transcript_unlabelled for r in rows)
    table = Table(box=None, pad_edge=False, caption=UNLABELLED_NOTE if flagged else None, caption_justify="left")
    for name, width in (("transcript", 10), ("title", TITLE_WIDTH), ("agent", 11), ("status", 9),
                        ("confidence", 10), ("cost $", 6)):
        table.add_column(name, no_wrap=True, min_width=width)
    for r in rows:
        mark = f"{UNLABELLED_MARK} " if r.transcript_unlabelled else ""
        table.add_row(f"#{r.transcript_id}", shown(short_title(mark + plain(r.transcript_title))), shown(r.agent_type),
                      shown(r.status),
                      "" if r.confidence is None else f"{r.confidence:.2f}", f"{r.cost_usd:.3f}")
    return table


def short_title(title: str, width: int = TITLE_WIDTH) -> str:
    """Cut in the middle: calls of one deal often share the start of their titles and differ at the end."""
    if len(title) <= width:
        return title
    head = (width - 1) // 2
    return title[:head].rstrip() + "…" + title[len(title) - (width - 1 - head):].lstrip()


def heading(transcript: Transcript) -> str:
    count = len(transcript.turns)
    turns = f"{count} turn{'s' if count != 1 else ''}" + ("" if transcript.speakers else ", no speaker labels")
    return (f"[bold]#{transcript.id} {shown(transcript.title)}[/bold] ({shown(transcript.format)}, {turns}, "
            f"{transcript.occurred_at:%Y-%m-%d})")


def print_transcript(console: Console, transcript: Transcript, results: list[StoredResult]) -> None:
    """The scorecard and stakeholder map of the latest completed results, as the demo shows them."""
    console.rule(heading(transcript))
    console.print(scorecard_rich(transcript, latest_completed(results)))
