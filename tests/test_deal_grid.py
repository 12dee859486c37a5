"""Issue 23, item 6: the deal grid fits the terminal: the newest calls that fit, a `+N earlier` column,
the deal column always, the legend wrapped on words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.deals.models import CallRef, DealElement, DealRollup, StatusOnCall, TimelineCall
from lib.deals.view import LEGEND, ElementGrid

CYCLE = ("missing", "partial", "identified")


def _rollup(calls: int) -> DealRollup:
    start = datetime(2025, 9, 1, 15, tzinfo=UTC)
    timeline = [TimelineCall(transcript_id=100 + i, occurred_at=start + timedelta(days=7 * i), title=f"call {i}",
                             format="vtt", analysed=True) for i in range(calls)]
    elements = {}
    for n, name in enumerate(MEDDPIC_ELEMENTS):
        history = [StatusOnCall(transcript_id=c.transcript_id, occurred_at=c.occurred_at,
                                status=CYCLE[(n + i) % 3]) for i, c in enumerate(timeline)]  # type: ignore[arg-type]
        first = next((h for h in history if h.status == "identified"), None)
        elements[name] = DealElement(
            status="identified" if first else "partial", summary="", history=history,
            first_identified=CallRef(transcript_id=first.transcript_id, occurred_at=first.occurred_at) if first else None)
    return DealRollup(deal_id="ACME-2025-001", calls=calls, first_call_at=timeline[0].occurred_at,
                      last_call_at=timeline[-1].occurred_at, elements=elements, stakeholders=[], warnings=[],
                      next_questions=[], timeline=timeline)


def _render(rollup: DealRollup, width: int = 80) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(ElementGrid(rollup))
    return console.export_text().rstrip("\n").splitlines()


def test_a_deal_with_many_calls_fits_80_columns_with_its_newest_calls_and_the_deal_column() -> None:
    rollup = _rollup(9)
    lines = _render(rollup)
    assert max(len(line) for line in lines) <= 80
    header = "\n".join(lines[:6])
    assert "deal" in header and "earlier" in header
    shown = [c.transcript_id for c in rollup.timeline if f"#{c.transcript_id}" in header]
    assert shown and shown == [c.transcript_id for c in rollup.timeline][-len(shown):]  # the newest, in order
    assert f"+{9 - len(shown)}" in header
    assert "#108" in header and "#100" not in header
    # The deal column is whole on every element row.
    rows = [line for line in lines if line.startswith("│ ")]
    assert len(rows) == 8 and all(row.rstrip().endswith("│") for row in rows)
    assert any("identified since #10" in row for row in rows)


def test_the_legend_wraps_on_words() -> None:
    lines = _render(_rollup(9))
    legend_at = next(i for i, line in enumerate(lines) if line.startswith("● identified"))
    legend = lines[legend_at:]
    assert " ".join(" ".join(legend).split()) == " ".join(LEGEND.split())
    assert all(word in LEGEND.split() for line in legend for word in line.split())


def test_the_earlier_column_holds_the_best_status_of_the_hidden_calls_and_marks_still_compare_to_them() -> None:
    rollup = _rollup(9)
    lines = _render(rollup, width=60)
    metrics = next(line for line in lines if line.startswith("│ metrics"))
    cells = [cell.strip() for cell in metrics.split("│")[1:-1]]
    assert cells[1] == "●"  # among the hidden calls metrics was identified once
    # The first call shown is compared with the last hidden one, not shown as unchanged.
    assert cells[2][0] in "▲▼"


def test_few_calls_show_every_call_and_no_earlier_column() -> None:
    lines = _render(_rollup(3))
    text = "\n".join(lines)
    assert "earlier" not in text and all(f"#{i}" in text for i in (100, 101, 102))
    wide = "\n".join(_render(_rollup(9), width=160))
    assert "earlier" not in wide and "#100" in wide


def test_asmis_deals_view_of_a_nine_call_deal_fits_80_columns() -> None:
    """Through `deal_view`, what `asmis deals ID` prints: before the fix the deal column and the newest
    call were cropped and the legend ended mid-word."""
    from lib.deals.models import StoredDeal
    from lib.deals.view import deal_view

    rollup = _rollup(9)
    deal = StoredDeal(deal_id=rollup.deal_id, rollup=rollup, calls=9, first_call_at=rollup.first_call_at,
                      last_call_at=rollup.last_call_at, result_ids=[], previous_rollup=None, changed_by=None,
                      updated_at=datetime(2025, 11, 1, tzinfo=UTC))
    console = Console(width=80, record=True, color_system=None)
    console.print(deal_view(deal))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    header = "\n".join(lines[1:6])
    assert "deal" in header and "#108" in header and "earlier" in header
    assert "changed since the call" in "\n".join(lines) and not any(line.endswith("cha") for line in lines)
