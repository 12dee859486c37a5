"""The Slack check: the webhook URL or the bot token is well formed, a bot token is accepted by Slack's
auth.test (a webhook has no request that posts nothing), and nothing is posted unless
`asmis doctor --send-test` asks for one test message, sent the way the digest is."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from urllib.parse import urlsplit

from lib.digest.message import Digest
from lib.digest.send import bot_workspace, destination, send_digest
from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.errors import AsmisError
from lib.settings import Settings

NAME = "slack"
# https://hooks.slack.com/services/T<workspace>/B<hook>/<secret>: the shape Slack issues
_HOOK_PATH = re.compile(r"^/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9_-]+/?$")
_BOT_TOKEN = re.compile(r"^xoxb-[A-Za-z0-9-]+$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
TEST_MESSAGE = "ASMIS doctor: a test message (`asmis doctor --send-test`); the deal digest will come here."


async def check_slack(ctx: DoctorContext) -> list[Check]:
    settings = ctx.settings
    if settings.slack_webhook_url is None and settings.slack_bot_token is None:
        return [ok(NAME, "not configured (no ASMIS_SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN): no digest is sent")]
    found = _well_formed(settings)
    probe = settings.model_copy(update={"crm_max_retries": 0})
    if found.status != "fail" and settings.slack_webhook_url is None:
        try:
            team = await asyncio.to_thread(bot_workspace, probe)
        except AsmisError as exc:
            return [fail(NAME, f"SLACK_BOT_TOKEN was refused: {exc}", _fix(settings))]
        found = replace(found, detail=f"{found.detail}, accepted by Slack (workspace {team})")
    if found.status == "fail" or not ctx.send_test:
        return [found if found.status != "ok" else ok(NAME, f"{found.detail}; nothing posted (--send-test posts "
                                                             "one test message)")]
    try:
        where = await asyncio.to_thread(send_digest, probe, Digest(text=TEST_MESSAGE, blocks=[], deals=[]))
    except AsmisError as exc:
        return [fail(NAME, f"{found.detail}, but the test message failed: {exc}", _fix(settings))]
    return [ok(NAME, f"{found.detail}; a test message was posted ({where})")]


def _fix(settings: Settings) -> str:
    if settings.slack_webhook_url is not None:
        return "set ASMIS_SLACK_WEBHOOK_URL to the URL of an incoming webhook (Slack app > Incoming Webhooks)"
    return "set SLACK_BOT_TOKEN to a bot token (xoxb-..., scope chat:write) and invite the bot to the channel"


def _well_formed(settings: Settings) -> Check:
    """What the configuration says, without a request and without any part of the URL or token."""
    if settings.slack_webhook_url is not None:
        parts = urlsplit(settings.slack_webhook_url.get_secret_value())
        host = parts.hostname or ""
        secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
        if not secure or not _HOOK_PATH.match(parts.path):
            return fail(NAME, "ASMIS_SLACK_WEBHOOK_URL is not an incoming webhook URL "
                        "(https://hooks.slack.com/services/T.../B.../...)", _fix(settings))
        where = "hooks.slack.com" if host == "hooks.slack.com" else f"{host} (not hooks.slack.com)"
        return ok(NAME, f"incoming webhook on {where}, well formed")
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()
    if token.startswith("xoxp-"):
        return warn(NAME, "SLACK_BOT_TOKEN is a user token (xoxp-): the digest would be posted as that person",
                    "use a bot token (xoxb-, scope chat:write)")
    if not _BOT_TOKEN.match(token):
        return fail(NAME, "SLACK_BOT_TOKEN does not look like a Slack bot token (xoxb-...)", _fix(settings))
    if not settings.slack_channel:
        return warn(NAME, "SLACK_BOT_TOKEN is set but ASMIS_SLACK_CHANNEL is not: no digest is sent",
                    "set ASMIS_SLACK_CHANNEL (a channel id C... or #name)")
    return ok(NAME, f"bot token well formed, channel {destination(settings)}")
