"""Deal roll-ups (issue 13) from results stored through the real repositories on a real PostgreSQL.

The fixture deal OPP-LUMEN-7731 has three calls in three formats (WebVTT, plain text, a Gong export whose
CRM context names the Opportunity). Its champion is written "Olivia", "Olivia Grant" and "Grant, Olivia";
a seller is also called Olivia; metrics and the economic buyer are first established on later calls;
the third call lowers several statuses; a competitor is named on the second call only.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from typer.testing import CliRunner

from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.cli.main import app
from lib.db import open_database
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.deals.calls import DealCall, DealRules
from lib.deals.changes import what_changed
from lib.deals.export import write_csv
from lib.deals.markdown import deals_markdown
from lib.deals.people import resolve_people
from lib.deals.refresh import refresh_all_deals, refresh_deals, refresh_deals_of
from lib.deals.rollup import build_rollup
from lib.deals.store import DealRepository
from lib.deals.view import deal_view
from lib.intake.ingest import ingest_paths
from lib.models import AgentResult, AgentType
from lib.prompt_files import sync_prompts
from lib.settings import Settings
from lib.transcripts import parse_file
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import synthetic_transcript

FIXTURES = Path(__file__).parent / "fixtures" / "deals"
CALLS = FIXTURES / "calls"
DEAL = "OPP-LUMEN-7731"
NOW = datetime(2025, 4, 30, tzinfo=UTC)
# The captions carry no date or deal of their own: they come from the ingest flags, as `asmis ingest
# --deal --occurred-at` gives them. The text file has both in its header, the Gong export in its metadata
# and CRM context.
INGEST = [("01-discovery.vtt", DEAL, datetime(2025, 3, 3, 15, 0, tzinfo=UTC)), ("02-demo.txt", None, None),
          ("03-pricing.json", None, None)]
runner = CliRunner()


def stored_data() -> dict[str, dict[str, Any]]:
    return json.loads((FIXTURES / "results.json").read_text())


async def ingest_deal(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    repo = TranscriptRepository(pool)
    ids = {}
    for name, deal, when in INGEST:
        async for item in ingest_paths(repo, [CALLS / name], source="tests", deal_id=deal, occurred_at=when,
                                       max_bytes=settings.ingest_max_bytes):
            assert item.outcome == "ingested" and item.transcript_id, item
            ids[name] = item.transcript_id
    return ids


async def store_results(pool: asyncpg.Pool, ids: dict[str, int], data: dict[str, dict[str, Any]],
                        prompt_ids: dict[AgentType, int]) -> None:
    """Each agent's output, validated by its own schema, saved as the pipeline saves it."""
    schemas = {"meddpic": MeddpicAnalysis, "stakeholder": StakeholderMap}
    results = []
    for name, outputs in data.items():
        for agent_type, output in outputs.items():
            validated = schemas[agent_type].model_validate(output).model_dump(mode="json")
            key = f"{agent_type}:{prompt_ids[agent_type]}:{name}"
            results.append(AgentResult(
                transcript_id=ids[name], agent_type=agent_type, prompt_id=prompt_ids[agent_type],
                input_hash=hashlib.sha256(key.encode()).hexdigest(), status="completed", data=validated,
                confidence=0.8, model="claude-sonnet-5-5", model_requested="claude-sonnet-5-5"))
    await ResultRepository(pool).upsert_many(results)


async def active_prompts(pool: asyncpg.Pool) -> dict[AgentType, int]:
    return {s.prompt.agent_type: s.prompt.id for s in await sync_prompts(PromptRepository(pool))}


async def analysed_deal(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    ids = await ingest_deal(pool, settings)
    await store_results(pool, ids, stored_data(), await active_prompts(pool))
    return ids


def with_ids(value: Any, ids: dict[str, int]) -> Any:
    """The expected files name calls by file ('@02-demo.txt'); put in the ids this database gave them."""
    if isinstance(value, dict):
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, ids) for v in value]
    if isinstance(value, str) and "@" in value:
        for name, transcript_id in ids.items():
            if value == f"@{name}":
                return transcript_id
            value = value.replace(f"@{name}", str(transcript_id))
    return value


