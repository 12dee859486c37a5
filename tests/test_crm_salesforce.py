"""CRM write-back to Salesforce (issue 20): simple-salesforce against a fake REST API over HTTPS on
loopback, trusted through REQUESTS_CA_BUNDLE, with the deals table built from stored results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.crm.values import ELLIPSIS, score
from lib.settings import Settings
from tests.crm_helpers import edit_rollup, fetch, prepare_deals, push, rollup_of
from tests.fake_http import Reply, TunnelProxy, make_test_certificate
from tests.fake_salesforce import TOKEN, FakeSalesforce
from tests.test_deals import DEAL

runner = CliRunner()
ELEMENT_FIELDS = ["MEDDPICC_Metrics__c", "MEDDPICC_Economic_Buyer__c", "MEDDPICC_Decision_Criteria__c",
                  "MEDDPICC_Decision_Process__c", "MEDDPICC_Paper_Process__c", "MEDDPICC_Identified_Pain__c",
                  "MEDDPICC_Champion__c", "MEDDPICC_Competition__c"]
ALL_FIELDS = [*ELEMENT_FIELDS, "MEDDPICC_Score__c", "MEDDPICC_Warnings__c", "MEDDPICC_Updated_At__c"]
CHAMPION = "MEDDPICC_Champion__c"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # Salesforce's login hosts too: the username/password login is posted there (through TunnelProxy).
    return make_test_certificate(tmp_path_factory.mktemp("tls"), "login.salesforce.com", "test.salesforce.com")


@pytest.fixture
def sf(certificate: tuple[Path, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSalesforce]:
    from lib.settings import get_settings

    with FakeSalesforce(certificate) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
        monkeypatch.setenv("ASMIS_CRM", "salesforce")
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
        get_settings.cache_clear()
        yield fake
        get_settings.cache_clear()


def deal_of(report: dict, deal_id: str = DEAL) -> dict:
    return next(d for d in report["deals"] if d["deal_id"] == deal_id)


def patches(fake: FakeSalesforce) -> list:
    return fake.calls("PATCH")


def test_a_first_push_fills_the_fields_and_a_second_writes_nothing(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    first = deal_of(push())
    assert first["outcome"] == "written" and sorted(first["written"]) == sorted(ALL_FIELDS)
    [patch] = patches(sf)  # one record: one PATCH of the record, not a collection
    assert patch.path.endswith(f"/sobjects/Opportunity/{DEAL}") and sorted(patch.json()) == sorted(ALL_FIELDS)
    record = sf.records[DEAL]
    rollup = rollup_of(settings, DEAL)
    champion = rollup.elements["champion"]
    assert record[CHAMPION].startswith(f"{champion.status}: {champion.summary}\n“{champion.evidence[0].quote}”")
    assert record["MEDDPICC_Score__c"] == score(rollup) == sum(
        {"identified": 1, "partial": 0.5}.get(e.status, 0) for e in rollup.elements.values())
    assert all(f"{w.code}: {w.message}" in record["MEDDPICC_Warnings__c"] for w in rollup.warnings)

    second = deal_of(push())
    assert second["outcome"] == "unchanged" and second["written"] == {} and second["conflicts"] == []
    assert sorted(second["unchanged"]) == sorted(f for f in ALL_FIELDS if f != "MEDDPICC_Updated_At__c")
    assert len(patches(sf)) == 1, "nothing changed: nothing written, not even the update time"
    rows = fetch(settings, "SELECT state, count(*) AS n FROM crm_writes GROUP BY state")
    assert rows == [{"state": "confirmed", "n": len(ALL_FIELDS)}]


def test_a_reps_edit_between_pushes_survives_and_is_reported(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    push()
    sf.edit(DEAL, CHAMPION, "Olivia is our champion, confirmed on my call Tuesday")
    edit_rollup(settings, DEAL, ["elements", "champion", "summary"], "Olivia Grant pushes for us.")
    edit_rollup(settings, DEAL, ["elements", "metrics", "summary"], "Dispatch time down 30%.")
    report = deal_of(push())
    assert sorted(report["written"]) == ["MEDDPICC_Metrics__c", "MEDDPICC_Updated_At__c"]
    [conflict] = report["conflicts"]
    assert conflict["field"] == CHAMPION
    assert conflict["crm_value"] == "Olivia is our champion, confirmed on my call Tuesday"
    assert conflict["asmis_value"].startswith("identified: Olivia Grant pushes for us.")
    assert sf.records[DEAL][CHAMPION] == "Olivia is our champion, confirmed on my call Tuesday"
    assert sf.records[DEAL]["MEDDPICC_Metrics__c"].startswith("identified: Dispatch time down 30%.")

    text = runner.invoke(app, ["crm", "push"])
    assert text.exit_code == 0 and f"conflict   {CHAMPION}: the CRM has 'Olivia is our champion" in text.output
    status = runner.invoke(app, ["crm", "status", "--json"])
    assert status.exit_code == 0, status.output
    found = json.loads(status.output)
    assert [(c["deal_id"], c["field"]) for c in found["conflicts"]] == [(DEAL, CHAMPION)]
    assert found["last_push"]["conflicts"] == 1 and CHAMPION in found["deals"][0]["fields"]
    shown = runner.invoke(app, ["crm", "status"]).output
    assert "open conflicts: 1" in shown and f"{DEAL} {CHAMPION}: the CRM has 'Olivia is our champion" in shown
    assert "MEDDPICC_Metrics__c, MEDDPICC_Updated_At__c" in shown  # the fields the last push wrote, together

    taken = deal_of(push("--overwrite", CHAMPION))
    assert list(taken["written"]) == [CHAMPION, "MEDDPICC_Updated_At__c"] and taken["conflicts"] == []
    assert sf.records[DEAL][CHAMPION].startswith("identified: Olivia Grant pushes for us.")
    assert json.loads(runner.invoke(app, ["crm", "status", "--json"]).output)["conflicts"] == []


def test_a_field_a_rep_filled_before_asmis_ever_wrote_is_left_alone(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL, MEDDPICC_Metrics__c="Rep: 60 shippers a month")
    report = deal_of(push())
    assert "MEDDPICC_Metrics__c" not in report["written"] and len(report["written"]) == len(ALL_FIELDS) - 1
    assert [c["field"] for c in report["conflicts"]] == ["MEDDPICC_Metrics__c"]
    assert sf.records[DEAL]["MEDDPICC_Metrics__c"] == "Rep: 60 shippers a month"


def test_a_dry_run_writes_nothing_and_shows_the_writes_of_the_real_run(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL, MEDDPICC_Metrics__c="Rep: 60 shippers a month")
    dry = deal_of(push("--dry-run"))
    assert dry["outcome"] == "would write" and patches(sf) == []
    assert fetch(settings, "SELECT count(*) AS n FROM crm_writes") == [{"n": 0}]
    shown = runner.invoke(app, ["crm", "push", "--dry-run"])
    assert shown.exit_code == 0 and "(dry run)" in shown.output and "write      MEDDPICC_Score__c: '' -> '7'" in shown.output
    real = deal_of(push())
    strip = {"MEDDPICC_Updated_At__c"}  # the time of each run
    assert {k: v for k, v in dry["written"].items() if k not in strip} == {
        k: v for k, v in real["written"].items() if k not in strip}
    assert dry["conflicts"] == real["conflicts"]


def test_many_records_go_in_one_collection_and_an_unknown_deal_is_named(sf: FakeSalesforce, settings: Settings) -> None:
    ids = prepare_deals(settings, copies=("006B", "006C", "006GONE"))
    for record_id in ids[:3]:
        sf.add_opportunity(record_id)
    report = push()
    assert [(d["deal_id"], d["outcome"]) for d in report["deals"]] == [
        ("006B", "written"), ("006C", "written"), ("006GONE", "not found"), (DEAL, "written")]
    [retrieve] = sf.calls("POST")  # one read for the four records, not one GET each
    assert retrieve.path.endswith("/composite/sobjects/Opportunity") and len(retrieve.json()["ids"]) == 4
    assert sf.calls("GET", f"/sobjects/Opportunity/{DEAL}") == []
    [collection] = patches(sf)
    assert collection.path.endswith("/composite/sobjects")
    assert sorted(r["id"] for r in collection.json()["records"]) == ["006B", "006C", DEAL]
    text = runner.invoke(app, ["crm", "push", "--deal", "006GONE"])
    assert text.exit_code == 0 and "006GONE  not found" in text.output


def test_a_wrong_token_exits_1_naming_the_crm_and_never_the_token(sf: FakeSalesforce, settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "00Dwrong!WRONG-TOKEN-SECRET")
    get_settings.cache_clear()
    result = runner.invoke(app, ["crm", "push"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: salesforce refused the credentials (INVALID_SESSION_ID)"]
    assert "WRONG-TOKEN-SECRET" not in result.output and TOKEN not in result.output


def test_a_value_longer_than_the_field_is_cut_with_an_ellipsis(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    sf.fields[CHAMPION]["length"] = 40
    push()
    stored = sf.records[DEAL][CHAMPION]
    assert len(stored) == 40 and stored.endswith(ELLIPSIS)
    full = rollup_of(settings, DEAL).elements["champion"]
    assert stored[:-1] == f"{full.status}: {full.summary}"[:39]
    assert deal_of(push())["written"] == {}, "the cut value is what the ledger holds: no rewrite next time"
    check = runner.invoke(app, ["crm", "check"])
    assert check.exit_code == 1 and f"too short: {CHAMPION} holds 40 characters" in check.output


def test_5xx_answers_are_retried(sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    busy = [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]
    sf.fail_next(Reply(503, busy), Reply(500, busy))
    assert deal_of(push())["outcome"] == "written"
    assert sf.records[DEAL]["MEDDPICC_Score__c"] == 7.0
    sf.fail_next(*[Reply(503, busy)] * 10)
    failed = runner.invoke(app, ["crm", "push"])
    assert failed.exit_code == 1 and "salesforce" in failed.output and "503" in failed.output


def test_crm_check_names_what_is_missing_and_a_push_refuses_before_writing(sf: FakeSalesforce,
                                                                           settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    del sf.fields["MEDDPICC_Paper_Process__c"]
    refused = runner.invoke(app, ["crm", "push"])
    assert refused.exit_code == 1 and "Opportunity has no field MEDDPICC_Paper_Process__c" in refused.output
    assert patches(sf) == [] and fetch(settings, "SELECT count(*) AS n FROM crm_writes") == [{"n": 0}]
    sf.fields["MEDDPICC_Score__c"]["type"] = "string"
    check = runner.invoke(app, ["crm", "check"])
    assert check.exit_code == 1
    assert "missing: MEDDPICC_Paper_Process__c (Long Text Area(32768)" in check.output
    assert "wrong type: MEDDPICC_Score__c is string" in check.output


def test_a_sigkill_between_the_write_and_its_record_does_not_make_asmis_see_its_own_value_as_a_persons(
        sf: FakeSalesforce, settings: Settings) -> None:
    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    written, release = threading.Event(), threading.Event()
    handle = sf.handle

    def hold_after_write(request):  # type: ignore[no-untyped-def]
        reply = handle(request)
        if request.method == "PATCH":
            written.set()
            release.wait(30)
        return reply

    sf.handle = hold_after_write  # type: ignore[method-assign]
    proc = subprocess.Popen([str(Path(sys.executable).parent / "asmis"), "crm", "push"], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert written.wait(120), "the push never wrote"
        os.kill(proc.pid, signal.SIGKILL)  # the CRM has the values; the push never heard back
        proc.wait(30)
    finally:
        release.set()
        proc.kill()
    sf.handle = handle  # type: ignore[method-assign]
    assert sf.records[DEAL][CHAMPION].startswith("identified:")
    assert fetch(settings, "SELECT DISTINCT state FROM crm_writes") == [{"state": "intent"}]

    edit_rollup(settings, DEAL, ["elements", "champion", "summary"], "Olivia Grant pushes for us.")
    report = deal_of(push())
    assert report["conflicts"] == [] and CHAMPION in report["written"]
    assert sf.records[DEAL][CHAMPION].startswith("identified: Olivia Grant pushes for us.")


def test_the_nightly_set_is_what_changed_since_the_last_full_push(sf: FakeSalesforce, settings: Settings) -> None:
    import asyncio

    from lib.crm.push import deals_changed_since_last_push
    from lib.db import open_database

    async def changed() -> list[str]:
        async with open_database(settings) as pool:
            return await deals_changed_since_last_push(pool, "salesforce")

    ids = prepare_deals(settings, copies=("006B", "006C"))
    for record_id in ids:
        sf.add_opportunity(record_id)
    assert asyncio.run(changed()) == sorted(ids)  # before any push: every deal
    push()
    # Within the margin after a push its deals still count as changed: pushing them again writes nothing.
    fetch(settings, "UPDATE crm_pushes SET started_at = started_at + interval '1 hour' RETURNING id")
    assert asyncio.run(changed()) == []
    edit_rollup(settings, "006B", ["elements", "metrics", "summary"], "Dispatch time down 30%.")
    fetch(settings, "UPDATE deals SET updated_at = now() + interval '2 hours' WHERE deal_id = '006B' RETURNING 1")
    push("--deal", "006C")  # a push of named deals does not move the mark
    assert asyncio.run(changed()) == ["006B"]


def test_more_than_200_records_are_written_in_collections_of_200(sf: FakeSalesforce, settings: Settings) -> None:
    ids = prepare_deals(settings, copies=tuple(f"006{n:015d}" for n in range(201)))
    for record_id in ids:
        sf.add_opportunity(record_id)
    report = push()
    assert sum(d["outcome"] == "written" for d in report["deals"]) == 202
    assert [len(r.json()["records"]) for r in patches(sf)] == [200, 2]
    assert all(sf.records[i]["MEDDPICC_Score__c"] == 7.0 for i in ids)


def test_a_mapping_file_renames_fields_and_leaves_some_out(sf: FakeSalesforce, settings: Settings, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    sf.fields["Champion_Notes__c"] = {"type": "textarea", "length": 32768}
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"champion": "Champion_Notes__c", "warnings": None}))
    monkeypatch.setenv("ASMIS_CRM_MAPPING", str(mapping))
    get_settings.cache_clear()
    written = deal_of(push())["written"]
    assert "Champion_Notes__c" in written and CHAMPION not in written and "MEDDPICC_Warnings__c" not in written
    assert len(written) == len(ALL_FIELDS) - 1
    assert sf.records[DEAL]["Champion_Notes__c"].startswith("identified:")

    mapping.write_text(json.dumps({"champion": "X__c", "chmapion": "Y__c"}))
    bad = runner.invoke(app, ["crm", "push"])
    assert bad.exit_code == 1 and "unknown key(s) chmapion" in bad.output and str(mapping) in bad.output


def test_a_username_password_and_security_token_log_in_to_the_instance_salesforce_names(
        sf: FakeSalesforce, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    prepare_deals(settings)
    sf.add_opportunity(DEAL)
    sf.logins["revops@example.com"] = "not-a-real-pass" + "SECTOKEN42"
    with TunnelProxy(sf.port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # login.salesforce.com / test.salesforce.com -> the fake
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the instance it names is reached directly
        monkeypatch.delenv("SALESFORCE_INSTANCE_URL")
        monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN")
        for name, value in {"SALESFORCE_USERNAME": "revops@example.com", "SALESFORCE_PASSWORD": "not-a-real-pass",
                            "SALESFORCE_SECURITY_TOKEN": "SECTOKEN42", "SALESFORCE_DOMAIN": "test"}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        assert deal_of(push())["outcome"] == "written"
        assert proxy.hosts == ["test.salesforce.com:443"]  # the sandbox's login host, once
        assert sf.records[DEAL][CHAMPION] and patches(sf)[0].headers["authorization"] == f"Bearer {TOKEN}"

        monkeypatch.setenv("SALESFORCE_PASSWORD", "a-wrong-password-77")
        get_settings.cache_clear()
        bad = runner.invoke(app, ["crm", "push"])
    assert bad.exit_code == 1, bad.output
    assert "salesforce refused the credentials (INVALID_LOGIN)" in bad.output
    assert "a-wrong-password-77" not in bad.output and "SECTOKEN42" not in bad.output
