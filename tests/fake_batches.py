"""The Message Batches endpoints of the fake Messages API, as the installed SDK calls them.

What anthropic 2.x does (resources/messages/batches.py, types/messages/):
- create: POST /v1/messages/batches {"requests": [{"custom_id", "params"}]} -> MessageBatch. The SDK
  has no metadata field and no idempotency key, and it retries a POST on connection errors.
- retrieve: GET /v1/messages/batches/{id} -> MessageBatch {"id", "type": "message_batch",
  "processing_status": in_progress|canceling|ended, "request_counts": {processing, succeeded, errored,
  canceled, expired}, "created_at", "expires_at", "ended_at", "cancel_initiated_at", "archived_at",
  "results_url"}; counts other than `processing` stay 0 until the batch ends; `results_url` only then.
- results: retrieve first, then GET `results_url` (an absolute URL) streamed as JSON Lines, one
  {"custom_id", "result": {"type": "succeeded", "message": Message} | {"type": "errored", "error":
  ErrorResponse} | {"type": "canceled"} | {"type": "expired"}} per request, in no particular order.
- cancel: POST /v1/messages/batches/{id}/cancel -> MessageBatch (canceling, then ended).
- list: GET /v1/messages/batches?limit&after_id&before_id -> {"data", "has_more", "first_id",
  "last_id"}, newest first; the SDK's AsyncPage asks for the next page with after_id=last_id.

Per-request outcomes are scripted in request order (`script`), else "ok": "ok", "malformed",
"ungrounded" (succeeded, with a reply of that kind), "errored_invalid" (invalid_request_error),
"errored_server" (api_error), "expired", "canceled". `processing_seconds` is how long a batch runs.
`disconnect_next_create()` creates the next batch and then drops the connection without answering;
`refuse_next_create(status)` answers the next create with that error and makes no batch.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Json = Any
OUTCOMES = ("ok", "malformed", "ungrounded", "errored_invalid", "errored_server", "expired", "canceled")
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_PATH = re.compile(r"^/v1/messages/batches(?:/(?P<id>[^/]+)(?P<rest>/results|/cancel)?)?/?$")
MAX_REQUESTS = 100_000


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass
class FakeBatch:
    id: str
    requests: list[dict[str, Json]]
    outcomes: list[str]
    created_at: datetime
    ends_at: float  # monotonic
    cancel_initiated_at: datetime | None = None
    ended_at: datetime | None = None
    results: list[dict[str, Json]] = field(default_factory=list)


class FakeBatches:
    def __init__(self, api: Any) -> None:
        self.api = api
        self._wire = sys.modules[type(api).__module__]  # HttpResponse and friends, however the fake was run
        self.processing_seconds = 0.0
        self._lock = threading.Lock()
        self._script: deque[str] = deque()
        self._batches: dict[str, FakeBatch] = {}
        self._order: list[str] = []  # creation order
        self._disconnect_next = False
        self._refuse_next: int | None = None
        self._rng = random.Random(7)
        self.creates = 0  # create calls that made a batch

    # control

    def script(self, outcomes: Iterable[str]) -> None:
        outcomes = list(outcomes)
        unknown = set(outcomes) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"unknown batch outcomes {sorted(unknown)}")
        with self._lock:
            self._script.extend(outcomes)

    def disconnect_next_create(self) -> None:
        with self._lock:
            self._disconnect_next = True

    def refuse_next_create(self, status: int) -> None:
        """Answer the next create with this error status and make no batch."""
        with self._lock:
            self._refuse_next = status

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._batches.clear()
            self._order.clear()
            self._disconnect_next = False
            self._refuse_next = None
            self.processing_seconds = 0.0
            self.creates = 0
            self._rng = random.Random(7)

    def batch_ids(self) -> list[str]:
        with self._lock:
            return list(self._order)

    def requests_of(self, batch_id: str) -> list[dict[str, Json]]:
        with self._lock:
            return list(self._batches[batch_id].requests)

    def results_of(self, batch_id: str) -> list[dict[str, Json]]:
        """The result lines of an ended batch, as its results endpoint serves them."""
        with self._lock:
            return list(self._batches[batch_id].results)

    # HTTP

    def respond(self, request: Any, body: Json, request_id: str) -> Any:
        match = _PATH.match(request.path)
        if match is None:
            return self._wire.error_response(404, f"Not found: {request.path}", request_id=request_id)
        batch_id, rest = match.group("id"), match.group("rest")
        if batch_id is None and request.method == "POST":
            return self._create(body, request_id)
        if batch_id is None and request.method == "GET":
            return self._list(request.query, request_id)
        batch = self._batches.get(batch_id or "")
        if batch is None:
            return self._wire.error_response(404, f"No batch {batch_id}", request_id=request_id)
        if rest == "/cancel" and request.method == "POST":
            return self._ok(self._cancel(batch), request_id)
        if rest == "/results" and request.method == "GET":
            return self._results(batch, request_id)
        if rest is None and request.method == "GET":
            return self._ok(self._describe(batch), request_id)
        return self._wire.error_response(405, f"{request.method} {request.path}", request_id=request_id)

    def _ok(self, payload: Json, request_id: str) -> Any:
        return self._wire.HttpResponse(200, payload, {"request-id": request_id})

    def _create(self, body: Json, request_id: str) -> Any:
        problem = _invalid_batch(body, self._wire._invalid_messages_request)
        if problem:
            return self._wire.error_response(400, problem, request_id=request_id)
        requests = body["requests"]
        with self._lock:
            refuse, self._refuse_next = self._refuse_next, None
        if refuse is not None:
            return self._wire.error_response(refuse, "refused by the test", request_id=request_id)
        with self._lock:
            outcomes = [self._script.popleft() if self._script else "ok" for _ in requests]
            batch = FakeBatch(f"msgbatch_fake{next(self.api._ids):012d}", requests, outcomes,
                              datetime.now(UTC), time.monotonic() + self.processing_seconds)
            self._batches[batch.id] = batch
            self._order.append(batch.id)
            self.creates += 1
            disconnect, self._disconnect_next = self._disconnect_next, False
        if disconnect:
            raise self._wire._Disconnect
        return self._ok(self._describe(batch), request_id)

    def _cancel(self, batch: FakeBatch) -> dict[str, Json]:
        with self._lock:
            if batch.ended_at is None and batch.cancel_initiated_at is None:
                batch.cancel_initiated_at = datetime.now(UTC)
                batch.outcomes = ["canceled"] * len(batch.outcomes)
                batch.ends_at = time.monotonic()
        return self._describe(batch)

    def _describe(self, batch: FakeBatch) -> dict[str, Json]:
        self._finish_if_due(batch)
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.ended_at is None:
            counts["processing"] = len(batch.requests)
        else:
            for line in batch.results:
                counts[line["result"]["type"]] += 1
        status = "ended" if batch.ended_at else ("canceling" if batch.cancel_initiated_at else "in_progress")
        return {
            "id": batch.id, "type": "message_batch", "processing_status": status, "request_counts": counts,
            "created_at": _stamp(batch.created_at), "expires_at": _stamp(batch.created_at + timedelta(hours=24)),
            "ended_at": _stamp(batch.ended_at), "cancel_initiated_at": _stamp(batch.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{self.api.url}/v1/messages/batches/{batch.id}/results" if batch.ended_at else None,
        }

    def _finish_if_due(self, batch: FakeBatch) -> None:
        """A batch's replies are made when it ends, as the API processes them, prompt cache included."""
        with self._lock:
            if batch.ended_at is not None or time.monotonic() < batch.ends_at:
                return
            lines = [{"custom_id": r["custom_id"], "result": self._result(r["params"], outcome)}
                     for r, outcome in zip(batch.requests, batch.outcomes, strict=True)]
            self._rng.shuffle(lines)  # the API promises no order
            batch.results, batch.ended_at = lines, datetime.now(UTC)

    def _result(self, params: dict[str, Json], outcome: str) -> dict[str, Json]:
        if outcome in ("expired", "canceled"):
            return {"type": outcome}
        if outcome.startswith("errored"):
            kind, message = (("invalid_request_error", "messages.0.content: invalid") if outcome == "errored_invalid"
                             else ("api_error", "Internal server error"))
            return {"type": "errored", "error": {"type": "error", "error": {"type": kind, "message": message},
                                                  "request_id": None}}
        raw = json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
        return {"type": "succeeded", "message": self.api._message(params, raw, outcome)}

    def _results(self, batch: FakeBatch, request_id: str) -> Any:
        self._finish_if_due(batch)
        if batch.ended_at is None:
            return self._wire.error_response(400, "batch is still processing", request_id=request_id)
        jsonl = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in batch.results).encode()
        return self._wire.HttpResponse(200, None, {"request-id": request_id}, raw=jsonl,
                                       content_type="application/binary")

    def _list(self, query: str, request_id: str) -> Any:
        params = dict(part.partition("=")[::2] for part in query.split("&") if part)
        limit = min(max(int(params.get("limit") or 20), 1), 1000)
        with self._lock:
            newest_first = list(reversed(self._order))
        if params.get("after_id") in newest_first:
            newest_first = newest_first[newest_first.index(params["after_id"]) + 1:]
        elif params.get("before_id") in newest_first:
            newest_first = newest_first[: newest_first.index(params["before_id"])][-limit:]
        page = newest_first[:limit]
        data = [self._describe(self._batches[i]) for i in page]
        return self._ok({"data": data, "has_more": len(newest_first) > limit,
                         "first_id": page[0] if page else None, "last_id": page[-1] if page else None}, request_id)


def _invalid_batch(body: Json, invalid_messages_request: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list) or not body["requests"]:
        return "requests: at least one request is required"
    if len(body["requests"]) > MAX_REQUESTS:
        return f"requests: at most {MAX_REQUESTS} requests in a batch"
    seen: set[str] = set()
    for i, request in enumerate(body["requests"]):
        custom_id = request.get("custom_id") if isinstance(request, dict) else None
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            return f"requests.{i}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$"
        if custom_id in seen:
            return f"requests.{i}.custom_id: duplicate custom_id {custom_id}"
        seen.add(custom_id)
        problem = invalid_messages_request(request.get("params"))
        if problem:
            return f"requests.{i}.params.{problem}"
    return None
