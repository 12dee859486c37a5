"""CRM write-back to HubSpot (issue 20): hubspot-api-client (urllib3) against a fake CRM v3 API on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings
from tests.crm_helpers import edit_rollup, fetch, prepare_deals, push, rollup_of
from tests.fake_http import Reply
from tests.fake_hubspot import TOKEN, FakeHubSpot, rate_limited
from tests.test_deals import DEAL

runner = CliRunner()
ID = "20250331"  # HubSpot record ids are numbers
PROPS = [f"meddpicc_{k}" for k in ("metrics", "economic_buyer", "decision_criteria", "decision_process",
                                   "paper_process", "identified_pain", "champion", "competition", "score",
                                   "warnings", "updated_at")]


def hubspot_fixture(monkeypatch: pytest.MonkeyPatch, fake: FakeHubSpot) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_CRM", "hubspot")
    monkeypatch.setenv("ASMIS_HUBSPOT_API_URL", fake.url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    get_settings.cache_clear()


@pytest.fixture
def hs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHubSpot]:
    from lib.settings import get_settings

    with FakeHubSpot() as fake:
        hubspot_fixture(monkeypatch, fake)
        yield fake
    get_settings.cache_clear()


def deal_of(report: dict, deal_id: str = ID) -> dict:
    return next(d for d in report["deals"] if d["deal_id"] == deal_id)


def updates(fake: FakeHubSpot) -> list:
    return fake.calls("POST", "/batch/update")


def test_first_push_fills_second_writes_nothing_and_a_reps_edit_survives(hs: FakeHubSpot, settings: Settings) -> None:
    prepare_deals(settings, copies=(ID,))
    hs.add_deal(ID)
    report = push()
    first = deal_of(report)
    assert sorted(first["written"]) == sorted(PROPS)
    assert deal_of(report, DEAL)["outcome"] == "not a record id"  # not a HubSpot id: named, not asked
    rollup = rollup_of(settings, ID)
    assert hs.deals[ID]["meddpicc_score"] == "7" and hs.deals[ID]["meddpicc_champion"].startswith(
        f"identified: {rollup.elements['champion'].summary}")
    [read] = hs.calls("POST", "/batch/read")
    assert read.json()["propertiesWithHistory"] == PROPS

    assert deal_of(push())["outcome"] == "unchanged" and len(updates(hs)) == 1

    hs.edit(ID, "meddpicc_champion", "Olivia, per my notes", user=42)
    edit_rollup(settings, ID, ["elements", "champion", "summary"], "Olivia Grant pushes for us.")
    third = deal_of(push())
    assert third["written"] == {} and third["outcome"] == "unchanged"
    [conflict] = third["conflicts"]
    assert (conflict["field"], conflict["crm_value"], conflict["set_by"]) == (
        "meddpicc_champion", "Olivia, per my notes", "CRM_UI user 42")
    assert hs.deals[ID]["meddpicc_champion"] == "Olivia, per my notes"
    status = json.loads(runner.invoke(app, ["crm", "status", "--json"]).output)
    assert [(c["deal_id"], c["field"], c["set_by"]) for c in status["conflicts"]] == [
        (ID, "meddpicc_champion", "CRM_UI user 42")]


def test_a_429_waits_and_retries_with_its_policy_logged_and_5xx_too(hs: FakeHubSpot, settings: Settings,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    prepare_deals(settings, copies=(ID,))
    hs.add_deal(ID)
    hs.fail_next(rate_limited(), Reply(502, {"status": "error", "message": "Bad gateway"}), rate_limited())
    with caplog.at_level(logging.WARNING, logger="lib.crm.retry"):
        assert deal_of(push())["outcome"] == "written"
    policies = [getattr(r, "policy", None) for r in caplog.records if r.name == "lib.crm.retry" and "; retry " in r.getMessage()]
    assert policies == ["TEN_SECONDLY_ROLLING", None, "TEN_SECONDLY_ROLLING"]
    assert hs.deals[ID]["meddpicc_score"] == "7"


def test_a_wrong_token_exits_1_naming_hubspot(hs: FakeHubSpot, settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    prepare_deals(settings, copies=(ID,))
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-WRONG-SECRET")
    get_settings.cache_clear()
    result = runner.invoke(app, ["crm", "push"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: hubspot refused the credentials (INVALID_AUTHENTICATION)"
    assert "WRONG-SECRET" not in result.output


def test_an_unreachable_hubspot_exits_1(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    prepare_deals(settings, copies=(ID,))
    with FakeHubSpot() as fake:
        url = fake.url
    monkeypatch.setenv("ASMIS_CRM", "hubspot")
    monkeypatch.setenv("ASMIS_HUBSPOT_API_URL", url)  # nobody listens there now
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("ASMIS_CRM_MAX_RETRIES", "1")
    get_settings.cache_clear()
    result = runner.invoke(app, ["crm", "push"])
    assert result.exit_code == 1 and result.output.startswith("error: hubspot: ") and "cannot reach" in result.output
    get_settings.cache_clear()


def test_check_create_makes_the_group_and_properties(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    with FakeHubSpot(with_meddpicc=False) as fake:
        hubspot_fixture(monkeypatch, fake)
        missing = runner.invoke(app, ["crm", "check"])
        assert missing.exit_code == 1 and missing.output.count("missing: meddpicc_") == len(PROPS)
        made = runner.invoke(app, ["crm", "check", "--create"])
        assert made.exit_code == 0, made.output
        assert "meddpicc" in fake.groups and "all 11 fields ready" in made.output
        assert {n: fake.properties[n]["type"] for n in ("meddpicc_score", "meddpicc_updated_at", "meddpicc_metrics")} == {
            "meddpicc_score": "number", "meddpicc_updated_at": "datetime", "meddpicc_metrics": "string"}
    get_settings.cache_clear()


def test_more_than_a_batch_of_deals_is_split_into_batches(hs: FakeHubSpot, settings: Settings) -> None:
    ids = [str(30000000 + i) for i in range(120)]
    prepare_deals(settings, copies=(*ids, "39999999"))  # the last a number HubSpot does not know (a 207)
    for deal_id in ids:
        hs.add_deal(deal_id)
    report = push()
    assert sum(d["outcome"] == "written" for d in report["deals"]) == 120
    assert deal_of(report, "39999999")["outcome"] == "not found"
    assert [len(r.json()["inputs"]) for r in hs.calls("POST", "/batch/read")] == [50, 50, 21]
    assert [len(r.json()["inputs"]) for r in updates(hs)] == [100, 20]
    assert fetch(settings, "SELECT count(DISTINCT record_id) AS n FROM crm_writes WHERE state = 'confirmed'") == [
        {"n": 120}]


def test_the_pacer_keeps_requests_below_the_limit_per_window() -> None:
    from lib.crm.retry import RequestPacer

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RequestPacer(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for at in (0.0, 1.0, 2.0):
        now[0] = at
        pacer.wait()
    assert slept == []
    now[0] = 4.0
    pacer.wait()  # a 4th within 10 s of the first waits until the first leaves the window
    assert slept == [6.0] and now[0] == 10.0
    now[0] = 25.0
    pacer.wait()
    assert slept == [6.0]
