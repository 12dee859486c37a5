"""`asmis results` in the terminal: one plainly labelled row per result, and one transcript's scorecard."""

from __future__ import annotations

from datetime import UTC

from rich.console import Console
from rich.table import Table

from lib.models import StoredResult, Transcript
from lib.report import latest_completed, scorecard_rich


def results_table(rows: list[StoredResult]) -> Table:
    """Rows as the repository orders them (transcript, then agent); `result` is the JSON's `id`."""
    table = Table("transcript", "title", "agent", "result", "status", "confidence", "model", "prompt", "tokens",
                  "cost $", "updated (UTC)", box=None)
    for r in rows:
        table.add_row(f"#{r.transcript_id}", r.transcript_title or "", r.agent_type, str(r.id), r.status,
                      "" if r.confidence is None else f"{r.confidence:.2f}", r.model, r.prompt_version or "",
                      str(r.input_tokens + r.output_tokens), f"{r.cost_usd:.3f}",
                      f"{r.updated_at.astimezone(UTC):%Y-%m-%d %H:%M}")
    return table


def heading(transcript: Transcript) -> str:
    return (f"[bold]#{transcript.id} {transcript.title}[/bold] ({transcript.format}, {len(transcript.turns)} turns, "
            f"{transcript.occurred_at:%Y-%m-%d})")


def print_transcript(console: Console, transcript: Transcript, results: list[StoredResult]) -> None:
    """The scorecard and stakeholder map of the latest completed results, as the demo shows them."""
    console.rule(heading(transcript))
    console.print(scorecard_rich(transcript, latest_completed(results)))