RANK = {"missing": 0, "partial": 1, "identified": 2}


def derived(data: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The roll-up's key fields worked out from the stored outputs alone (calls in date order), so the
    golden files captured from output are not the only witness: each element's history is its status
    call by call, its status the best of them, first identified the first call at that best, its
    evidence every call's quotes; the buyer's economic buyer and champion are named in full ("First
    Last", the longest way any call writes it without a comma)."""
    calls = list(data)  # results.json lists them in date order, as INGEST does
    elements: dict[str, Any] = {}
    for element in MeddpicAnalysis.model_fields:
        if element in ("gaps", "next_steps"):
            continue
        statuses = [data[c]["meddpic"][element]["status"] for c in calls]
        best = max(statuses, key=RANK.__getitem__)
        elements[element] = {
            "history": list(zip(calls, statuses, strict=True)), "status": best,
            "first_identified": next((c for c, st in zip(calls, statuses, strict=True) if st == "identified"), None),
            "quotes": {q["quote"] for c in calls for q in data[c]["meddpic"][element]["evidence"]}}

    def full_name(role: str) -> str:
        names = [p["name"] for c in calls for p in data[c]["stakeholder"]["people"]
                 if p["role"] == role and p["side"] == "buyer" and "," not in p["name"]]
        return max(names, key=lambda name: len(name.split()))

    return {"elements": elements, "economic_buyer": full_name("economic_buyer"), "champion": full_name("champion"),
            "identified": sum(e["status"] == "identified" for e in elements.values())}


async def test_the_rollup_of_a_three_call_deal_in_three_formats_is_exact(settings: Settings,
                                                                          pool: asyncpg.Pool) -> None:
    ids = await analysed_deal(pool, settings)
    assert await refresh_deals_of(pool, list(ids.values()), settings, now=NOW) == [DEAL]

    deal = await DealRepository(pool).get(DEAL)
    assert deal is not None
    expected = with_ids(json.loads((FIXTURES / "expected_rollup.json").read_text()), ids)
    assert deal.rollup.model_dump(mode="json") == expected
    # the golden file was captured from output: the key fields are also worked out from the inputs
    want = derived(stored_data())
    for name, element in deal.rollup.elements.items():
        key = want["elements"][name]
        assert [(h.transcript_id, h.status) for h in element.history] == [(ids[c], st) for c, st in key["history"]]
        assert element.status == key["status"], name
        first = element.first_identified.transcript_id if element.first_identified else None
        assert first == (ids[key["first_identified"]] if key["first_identified"] else None), name
        assert {e.quote for e in element.evidence} == key["quotes"], name
    buyers = {p.role: p.name for p in deal.rollup.stakeholders if p.side == "buyer"}
    assert (buyers["economic_buyer"], buyers["champion"]) == (want["economic_buyer"], want["champion"])
    result_ids = await pool.fetch("SELECT id FROM agent_results ORDER BY id")
    assert deal.result_ids == [r["id"] for r in result_ids] and len(deal.result_ids) == 6
    assert (deal.calls, deal.first_call_at, deal.last_call_at) == (
        3, datetime(2025, 3, 3, 15, 0, tzinfo=UTC), datetime(2025, 3, 25, 15, 0, tzinfo=UTC))
    # The points the fixture is built to test, spelled out:
    rollup = deal.rollup
    assert rollup.elements["metrics"].first_identified is not None
    assert rollup.elements["metrics"].first_identified.transcript_id == ids["02-demo.txt"]
    olivia = [p for p in rollup.stakeholders if p.name.startswith("Olivia")]
    assert [(p.name, p.side, p.calls_seen) for p in olivia] == [("Olivia Grant", "buyer", 3),
                                                               ("Olivia Brooks", "seller", 1)]
    assert [w.code for w in rollup.warnings] == ["competitor_named", "paper_process_not_started",
                                                 "no_recent_call", "champion_sentiment_negative"]


async def test_the_csv_export_is_exact(settings: Settings, pool: asyncpg.Pool) -> None:
    ids = await analysed_deal(pool, settings)
    await refresh_deals_of(pool, list(ids.values()), settings, now=NOW)
    out = io.StringIO()
    assert write_csv(await DealRepository(pool).list(), out) == 1
    assert out.getvalue() == (FIXTURES / "expected.csv").read_text()
    # the golden file was captured from output: the key columns are also worked out from the inputs
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    want = derived(stored_data())
    dates = [when.date().isoformat() for (when,) in await pool.fetch(
        "SELECT occurred_at FROM transcripts ORDER BY occurred_at")]
    assert (row["deal_id"], row["calls"], row["first_call_at"], row["last_call_at"]) == (
        DEAL, str(len(ids)), dates[0], dates[-1])
    assert row["elements_identified"] == str(want["identified"])
    assert {name: row[name] for name in want["elements"]} == {n: e["status"] for n, e in want["elements"].items()}
    assert (row["economic_buyer_name"], row["champion_name"]) == (want["economic_buyer"], want["champion"])


async def test_refreshing_twice_gives_the_same_row(settings: Settings, pool: asyncpg.Pool) -> None:
    ids = await analysed_deal(pool, settings)
    assert await refresh_deals(pool, [DEAL], settings, changed_by="run-1", now=NOW) == [DEAL]
    first = dict(await pool.fetchrow("SELECT * FROM deals WHERE deal_id = $1", DEAL))
    assert await refresh_deals(pool, [DEAL], settings, changed_by="run-2", now=NOW) == []
    await refresh_deals_of(pool, list(ids.values()), settings, changed_by="run-3", now=NOW)
    second = dict(await pool.fetchrow("SELECT * FROM deals WHERE deal_id = $1", DEAL))
    assert second == first and first["changed_by"] == "run-1"
    assert await pool.fetchval("SELECT count(*) FROM deals") == 1


async def test_a_later_call_that_lowers_a_status_keeps_the_strongest_and_records_the_change(
        settings: Settings, pool: asyncpg.Pool) -> None:
    ids = await ingest_deal(pool, settings)
    prompts = await active_prompts(pool)
    data = stored_data()
    await store_results(pool, ids, {k: v for k, v in data.items() if k != "03-pricing.json"}, prompts)
    await refresh_deals(pool, [DEAL], settings, changed_by="run-1", now=NOW)
    await store_results(pool, ids, {"03-pricing.json": data["03-pricing.json"]}, prompts)
    assert await refresh_deals(pool, [DEAL], settings, changed_by="run-2", now=NOW) == [DEAL]

    deal = await DealRepository(pool).get(DEAL)
    assert deal is not None and deal.previous_rollup is not None and deal.changed_by == "run-2"
    metrics = deal.rollup.elements["metrics"]
    assert metrics.status == "identified"
    assert [h.status for h in metrics.history] == ["partial", "identified", "partial"]
    assert deal.previous_rollup.elements["metrics"].history[-1].status == "identified"
    assert what_changed(deal.previous_rollup, deal.rollup) == [
        "economic buyer: partial → identified", "new warning: champion_sentiment_negative",
        "new warning: paper_process_not_started", "warning cleared: no_economic_buyer"]

    console = Console(record=True, width=100)
    console.print(deal_view(deal))
    grid = console.export_text()
    metrics_row = next(line for line in grid.splitlines() if line.startswith("│ metrics"))
    assert [cell.strip() for cell in metrics_row.split("│")[2:5]] == ["◐", "▲●", "▼◐"]

    markdown = deals_markdown([deal], "run-2")
    assert "**Changed in this run**: economic buyer: partial → identified;" in markdown
    assert "| economic buyer | identified | #" in markdown and "**partial → identified** |" in markdown
    cells = [cell.strip() for line in markdown.splitlines() if line.startswith("|") for cell in line.split("|")]
    assert max(len(c) for c in cells) <= 30, "table cells stay short; long text goes below the table"
    assert "> “I own the budget for this and I sign anything over fifty thousand” (Helen Cho" in markdown
    assert "No change in this run." in deals_markdown([deal], "another-run")


async def test_after_reprocessing_a_call_with_a_new_prompt_the_rollup_uses_the_newest_results(
        settings: Settings, pool: asyncpg.Pool) -> None:
    ids = await analysed_deal(pool, settings)
    await refresh_deals(pool, [DEAL], settings, now=NOW)
    old_id = await pool.fetchval("SELECT id FROM agent_results WHERE transcript_id = $1 AND agent_type = 'meddpic'",
                                 ids["02-demo.txt"])

    new_prompt, changed = await PromptRepository(pool).activate("meddpic", "MEDDPICC, version two.")
    assert changed
    demo = stored_data()["02-demo.txt"]
    demo["meddpic"]["competition"] = {"status": "partial", "summary": "Another tool was hinted at.",
                                      "evidence": []}
    await store_results(pool, ids, {"02-demo.txt": {"meddpic": demo["meddpic"]}},
                        {"meddpic": new_prompt.id, "stakeholder": 0})
    new_id = await pool.fetchval("SELECT id FROM agent_results WHERE prompt_id = $1", new_prompt.id)
    assert await refresh_deals(pool, [DEAL], settings, now=NOW) == [DEAL]

    deal = await DealRepository(pool).get(DEAL)
    assert deal is not None
    competition = deal.rollup.elements["competition"]
    assert (competition.status, competition.first_identified) == ("partial", None)
    assert competition.summary == "Another tool was hinted at."
    assert "competitor_named" not in [w.code for w in deal.rollup.warnings]
    assert new_id in deal.result_ids and old_id not in deal.result_ids and len(deal.result_ids) == 6


def _call(transcript_id: int, name: str, when: datetime) -> DealCall:
    data = stored_data()[name]
    return DealCall(transcript_id=transcript_id, occurred_at=when, title=name, format="txt",
                    meddpic=data["meddpic"], stakeholders=data["stakeholder"])


def test_no_economic_buyer_and_no_champion_after_n_calls() -> None:
    first = _call(1, "01-discovery.vtt", datetime(2025, 3, 3, tzinfo=UTC))
    assert build_rollup("D", [first], DealRules(), NOW.replace(month=3, day=4)).warnings == []
    strict = DealRules(economic_buyer_calls=1, champion_calls=1, paper_process_calls=1)
    codes = [w.code for w in build_rollup("D", [first], strict, NOW.replace(month=3, day=4)).warnings]
    assert codes == ["no_economic_buyer", "no_champion", "paper_process_not_started"]
    second = _call(2, "02-demo.txt", datetime(2025, 3, 12, tzinfo=UTC))
    both = build_rollup("D", [second, first], DealRules(), NOW.replace(month=3, day=13))
    assert [w.message for w in both.warnings] == ["no economic buyer identified after 2 analysed calls",
                                                  "a competitor is named on call #2 (2025-03-12)"]
    assert [c.transcript_id for c in both.timeline] == [1, 2]


def test_a_call_not_analysed_yet_counts_as_a_call_but_not_as_evidence() -> None:
    analysed = _call(1, "01-discovery.vtt", datetime(2025, 3, 3, tzinfo=UTC))
    pending = DealCall(transcript_id=2, occurred_at=datetime(2025, 3, 12, tzinfo=UTC), title=None, format="vtt")
    rollup = build_rollup("D", [analysed, pending], DealRules(), NOW.replace(month=3, day=13))
    assert (rollup.calls, [c.analysed for c in rollup.timeline]) == (2, [True, False])
    assert [h.transcript_id for h in rollup.elements["metrics"].history] == [1]
    assert rollup.warnings == []  # one analysed call is below every threshold


def test_names_merge_by_identity_whatever_side_a_call_gave() -> None:
    written = [("buyer", "Olivia"), ("buyer", "Olivia Grant"), ("buyer", "Grant, Olivia"), ("buyer", "olivia  grant"),
               ("seller", "Olivia Brooks"), ("unknown", "Dr. Olivia Grant"), ("seller", "Sam"),
               ("seller", "Olivia Grant")]
    people = resolve_people(written)
    grant = ("olivia", "grant")
    assert {name for side, name in written if people[(side, name)] == grant} == {
        "Olivia", "Olivia Grant", "Grant, Olivia", "olivia  grant", "Dr. Olivia Grant"}
    assert people[("seller", "Olivia Grant")] == grant  # a call that put her on the seller side
    assert people[("seller", "Olivia Brooks")] == ("olivia", "brooks")
    assert people[("seller", "Sam")] == ("sam",)
    # Two Olivias on one side: a lone "Olivia" could be either, so it stays apart.
    ambiguous = resolve_people([("buyer", "Olivia"), ("buyer", "Olivia Grant"), ("buyer", "Olivia Park")])
    assert ambiguous[("buyer", "Olivia")] == ("olivia",)


def _person(name: str, side: str, role: str, title: str | None = None) -> dict[str, Any]:
    return {"name": name, "title": title, "side": side, "role": role, "influence": "unknown",
            "sentiment": "unknown", "evidence": []}


def _people_call(transcript_id: int, day: int, people: list[dict[str, Any]]) -> DealCall:
    data = stored_data()["01-discovery.vtt"]
    return DealCall(transcript_id=transcript_id, occurred_at=datetime(2025, 3, day, tzinfo=UTC), title=None,
                    format="txt", meddpic=data["meddpic"], stakeholders={"people": people, "relationships": []})


def test_one_person_on_three_sides_is_one_stakeholder_with_the_side_most_calls_agree_on() -> None:
    """The held-out case: the same full name as buyer, seller and unknown on three calls."""
    calls = [_people_call(1, 3, [_person("Dana Reyes", "buyer", "champion")]),
             _people_call(2, 10, [_person("Dana Reyes", "seller", "unknown")]),
             _people_call(3, 17, [_person("Dana Reyes", "unknown", "champion"),
                                  _person("Theo Park", "buyer", "user")]),
             _people_call(4, 24, [_person("Dana Reyes", "buyer", "influencer")])]
    rollup = build_rollup("D", calls, DealRules(), datetime(2025, 3, 25, tzinfo=UTC))
    dana = [p for p in rollup.stakeholders if p.name == "Dana Reyes"]
    # buyer on calls 1 and 4, seller on 2: buyer; champion on calls 1 and 3, influencer once: champion.
    assert [(p.side, p.role, p.calls_seen) for p in dana] == [("buyer", "champion", 4)]
    conflicts = [w for w in rollup.warnings if w.code == "side_conflict"]
    assert [w.message for w in conflicts] == [
        "Dana Reyes: buyer on call #1 (2025-03-03); seller on call #2 (2025-03-10); buyer on call #4 "
        "(2025-03-24) (the deal says buyer)"]
    theo = next(p for p in rollup.stakeholders if p.name == "Theo Park")
    assert (theo.side, theo.role) == ("buyer", "user")


def test_a_budget_holder_is_the_economic_buyer_over_the_most_frequent_one() -> None:
    calls = [_people_call(1, 3, [_person("Dana Reyes", "buyer", "economic_buyer"),
                                 _person("Karen Liu", "buyer", "economic_buyer", "CFO")]),
             _people_call(2, 10, [_person("Dana Reyes", "buyer", "economic_buyer"),
                                  _person("Karen Liu", "buyer", "influencer", "CFO")]),
             _people_call(3, 17, [_person("Dana Reyes", "buyer", "influencer")])]
    rollup = build_rollup("D", calls, DealRules(), datetime(2025, 3, 18, tzinfo=UTC))
    roles = {p.name: p.role for p in rollup.stakeholders}
    assert roles == {"Karen Liu": "economic_buyer", "Dana Reyes": "influencer"}
    # Without a budget title anywhere, the most frequent role stands.
    plain = [_people_call(c.transcript_id, c.occurred_at.day, [
        {**p, "title": None} for p in (c.stakeholders or {})["people"]]) for c in calls]
    roles = {p.name: p.role for p in build_rollup("D", plain, DealRules(), datetime(2025, 3, 18, tzinfo=UTC)).stakeholders}
    assert roles == {"Dana Reyes": "economic_buyer", "Karen Liu": "influencer"}


def test_csv_cells_a_spreadsheet_would_run_are_escaped(settings: Settings) -> None:
    from lib.deals.export import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "plain", "")] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", ""]


