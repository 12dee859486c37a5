"""The offline extractor's champion and economic buyer on five calls written to phrase those roles in
varied ways ("she controls the budget", "I'll sell it upstairs", ...): the 'roles_varied' set of
tests/fixtures/offline_expectations.json. `pytest -s` prints the set's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_offline_provider import (
    EXPECTATIONS,
    MINIMUM,
    Score,
    both,
    load,
    report,
    same_name,
    score,
    transcript_from_turns,
)

VARIED = [e for e in EXPECTATIONS if e["set"] == "roles_varied"]
ROLES = ("economic_buyer", "champion")


def test_the_set_has_five_calls_in_four_formats() -> None:
    assert len(VARIED) == 5
    assert len({Path(e["file"]).suffix for e in VARIED}) == 4


@pytest.mark.parametrize("expectation", VARIED, ids=lambda e: Path(e["file"]).stem)
async def test_champion_and_economic_buyer_are_found(expectation: dict[str, Any]) -> None:
    _, stakeholders = await both(load(expectation["file"]))
    for role in ROLES:
        found = [p.name for p in stakeholders.people if p.role == role]
        assert len(found) == 1 and any(same_name(found[0], name) for name in expectation[role]), (role, found)


async def test_figures_for_the_set() -> None:
    """Role recall per role, and the set's other figures, printed; every role must be found."""
    scores = {kind: Score() for kind in MINIMUM}
    titles = Score()
    by_role = {role: Score() for role in ROLES}
    for expectation in VARIED:
        await score(expectation, scores, titles)
        _, stakeholders = await both(load(expectation["file"]))
        for role in ROLES:
            found = [p.name for p in stakeholders.people if p.role == role]
            by_role[role].add(found, [expectation[role]], lambda p, e: any(same_name(p, n) for n in e),
                              Path(expectation["file"]).stem)
    report("roles_varied", scores, titles)
    for role, item in by_role.items():
        print(f"  {role:14s} found in {item.tp} of {len(VARIED)} calls (fp {item.fp})")
    assert all(item.recall == 1.0 for item in by_role.values()), {r: s.misses for r, s in by_role.items()}


HOST = ("Kim Osei", "Thanks for taking the call, I'm the account executive at Fluxio. Walk me through your setup?")


@pytest.mark.parametrize(("lines", "economic_buyer", "champion"), [
    ([("Hugo Brandt", "I manage the warehouse team. This comes out of Marta's budget, she's the one who approves "
                      "new tools."), ("Hugo Brandt", "Marta Lindgren is our operations VP.")],
     "Marta Lindgren", None),
    ([("Ola Berg", "We struggle with our spreadsheets. Last year's budget was cut, so money is tight."),
      ("Ola Berg", "Honestly I'm the one driving this evaluation internally.")], None, "Ola Berg"),
    ([("Ines Duarte", "Our CEO, Tomas Reyes, has the last word on software."),
      ("Ines Duarte", "I can be your internal champion on this.")], "Tomas Reyes", "Ines Duarte"),
])
async def test_cue_families_on_phrasings_of_their_own(lines: list[tuple[str, str]], economic_buyer: str | None,
                                                      champion: str | None) -> None:
    """Short calls written after the rules, one cue family each; 'last year's budget' is no one's."""
    turns = [{"speaker": speaker, "text": text} for speaker, text in [HOST, *lines]]
    _, stakeholders = await both(transcript_from_turns(turns))
    roles = {p.role: p.name for p in stakeholders.people}
    assert (roles.get("economic_buyer"), roles.get("champion")) == (economic_buyer, champion)
