"""A fake Slack on loopback HTTP, from Slack's public docs: an incoming webhook (POST JSON to its secret
URL, answered 200 `ok` as text, 404 `no_service` for an unknown URL) and the Web API's chat.postMessage
(Bearer token; answered 200 `{"ok": true, "channel", "ts"}` or 200 `{"ok": false, "error": "invalid_auth"}`),
and auth.test (the token's workspace and bot user, no scope needed; `invalid_auth` for a bad token).
Over the limit, both answer 429 with Retry-After (seconds)."""

from __future__ import annotations

import time
from typing import Any

from tests.fake_http import FakeServer, Reply, Request

BOT_TOKEN = "xoxb-DO-NOT-LEAK-slack-bot"
HOOK_PATH = "/services/T0001/B0001/DO-NOT-LEAK-hook-secret"


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []

    @property
    def webhook_url(self) -> str:
        return self.url + HOOK_PATH

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == HOOK_PATH:
            self.messages.append({"via": "webhook", **request.json()})
            return Reply(200, "ok", {"Content-Type": "text/html"})
        if request.method == "POST" and request.path.startswith("/services/"):
            return Reply(404, "no_service", {"Content-Type": "text/html"})
        if request.method == "POST" and request.path == "/api/auth.test":
            if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                return Reply(200, {"ok": False, "error": "invalid_auth"})
            return Reply(200, {"ok": True, "url": "https://acme-sales.slack.com/", "team": "Acme Sales",
                               "user": "asmis", "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0BOT"})
        if request.method == "POST" and request.path == "/api/chat.postMessage":
            if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                return Reply(200, {"ok": False, "error": "invalid_auth"})
            body = request.json()
            if not str(body.get("channel", "")).startswith(("C", "#")):
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            self.messages.append({"via": "chat.postMessage", **body})
            return Reply(200, {"ok": True, "channel": "C0DIGEST", "ts": f"{time.time():.6f}",
                               "message": {"text": body.get("text")}})
        return Reply(404, {"ok": False, "error": "unknown_method"})


def rate_limited(seconds: int = 0) -> Reply:
    return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)})