def test_the_csv_export_escapes_a_formula_a_call_gave() -> None:
    from lib.deals.models import StoredDeal

    evil = "=cmd|' /C calc'!A0"
    calls = [_people_call(1, 3, [_person(evil, "buyer", "champion")])]
    rollup = build_rollup("-1 OPP", calls, DealRules(), datetime(2025, 3, 4, tzinfo=UTC))
    stored = StoredDeal(deal_id=rollup.deal_id, rollup=rollup, calls=1, first_call_at=rollup.first_call_at,
                        last_call_at=rollup.last_call_at, result_ids=[], previous_rollup=None, changed_by=None,
                        updated_at=datetime(2025, 3, 4, tzinfo=UTC))
    out = io.StringIO()
    write_csv([stored], out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["champion_name"], row["deal_id"]) == ("'" + evil, "'-1 OPP")
    assert row["calls"] == "1"  # a cell that does not start like a formula is as it was


def test_a_gong_opportunity_sets_the_deal_id() -> None:
    parsed = parse_file(CALLS / "03-pricing.json", max_bytes=1 << 20)
    assert (parsed.metadata["deal_id"], parsed.metadata["crm_system"]) == (DEAL, "Salesforce")
    document = json.loads((CALLS / "03-pricing.json").read_text())
    document["context"][0]["objects"].append({"objectType": "Opportunity", "objectId": "OPP-OTHER"})
    from lib.transcripts.gong import parse_gong

    assert parse_gong(document).metadata["deal_id"] == DEAL
    assert "linked to 2 opportunities" in " ".join(parse_gong(document).warnings)
    del document["context"]
    assert "deal_id" not in parse_gong(document).metadata


