"""A fake Gong API v2 on 127.0.0.1, written from Gong's public API reference, for tests and benchmarks.

    with FakeGong(access_key="k", secret="s") as gong:
        gong.add_call("7782342274025937895", started="2026-03-04T08:00:00-07:00", title="Pricing", ...)
        ...  GONG_API_BASE_URL=gong.url

Endpoints and shapes (https://gong.app.gong.io/settings/api/documentation):
- `GET /v2/calls?fromDateTime=&toDateTime=&workspaceId=&cursor=`: `{"requestId", "records": {"totalRecords",
  "currentPageSize", "currentPageNumber", "cursor"?}, "calls": [{"id", "url", "title", "started",
  "workspaceId", ...}]}`, ordered by `started`, only the workspace's calls when one is named; a window with no calls answers 404 `{"requestId", "errors": ["No calls found
  corresponding to the provided filters"]}`.
- `POST /v2/calls/transcript` `{"cursor"?, "filter": {"callIds": [...]}}`: `{"records", "callTranscripts":
  [{"callId", "transcript": [{"speakerId", "topic", "sentences": [{"start", "end", "text"}]}]}]}`; a call
  without a transcript yet is left out. No match at all: 404 as above.
- `POST /v2/calls/extensive` `{"cursor"?, "filter": {"callIds"}, "contentSelector": {"context": "Extended",
  "exposedFields": {"parties": true}}}`: `{"records", "calls": [{"metaData": {"id", "title", "started",
  "url"}, "context": [{"system", "objects": [{"objectType", "objectId"}]}], "parties": [{"speakerId",
  "name", "title", "affiliation"}]}]}`; parties and context only when asked for.
- Automation-rule webhooks (help.gong.io, "Payload sent to webhooks"): `{"callData": {...}, "isTest": bool}`,
  callData shaped as `/v2/calls/extensive` answers (`metaData`, `context`, `parties`); with "Signed JWT
  header" the request's `Authorization` holds an RS256 JWT with `exp`, `webhook_url`, `body_sha256`.
- HTTP Basic with the access key and secret; anything else is 401. More than `rate` requests in any
  second answers 429 with `Retry-After`. Ids are JSON strings of up to 20 digits.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import deque
from datetime import datetime
from typing import Any

from tests.fake_http import FakeServer, Reply, Request

NOT_FOUND = "No calls found corresponding to the provided filters"


class FakeGong(FakeServer):
    def __init__(self, *, access_key: str = "gong-key", secret: str = "gong-secret-DO-NOT-LEAK",
                 page_size: int = 100, rate: float = 3.0, retry_after: int = 1) -> None:
        super().__init__()
        self.access_key, self.secret = access_key, secret
        self.page_size = page_size
        self.rate = rate
        self.retry_after = retry_after
        self.calls: dict[str, dict[str, Any]] = {}
        self.transcripts: dict[str, list[dict[str, Any]]] = {}
        self.hidden: set[str] = set()  # calls not listed yet (Gong lists them late)
        self.throttled = 0
        self._recent: deque[float] = deque()
        self._window = threading.Lock()

    def fail_with(self, *statuses: int) -> None:
        """The next requests answer these statuses (a 429 with this fake's Retry-After)."""
        self.fail_next(*(Reply(s, {"requestId": uuid.uuid4().hex[:18], "errors": [f"fault {s}"]},
                               {"Retry-After": str(self.retry_after)} if s == 429 else {}) for s in statuses))

    def add_call(self, call_id: str, *, started: str, title: str = "Call", transcript: bool = True,
                 listed: bool = True, opportunity: str | None = None, parties: list[dict[str, Any]] | None = None,
                 monologues: list[dict[str, Any]] | None = None, workspace: str = "5412223344556677889") -> None:
        parties = parties if parties is not None else [
            {"speakerId": "1001", "name": "Maya Chen", "title": "Account Executive", "affiliation": "Internal"},
            {"speakerId": "2002", "name": "Tom Reyes", "title": "VP Finance", "affiliation": "External"},
            {"speakerId": "3003", "name": "Guest", "affiliation": "Unknown"}]
        context = [{"system": "Salesforce", "objects": [
            {"objectType": "Account", "objectId": "0015g00000XyZ"},
            {"objectType": "Opportunity", "objectId": opportunity}]}] if opportunity else []
        self.calls[call_id] = {"id": call_id, "url": f"https://app.gong.io/call?id={call_id}", "title": title,
                               "started": started, "duration": 1800, "workspaceId": workspace,
                               "parties": parties, "context": context}
        if transcript:
            self.add_transcript(call_id, monologues)
        if not listed:
            self.hidden.add(call_id)

    def add_transcript(self, call_id: str, monologues: list[dict[str, Any]] | None = None) -> None:
        self.transcripts[call_id] = monologues or [
            {"speakerId": "1001", "topic": "Intro", "sentences": [
                {"start": 0, "end": 4000, "text": f"Thanks for joining, this is call {call_id}."}]},
            {"speakerId": "2002", "topic": "Pricing", "sentences": [
                {"start": 4100, "end": 9000, "text": "Our budget is 120k and I sign off on it."}]},
            {"speakerId": "3003", "sentences": [{"start": 9100, "end": 9900, "text": "Hello all."}]}]

    def automation_payload(self, call_id: str, *, is_test: bool = False) -> dict[str, Any]:
        """What an automation rule posts for this call."""
        call = self.calls[call_id]
        meta = {k: call[k] for k in ("id", "url", "title", "started", "duration", "workspaceId")}
        return {"callData": {"metaData": {**meta, "system": "Zoom", "scope": "External", "media": "Video",
                                          "language": "eng"},
                             "context": call["context"], "parties": call["parties"]}, "isTest": is_test}

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.seen() if p == path)

    def handle(self, request: Request) -> Reply:
        with self._window:
            status, payload, headers = self._answer(request.method, request.path, request.query,
                                                    request.json() or {}, request.headers.get("authorization", ""))
        return Reply(status, payload, headers)

    def _answer(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any],
                auth: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        request_id = uuid.uuid4().hex[:18]
        expected = "Basic " + base64.b64encode(f"{self.access_key}:{self.secret}".encode()).decode()
        if auth != expected:
            return 401, {"requestId": request_id, "errors": ["Unauthorized"]}, {}
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate:
            self.throttled += 1
            return 429, {"requestId": request_id, "errors": ["Too many requests"]}, {
                "Retry-After": str(self.retry_after)}
        self._recent.append(now)
        if method == "GET" and path == "/v2/calls":
            return self._list(query, request_id)
        if method == "POST" and path == "/v2/calls/transcript":
            ids = body.get("filter", {}).get("callIds") or []
            records = [{"callId": i, "transcript": self.transcripts[i]} for i in ids if i in self.transcripts]
            return self._page(records, "callTranscripts", body.get("cursor"), request_id)
        if method == "POST" and path == "/v2/calls/extensive":
            return self._extensive(body, request_id)
        return 404, {"requestId": request_id, "errors": ["Not found"]}, {}

    def _list(self, query: dict[str, list[str]], request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        since = datetime.fromisoformat(query["fromDateTime"][0])
        until = datetime.fromisoformat(query["toDateTime"][0])
        workspace = (query.get("workspaceId") or [None])[0]
        calls = sorted((c for i, c in self.calls.items() if i not in self.hidden
                        and workspace in (None, c["workspaceId"])
                        and since <= datetime.fromisoformat(c["started"]) < until),
                       key=lambda c: datetime.fromisoformat(c["started"]))
        listed = [{k: v for k, v in c.items() if k not in ("parties", "context")} for c in calls]
        return self._page(listed, "calls", (query.get("cursor") or [None])[0], request_id)

    def _extensive(self, body: dict[str, Any], request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        ids = body.get("filter", {}).get("callIds") or []
        selector = body.get("contentSelector") or {}
        records = []
        for i in ids:
            if i not in self.calls:
                continue
            call = self.calls[i]
            record: dict[str, Any] = {"metaData": {k: call[k] for k in ("id", "url", "title", "started")}}
            if selector.get("context") in ("Extended", "Basic"):
                record["context"] = call["context"]
            if (selector.get("exposedFields") or {}).get("parties"):
                record["parties"] = call["parties"]
            records.append(record)
        return self._page(records, "calls", body.get("cursor"), request_id)

    def _page(self, records: list[dict[str, Any]], key: str, cursor: str | None,
              request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not records:
            return 404, {"requestId": request_id, "errors": [NOT_FOUND]}, {}
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        page = records[start:start + self.page_size]
        info: dict[str, Any] = {"totalRecords": len(records), "currentPageSize": len(page),
                                "currentPageNumber": start // self.page_size}
        if start + self.page_size < len(records):
            info["cursor"] = base64.b64encode(str(start + self.page_size).encode()).decode()
        return 200, {"requestId": request_id, "records": info, key: page}, {}
