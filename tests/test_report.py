from __future__ import annotations

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.views.scorecards import _scorecard_md, deal_elements


def _analysis(**statuses: str) -> dict[str, object]:
    data: dict[str, object] = {
        name: {"status": statuses.get(name, "missing"), "summary": f"{name} summary",
               "evidence": [{"quote": f"{name} quote", "speaker": "Ana"}] if name in statuses else []}
        for name in MEDDPIC_ELEMENTS}
    data["gaps"] = [{"element": n, "question": f"ask about {n}?"} for n in MEDDPIC_ELEMENTS if n not in statuses]
    return data


def test_a_deal_takes_the_strongest_status_of_its_calls_and_asks_only_what_is_still_open() -> None:
    first = _analysis(metrics="identified", champion="partial")
    second = _analysis(champion="identified", competition="partial")
    merged = deal_elements([first, second])
    assert merged["metrics"]["status"] == "identified" and merged["champion"]["status"] == "identified"
    assert merged["competition"]["status"] == "partial" and merged["economic_buyer"]["status"] == "missing"
    assert len(merged["champion"]["evidence"]) == 2
    markdown = _scorecard_md("Deal D-1", [first, second], 0.5)
    assert "ask about metrics?" not in markdown and "ask about champion?" not in markdown
    assert markdown.count("ask about economic_buyer?") == 1 and "ask about competition?" in markdown
    assert "| metrics | identified | metrics summary |" in markdown