async def test_an_explicit_deal_wins_over_the_gong_opportunity(settings: Settings, pool: asyncpg.Pool) -> None:
    repo = TranscriptRepository(pool)
    items = [item async for item in ingest_paths(repo, [CALLS / "03-pricing.json"], source="tests",
                                                 deal_id="OVERRIDE-1", max_bytes=settings.ingest_max_bytes)]
    assert items[0].transcript_id is not None
    transcript = await repo.get(items[0].transcript_id)
    assert transcript is not None and transcript.deal_id == "OVERRIDE-1"


def _prepare(settings: Settings) -> dict[str, int]:
    async def go() -> dict[str, int]:
        async with open_database(settings) as pool:
            return await analysed_deal(pool, settings)

    return asyncio.run(go())


def test_asmis_deals_lists_shows_exports_and_refuses_an_unknown_deal(settings: Settings, tmp_path: Path) -> None:
    ids = _prepare(settings)
    empty = runner.invoke(app, ["deals"])
    assert empty.exit_code == 0 and "no deals yet" in empty.output

    listed = runner.invoke(app, ["deals", "--refresh", "--json"])
    assert listed.exit_code == 0, listed.output
    [line] = json.loads(listed.output)
    assert (line["deal_id"], line["calls"], line["elements_identified"]) == (DEAL, 3, 7)
    assert line["warnings"] == ["competitor_named", "paper_process_not_started", "no_recent_call",
                                "champion_sentiment_negative"]

    shown = runner.invoke(app, ["deals", DEAL, "--json"])
    expected = with_ids(json.loads((FIXTURES / "expected_rollup.json").read_text()), ids)
    assert shown.exit_code == 0 and json.loads(shown.output) == expected

    grid = runner.invoke(app, ["deals", DEAL])
    assert grid.exit_code == 0 and "MEDDPICC by call (7/8 identified)" in grid.output
    words = " ".join(grid.output.split())
    assert "champion_sentiment_negative champion Olivia Grant turned negative on call" in words

    csv_file = tmp_path / "deals.csv"
    exported = runner.invoke(app, ["deals", "--csv", str(csv_file)])
    assert exported.exit_code == 0 and csv_file.read_text() == (FIXTURES / "expected.csv").read_text()

    missing = runner.invoke(app, ["deals", "NO-SUCH-DEAL"])
    assert missing.exit_code == 1 and "NO-SUCH-DEAL" in missing.output


