"""A deal role the MEDDPICC evidence gives a person (champion, economic buyer) is that person's role in the
deal's stakeholder map, the CSV and the CRM fields, with the functional role the calls gave them beside it.

Before: the demo deal's grid said champion `identified since #1` ("Rob Chen is advocating for us
internally") while its stakeholder table showed Rob Chen as `user` and the CSV's champion_name was empty."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.crm.fields import default_fields
from lib.crm.values import deal_values
from lib.deals.calls import DealCall, DealRules
from lib.deals.export import csv_row
from lib.deals.markdown import deals_markdown
from lib.deals.models import DealRollup, StoredDeal
from lib.deals.rollup import build_rollup
from lib.deals.view import deal_view
from tests.test_offline_provider import both, load

START = datetime(2026, 2, 2, 15, tzinfo=UTC)
NOW = START + timedelta(days=30)
EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "examples").iterdir())


def meddpic(**given: tuple[str, str, list[tuple[str, str]]]) -> dict[str, Any]:
    """Every element missing but those given as (status, summary, [(speaker, quote)])."""
    out: dict[str, Any] = {}
    for name in MEDDPIC_ELEMENTS:
        status, summary, quotes = given.get(name, ("missing", "Not discussed on this call.", []))
        out[name] = {"status": status, "summary": summary,
                     "evidence": [{"quote": q, "speaker": s, "start_time": "00:00:10"} for s, q in quotes]}
    out["gaps"] = []
    return out


def person(name: str, role: str, title: str | None = None, side: str = "buyer") -> dict[str, Any]:
    return {"name": name, "title": title, "side": side, "role": role, "influence": "medium",
            "sentiment": "neutral", "evidence": []}


def call(n: int, meddpic_: dict[str, Any], people: list[dict[str, Any]]) -> DealCall:
    return DealCall(transcript_id=n, occurred_at=START + timedelta(days=7 * n), title=f"call {n}", format="txt",
                    meddpic=meddpic_, stakeholders={"people": people, "relationships": []})


def stored(rollup: DealRollup) -> StoredDeal:
    return StoredDeal(deal_id=rollup.deal_id, rollup=rollup, calls=rollup.calls, first_call_at=rollup.first_call_at,
                      last_call_at=rollup.last_call_at, result_ids=[], previous_rollup=None, changed_by=None,
                      updated_at=NOW)


def by_name(rollup: DealRollup) -> dict[str, tuple[str, str]]:
    return {p.name: (p.role, p.functional_role) for p in rollup.stakeholders}


def champion_deal() -> DealRollup:
    """Rob Chen is a user on every call's map; the champion evidence of call 1 names him."""
    team = [person("Rob Chen", "user", "Director of Onboarding"), person("Dana Whitfield", "influencer"),
            person("Jenna Alvarez", "unknown", "Account Executive", side="seller")]
    calls = [call(1, meddpic(champion=("identified", "Rob Chen is advocating for us internally.",
                                       [("Rob Chen", "I've been pushing for this with the ops leads")])), team),
             call(2, meddpic(champion=("partial", "Dana is interested but has not offered to sell it.", [])), team)]
    return build_rollup("OPP-ROLES-1", calls, DealRules(), NOW)


def test_the_champion_the_evidence_names_is_the_champion_with_the_functional_role_beside() -> None:
    rollup = champion_deal()
    assert rollup.elements["champion"].status == "identified"
    assert by_name(rollup) == {"Rob Chen": ("champion", "user"), "Dana Whitfield": ("influencer", "influencer"),
                               "Jenna Alvarez": ("unknown", "unknown")}
    rob = next(p for p in rollup.stakeholders if p.name == "Rob Chen")
    assert rob.role_label() == "champion (user)"


def test_the_stakeholder_table_the_csv_and_the_crm_fields_agree_on_the_champion() -> None:
    rollup = champion_deal()
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(deal_view(stored(rollup)))
    table = console.file.getvalue()  # type: ignore[attr-defined]
    assert any("Rob Chen" in line and "champion (user)" in line for line in table.splitlines()), table
    assert "| Rob Chen | buyer | champion (user) |" in deals_markdown([stored(rollup)], None)
    row = csv_row(stored(rollup))
    assert row["champion"] == "identified" and row["champion_name"] == "Rob Chen"
    for crm in ("salesforce", "hubspot"):
        fields = [f for f in default_fields(crm) if f.key == "champion"]
        value = deal_values(rollup, fields, NOW)[fields[0].name]
        assert value.startswith("identified: Rob Chen is advocating")
        assert value.endswith("\nchampion: Rob Chen (Director of Onboarding; user)")


def test_evidence_naming_another_economic_buyer_moves_the_role() -> None:
    """The maps voted Dana economic buyer; the identified evidence says Karen Liu signs: Karen is the economic
    buyer (her functional role, from the one call that gave her one, beside it) and Dana keeps influencer."""
    calls = [call(1, meddpic(), [person("Dana Whitfield", "economic_buyer", "VP of Operations"),
                                 person("Karen Liu", "influencer", "CFO")]),
             call(2, meddpic(economic_buyer=("identified", "Karen Liu (CFO) owns the budget and signs.",
                                             [("Dana Whitfield", "it is Karen's budget")])),
                  [person("Dana Whitfield", "economic_buyer", "VP of Operations"), person("Dana Whitfield", "influencer"),
                   person("Karen", "economic_buyer")]),
             call(3, meddpic(), [person("Dana Whitfield", "influencer", "VP of Operations")])]
    rollup = build_rollup("OPP-ROLES-2", calls, DealRules(), NOW)
    assert by_name(rollup) == {"Dana Whitfield": ("influencer", "influencer"),
                               "Karen Liu": ("economic_buyer", "influencer")}
    assert csv_row(stored(rollup))["economic_buyer_name"] == "Karen Liu"


def test_a_partial_element_or_a_summary_naming_nobody_leaves_the_votes() -> None:
    calls = [call(1, meddpic(champion=("partial", "Rob Chen might help later.", []),
                             economic_buyer=("identified", "The finance team signs off.", [("Jenna Alvarez", "who signs")])),
                  [person("Rob Chen", "user"), person("Karen Liu", "economic_buyer", "CFO"),
                   person("Jenna Alvarez", "unknown", side="seller")])]
    rollup = build_rollup("OPP-ROLES-3", calls, DealRules(), NOW)
    assert by_name(rollup) == {"Rob Chen": ("user", "user"), "Karen Liu": ("economic_buyer", "unknown"),
                               "Jenna Alvarez": ("unknown", "unknown")}
    assert csv_row(stored(rollup))["champion_name"] == ""


async def test_the_demo_deal_names_rob_chen_champion_and_karen_liu_economic_buyer() -> None:
    """The four example calls through the offline extractor, rolled up as the demo does."""
    calls = []
    for n, name in enumerate(EXAMPLES, start=1):
        found, people = await both(load(f"examples/{name}"))
        calls.append(DealCall(transcript_id=n, occurred_at=START + timedelta(days=7 * n), title=name, format="txt",
                              meddpic=found.model_dump(mode="json"), stakeholders=people.model_dump(mode="json")))
    rollup = build_rollup("ACME-2025-001", calls, DealRules(), NOW)
    assert rollup.elements["champion"].status == "identified"
    roles = by_name(rollup)
    assert roles["Rob Chen"] == ("champion", "user")
    assert roles["Karen Liu"][0] == "economic_buyer"
    row = csv_row(stored(rollup))
    assert (row["champion_name"], row["economic_buyer_name"]) == ("Rob Chen", "Karen Liu")
