"""The Slack digest (issue 20): slack-sdk against a fake Slack on loopback (webhook and chat.postMessage)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings
from tests.crm_helpers import edit_rollup, prepare_deals, rollup_of
from tests.fake_slack import BOT_TOKEN, HOOK_PATH, FakeSlack, rate_limited
from tests.test_deals import DEAL

runner = CliRunner()


@pytest.fixture
def slack(settings: Settings) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def use(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    from lib.settings import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_one_message_for_the_changed_deals_then_nothing_when_nothing_changed(
        slack: FakeSlack, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, ASMIS_SLACK_WEBHOOK_URL=slack.webhook_url)
    prepare_deals(settings)
    dry = runner.invoke(app, ["digest", "--dry-run"])
    assert dry.exit_code == 0 and f"{DEAL} (new deal, 7/8 identified)" in dry.output and slack.requests == []

    sent = runner.invoke(app, ["digest"])
    assert sent.exit_code == 0 and "sent to incoming webhook" in sent.output
    [message] = slack.messages
    assert message["text"] == dry.output.strip()  # the dry run prints the message the real run sends
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                               "text": "ASMIS: 1 deal changed overnight"}}
    assert HOOK_PATH not in sent.output

    again = runner.invoke(app, ["digest"])
    assert again.exit_code == 0 and "nothing to send" in again.output and len(slack.messages) == 1


def test_moved_elements_new_warnings_and_the_next_question(slack: FakeSlack, settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, ASMIS_SLACK_WEBHOOK_URL=slack.webhook_url)
    prepare_deals(settings)
    assert runner.invoke(app, ["digest"]).exit_code == 0
    before = rollup_of(settings, DEAL)
    edit_rollup(settings, DEAL, ["elements", "champion", "status"], "partial")
    edit_rollup(settings, DEAL, ["warnings"], [*[w.model_dump() for w in before.warnings],
                                               {"code": "no_champion", "message": "no champion after 3 calls"}])
    slack.fail_next(rate_limited(0))
    assert runner.invoke(app, ["digest"]).exit_code == 0
    assert len(slack.calls("POST", HOOK_PATH)) == 3, "the 429 was waited out and the message sent again"
    text = slack.messages[-1]["text"]
    question = before.next_questions[0]
    assert f"{DEAL} (6/8 identified)" in text and "champion: identified → partial" in text
    assert "new warning no_champion: no champion after 3 calls" in text
    assert f"ask next: {question.element.replace('_', ' ')}: {question.question}" in text
    assert "competitor_named" not in text, "an old warning is not news"


def test_a_bot_token_posts_to_the_channel_and_a_wrong_one_exits_1(slack: FakeSlack, settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, SLACK_BOT_TOKEN=BOT_TOKEN, ASMIS_SLACK_CHANNEL="#deals", ASMIS_SLACK_API_URL=slack.api_url)
    prepare_deals(settings)
    sent = runner.invoke(app, ["digest"])
    assert sent.exit_code == 0 and "sent to #deals" in sent.output
    assert [(m["via"], m["channel"]) for m in slack.messages] == [("chat.postMessage", "#deals")]

    edit_rollup(settings, DEAL, ["elements", "metrics", "status"], "partial")
    use(monkeypatch, SLACK_BOT_TOKEN="xoxb-WRONG-SECRET")
    failed = runner.invoke(app, ["digest"])
    assert failed.exit_code == 1
    assert failed.output.strip() == "error: slack chat.postMessage to #deals: invalid_auth"
    assert "WRONG-SECRET" not in failed.output