async def test_a_flow_run_refreshes_its_deals_and_publishes_their_rollups(
        flow_settings: Settings, pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    from flows.process import process_transcripts

    repo = TranscriptRepository(pool)
    for i, deal in enumerate(["FLOW-A", "FLOW-A", "FLOW-B", None]):
        await repo.add(synthetic_transcript(100 + i).model_copy(update={"deal_id": deal}))
    await sync_prompts(PromptRepository(pool))
    summary = await process_transcripts()
    assert summary.completed == 8

    deals = {d.deal_id: d for d in await DealRepository(pool).list()}
    assert sorted(deals) == ["FLOW-A", "FLOW-B"]
    assert (deals["FLOW-A"].calls, deals["FLOW-B"].calls) == (2, 1)
    assert {d.changed_by for d in deals.values()} == {summary.run_id}
    stored = await pool.fetch("SELECT r.id FROM agent_results r JOIN transcripts t ON t.id = r.transcript_id"
                              " WHERE t.deal_id = 'FLOW-A' ORDER BY r.id")
    assert deals["FLOW-A"].result_ids == [r["id"] for r in stored]
    async with get_client() as client:
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["deal-rollups"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[uuid.UUID(summary.run_id)])))
    [artifact] = artifacts
    assert "## Deal FLOW-A" in str(artifact.data) and "## Deal FLOW-B" in str(artifact.data)
    assert "**Changed in this run**: new deal: 2 calls" in str(artifact.data)


