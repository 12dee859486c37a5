"""A push first proves it can talk to the CRM (one authenticated request) and names a deal id that cannot
be a record id of that CRM as such, not as "not found".

Before: with ASMIS_CRM=hubspot, a token and no route to HubSpot, `asmis crm push --dry-run` printed
`1 not found; would write 0 field(s)` and exited 0 (non-numeric deal ids were never asked about)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings, get_settings
from tests.crm_helpers import prepare_deals
from tests.fake_http import make_test_certificate
from tests.fake_hubspot import TOKEN, FakeHubSpot
from tests.fake_salesforce import TOKEN as SALESFORCE_TOKEN
from tests.fake_salesforce import FakeSalesforce
from tests.test_crm_hubspot import hubspot_fixture
from tests.test_deals import DEAL

runner = CliRunner()
KNOWN, UNKNOWN = "20250331", "20259999"


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_test_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def hs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        hubspot_fixture(monkeypatch, fake)
        monkeypatch.setenv("ASMIS_CRM_MAX_RETRIES", "1")
        monkeypatch.setenv("ASMIS_CRM_RETRY_WAIT_CAP_SECONDS", "0.01")
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def test_a_push_that_cannot_reach_hubspot_fails_naming_it(hs: FakeHubSpot, settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    prepare_deals(settings)  # OPP-LUMEN-7731: not a number, so no read would ever be sent for it
    monkeypatch.setenv("ASMIS_HUBSPOT_API_URL", closed_port_url())
    get_settings.cache_clear()
    result = runner.invoke(app, ["crm", "push", "--dry-run"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith("error: hubspot: reach HubSpot: cannot reach") and line.endswith("(after 2 attempts)")
    assert "not found" not in result.output and TOKEN not in result.output
    # The retry is one line with its reason and wait (the CLI prints a log record's message alone).
    retries = [r.getMessage() for r in caplog.records if r.name == "lib.crm.retry"]
    assert retries == ["hubspot: reach HubSpot: cannot reach (MaxRetryError); retry 1 of 1 in 0.0 s"]


def test_a_push_with_a_token_hubspot_refuses_fails_before_any_read(hs: FakeHubSpot, settings: Settings) -> None:
    prepare_deals(settings, copies=(KNOWN,))
    hs.add_deal(KNOWN)
    hs.token = "pat-na1-another-token"
    result = runner.invoke(app, ["crm", "push", "--dry-run"])
    assert result.exit_code == 1 and "error: hubspot refused the credentials (INVALID_AUTHENTICATION)" in result.stderr
    assert [(r.method, r.path) for r in hs.requests] == [("GET", "/crm/v3/objects/deals")]


def test_a_deal_id_that_cannot_be_a_hubspot_id_is_named_so_and_never_asked(hs: FakeHubSpot, settings: Settings) -> None:
    prepare_deals(settings, copies=(KNOWN, UNKNOWN))
    hs.add_deal(KNOWN)
    result = runner.invoke(app, ["crm", "push", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    outcomes = {d["deal_id"]: (d["outcome"], d["error"]) for d in json.loads(result.stdout)["deals"]}
    assert outcomes == {DEAL: ("not a record id", "a hubspot record id is a number (the deal's Record ID)"),
                        KNOWN: ("would write", None), UNKNOWN: ("not found", None)}
    first, *rest = hs.requests
    assert (first.method, first.path, first.query.get("limit")) == ("GET", "/crm/v3/objects/deals", ["1"])
    asked = [i["id"] for r in rest if r.path.endswith("/batch/read") for i in r.json()["inputs"]]
    assert sorted(asked) == [KNOWN, UNKNOWN]

    text = runner.invoke(app, ["crm", "push", "--dry-run"])
    assert "3 deals: 1 would write, 1 not found, 1 not a record id; would write 11 fields; 0 conflicts" in text.stdout
    assert f"{DEAL}  not a record id (a hubspot record id is a number" in text.stdout


def test_one_push_asks_hubspot_once_whether_it_answers(hs: FakeHubSpot, settings: Settings) -> None:
    """The reach is one request per client: a nightly push of many batches does not repeat it."""
    prepare_deals(settings, copies=(KNOWN,))
    hs.add_deal(KNOWN)
    result = runner.invoke(app, ["crm", "push", "--json"])
    assert result.exit_code == 0, result.output
    assert [r.path.rsplit("/", 1)[-1] for r in hs.requests] == ["deals", "read", "update"]


def test_a_salesforce_push_that_cannot_connect_says_so_with_one_line_per_retry(
        certificate: tuple[Path, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    prepare_deals(settings)
    with FakeSalesforce(certificate) as fake:
        url = fake.url
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    monkeypatch.setenv("ASMIS_CRM", "salesforce")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", url)  # the fake has stopped: nothing listens there now
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", SALESFORCE_TOKEN)
    monkeypatch.setenv("ASMIS_CRM_MAX_RETRIES", "1")
    monkeypatch.setenv("ASMIS_CRM_RETRY_WAIT_CAP_SECONDS", "0.01")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["crm", "push"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and result.stdout == ""
    assert "error: salesforce: describe Opportunity: cannot reach ConnectionError (after 2 attempts)" in result.stderr
    assert [r.getMessage() for r in caplog.records if r.name == "lib.crm.retry"] == [
        "salesforce: describe Opportunity: cannot reach ConnectionError; retry 1 of 1 in 0.0 s"]
    assert SALESFORCE_TOKEN not in result.output
