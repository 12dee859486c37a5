"""Send the digest: an incoming webhook (ASMIS_SLACK_WEBHOOK_URL) or chat.postMessage with a bot token
(SLACK_BOT_TOKEN + ASMIS_SLACK_CHANNEL). A 429 waits its Retry-After (slack-sdk's retry handler), a
500/503 or a dropped connection is retried; the webhook URL and the token never appear in a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lib.digest.message import Digest
from lib.errors import ConfigError, DigestError
from lib.settings import Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.http_retry.handler import RetryHandler
    from slack_sdk.web import SlackResponse

# slack-sdk is imported where a message is sent: it costs a third of a second, and every `asmis` command
# imports this module.


def slack_configured(settings: Settings) -> bool:
    return settings.slack_webhook_url is not None or (settings.slack_bot_token is not None
                                                      and settings.slack_channel is not None)


def destination(settings: Settings) -> str:
    """Where the digest goes, safe to print: the channel, or 'incoming webhook'."""
    if settings.slack_webhook_url is not None:
        return "incoming webhook"
    if settings.slack_bot_token is not None and settings.slack_channel:
        return settings.slack_channel
    raise ConfigError("no Slack configured: set ASMIS_SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and ASMIS_SLACK_CHANNEL")


def _retries(settings: Settings) -> list[RetryHandler]:
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    count = settings.crm_max_retries
    return [ConnectionErrorRetryHandler(max_retry_count=count), RateLimitErrorRetryHandler(max_retry_count=count),
            ServerErrorRetryHandler(max_retry_count=count)]


def bot_workspace(settings: Settings) -> str:
    """The workspace the bot token belongs to, from Slack's auth.test (no scope needed, nothing posted).
    Raises DigestError naming Slack's answer, never the token."""
    answer = _web_api(settings, "auth.test", lambda client: client.auth_test())
    return str(answer.get("team") or answer.get("team_id") or "an unnamed workspace")


def _web_api(settings: Settings, what: str, call: Callable[[WebClient], SlackResponse]) -> SlackResponse:
    """One Web API call with the bot token; Slack's refusal or an unreachable Slack is a DigestError."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    assert settings.slack_bot_token is not None
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                       retry_handlers=_retries(settings))
    try:
        return call(client)
    except SlackApiError as exc:
        raise DigestError(f"slack {what}: {exc.response.get('error', 'failed')}") from None
    except OSError as exc:
        raise DigestError(f"slack {what}: cannot reach ({type(exc).__name__})") from None


def send_digest(settings: Settings, digest: Digest) -> str:
    """Send it; returns where it went. Raises DigestError naming Slack's answer, never the URL or token."""
    from slack_sdk.webhook import WebhookClient

    where = destination(settings)
    if settings.slack_webhook_url is not None:
        hook = WebhookClient(settings.slack_webhook_url.get_secret_value(), retry_handlers=_retries(settings))
        try:
            answer = hook.send(text=digest.text, blocks=digest.blocks)
        except OSError as exc:
            raise DigestError(f"slack webhook: cannot reach ({type(exc).__name__})") from None
        if answer.status_code != 200:
            raise DigestError(f"slack webhook refused the digest: HTTP {answer.status_code} {answer.body[:80]}")
        return where
    _web_api(settings, f"chat.postMessage to {where}",
             lambda client: client.chat_postMessage(channel=where, text=digest.text, blocks=digest.blocks))
    return where