async def test_the_demo_samples_are_one_deal_in_call_order_and_the_demo_shows_its_grid(
        settings: Settings, pool: asyncpg.Pool) -> None:
    from lib.cli.app import EXAMPLES_DIR
    from lib.cli.demo import DEMO_DEAL, prepare_demo, show_deal

    console = Console(record=True, width=100)
    ids = await prepare_demo(settings, console, EXAMPLES_DIR)
    transcripts = await TranscriptRepository(pool).get_many(ids)
    assert {t.deal_id for t in transcripts} == {DEMO_DEAL} and len(transcripts) == 4
    by_date = sorted(transcripts, key=lambda t: t.occurred_at)
    assert [t.metadata["file_name"] for t in by_date] == sorted(p.name for p in EXAMPLES_DIR.iterdir())
    await show_deal(pool, settings, console, DEMO_DEAL)
    shown = console.export_text()
    assert f"deal {DEMO_DEAL} across its 4 calls" in shown and "(0/8 identified)" in shown


async def test_concurrent_refreshes_of_one_deal_take_turns(settings: Settings, pool: asyncpg.Pool) -> None:
    await analysed_deal(pool, settings)
    first, second = await asyncio.gather(refresh_deals(pool, [DEAL], settings, changed_by="a", now=NOW),
                                         refresh_deals(pool, [DEAL], settings, changed_by="b", now=NOW))
    assert sorted([first, second]) == [[], [DEAL]]  # one built the row, the other found it up to date
    deal = await DealRepository(pool).get(DEAL)
    assert deal is not None and deal.previous_rollup is None and deal.changed_by == ("a" if first else "b")


async def test_refreshing_every_deal_follows_relabelled_calls(settings: Settings, pool: asyncpg.Pool) -> None:
    ids = await analysed_deal(pool, settings)
    await refresh_all_deals(pool, settings, now=NOW)
    await pool.execute("UPDATE transcripts SET deal_id = 'OPP-RENAMED' WHERE id = $1", ids["03-pricing.json"])
    await pool.execute("UPDATE transcripts SET deal_id = NULL WHERE id <> $1", ids["03-pricing.json"])
    assert await refresh_all_deals(pool, settings, now=NOW) == ["OPP-RENAMED"]
    deals = await DealRepository(pool).list()
    assert [(d.deal_id, d.calls) for d in deals] == [("OPP-RENAMED", 1)]
