"""A fake Anthropic Messages API on 127.0.0.1, for tests and benchmarks.

    with FakeMessagesAPI(latency_ms=200) as fake:
        client = anthropic.AsyncAnthropic(api_key="sk-test-x", base_url=fake.url)
        reply = await client.messages.parse(..., output_format=MeddpicAnalysis)

    python -m tests.fake_messages_api --port 8123 --latency-ms 200   # prints its URL, runs until killed
    python -m tests.fake_messages_api --itpm 40000 --rate-window 6    # an account's limits, with headers

It speaks the real wire format, answers structured-output requests with a JSON instance of the requested
schema whose free-text strings are verbatim excerpts of the transcript in the user message, accounts
prompt caching the way the API reports it, and injects faults on demand (scripted or random).
The server is one asyncio loop on its own thread (stdlib only, HTTP/1.1 keep-alive), so a benchmark's
64 concurrent connections cost 64 coroutines, not 64 threads.

What the installed SDK does (anthropic 2.14.0, .venv/lib/python3.11/site-packages/anthropic; line numbers
from that tree). This fake is built to match it.

Request of `AsyncAnthropic.messages.parse(model, max_tokens, system=[...], messages=[...], output_format=M)`
  (resources/messages/messages.py:3230). No beta header, no `betas`: plain POST {base_url}/v1/messages,
  with body keys in this order (omitted params are dropped):
    {"max_tokens": 1000, "messages": [{"role": "user", "content": "..."}], "model": "claude-...",
     "output_config": {"format": {"schema": {...}, "type": "json_schema"}},
     "system": [{"type": "text", "text": "...", "cache_control": {"type": "ephemeral"}}]}
  An `output_config` you pass (e.g. {"effort": ...}) is merged, `format` wins. A dict `output_format`
  raises TypeError. The schema is `TypeAdapter(M).json_schema()` put through `transform_schema`
  (lib/_parse/_transform.py:104): `$defs` kept and `$ref` left as is; every object gets
  `"additionalProperties": false` and keeps `required` (fields with defaults are NOT required); `oneOf`
  becomes `anyOf` (Optional[X] -> anyOf [X, {"type": "null"}]); enums/Literals keep `enum`/`const` and lose
  `type`; string `format` survives only for date-time, time, date, duration, email, hostname, uri, ipv4,
  ipv6, uuid; array `minItems` survives only when 0 or 1. Every other keyword (minimum, maximum,
  maxItems, minLength, maxLength, pattern, default, ...) is REMOVED and appended to the description as
  "{default: None, maximum: 10, minimum: 0}": the API never enforces them, only pydantic does on parse.
Headers it sends: `Authorization: Bearer <api_key>` for api_key= (and for auth_token=); this version sends
  NO `x-api-key` (_client.py:784-799). Also `anthropic-version: 2026-10-21` (_constants.py:7),
  `x-stainless-helper: messages.parse`, `x-stainless-retry-count: <n>` (0 on the first attempt,
  _base_client.py:565), `x-stainless-timeout: 600`, `User-Agent: AsyncAnthropic/Python 2.14.0`.
  No idempotency header. api_key= explicit disables reading ANTHROPIC_API_KEY; base_url= beats
  ANTHROPIC_BASE_URL.
Timeout: with the client's default timeout, parse()/create() use Timeout(600, connect=5); max_tokens above
  21,333 (600 s * 128k / 3600) raises ValueError "Streaming is required" (_base_client.py:864). A client
  `timeout=` of your own is used as given. A read timeout raises APITimeoutError (_base_client.py:2253),
  a subclass of APIConnectionError, and is retried like one.
Response: {"id": "msg_...", "type": "message", "role": "assistant", "model": "...",
  "content": [{"type": "text", "text": "<JSON>"}], "stop_reason": "end_turn", "stop_sequence": null,
  "usage": {"input_tokens": n, "output_tokens": n, "cache_creation_input_tokens": n,
  "cache_read_input_tokens": n, "cache_creation": {"ephemeral_5m_input_tokens": n,
  "ephemeral_1h_input_tokens": 0}, "service_tier": "standard"}}.
  `input_tokens` counts only the uncached part; the cache fields are Optional[int] in types/usage.py.
  The reply is parsed by `parse_response` (lib/_parse/_response.py:49): each text block's text goes
  through `TypeAdapter(M).validate_json` (line 19) and lands in `content[i].parsed_output`;
  `ParsedMessage.parsed_output` is the first truthy one. Invalid JSON or a schema violation raises
  pydantic.ValidationError straight out of `await parse(...)`, unwrapped and NOT retried (it is no
  APIError, _base_client.py:974). stop_reason "max_tokens" (truncated JSON) fails the same way.
Retries (_base_client.py): max_retries default 2 (_constants.py:11), so at most 3 attempts.
  `_should_retry` (line 939): header `x-should-retry: true/false` wins; else retry 408, 409, 429 and every
  status >= 500 (so 500, 503, 529); never 400/401/403/404/413. Connection errors and timeouts are
  retried (line 974). Delay (`_calculate_retry_timeout`, line 913): `retry-after-ms` (ms) first, then
  `retry-after` as float seconds, then as an HTTP date (`_parse_retry_after_header`, line 879); a
  positive value is obeyed with NO cap but min(value, 4_294_967 s) (line 926): a 429 carrying
  `retry-after: 3600` parks the call for an hour. Without the header: min(0.5 * 2**n, 8.0) seconds
  times a jitter in (0.75, 1] (INITIAL_RETRY_DELAY 0.5, MAX_RETRY_DELAY 8.0, _constants.py:14-15).
  So a provider must cap retry-after itself: e.g. max_retries=0 plus its own loop, or a client-level
  `middleware=` (_middleware.py) that rewrites/caps the header before the SDK reads it.
Errors: body {"type": "error", "error": {"type": "rate_limit_error", "message": "..."},
  "request_id": "req_..."} plus a `request-id` header (-> exc.request_id, exc.type, exc.api_message).
  `make_status_error` (_error_classes.py:343, table lines 190-206): 400 BadRequestError,
  401 AuthenticationError, 402 PaymentRequiredError, 403 PermissionDeniedError, 404 NotFoundError,
  413 ContentTooLargeError, 429 RateLimitError, 500 InternalServerError (any unlisted >= 500),
  503 ServiceUnavailableError, 529 OverloadedError (503/529 subclass InternalServerError), all
  APIStatusError. `error.details.error_code` picks finer classes, e.g. (429, "enforced_spend_limit_reached")
  -> EnforcedSpendLimitReachedError(RateLimitError): still a 429, so still retried unless the response
  says `x-should-retry: false`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import math
import random
import re
import signal
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from tests.fake_ratelimit import AccountBuckets

Json = Any

ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
REPLY_KINDS = ("ok", "malformed", "ungrounded", "hang", "disconnect", "spend_limit")
MODELS = ("claude-sonnet-5-5", "claude-haiku-4-5", "claude-opus-4-1")  # for GET /v1/models only
CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


# --- the transcript inside a request ------------------------------------------------------------------

_TS = r"[\[(]?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?"
_SPEAKER_LINES = re.compile(
    rf"^[ \t]*(?:{_TS}[ \t]*)?(?:-[ \t]*)?(?P<speaker>[A-Z][\w.'’-]*(?:[ \t]+[A-Z0-9][\w.'’-]*){{0,3}})"
    r"[ \t]*(?:\([^)\n]*\))?[ \t]*(?:\[[\d:.,]+\])?[ \t]*:[ \t]+(?P<text>\S.*)",
    re.MULTILINE,
)
_VTT_VOICES = re.compile(r"^[ \t]*<v(?:\.[^\s>]+)?[ \t]+(?P<speaker>[^>\n]+)>(?P<text>.*?)(?:</v>)?[ \t]*$",
                         re.MULTILINE)
_PLAIN_LINES = re.compile(r"^[ \t]*(?!WEBVTT|NOTE\b|\d+[ \t]*$|.*-->)(?P<text>\S.*)", re.MULTILINE)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Utterance:
    speaker: str | None
    timestamp: str | None
    text: str


@dataclass(frozen=True)
class Excerpt:
    text: str
    speaker: str | None
    timestamp: str | None


class Transcript:
    """The turns of the transcript a request carries: where every grounded string comes from.

    Turns are `[hh:mm:ss] Name: text`, `Name (Title): text`, `hh:mm Name: text` or WebVTT `<v Name>text`
    lines; without any, every non-empty line that is not a cue timing or number is one turn.
    """

    def __init__(self, text: str) -> None:
        body = _fenced(text)
        matches = [*_SPEAKER_LINES.finditer(body), *_VTT_VOICES.finditer(body)] or [*_PLAIN_LINES.finditer(body)]
        turns = [Utterance(m.group("speaker").strip() if "speaker" in m.re.groupindex else None,
                           m.groupdict().get("ts"), m.group("text").rstrip()) for m in matches]
        self.utterances = [u for u in turns if u.text.count(" ") >= 3] or turns  # about four words or more
        self.speakers = list(dict.fromkeys(u.speaker for u in turns if u.speaker))
        self.timestamps = [u.timestamp for u in turns if u.timestamp]

    def excerpt(self, rng: random.Random, min_len: int = 0, max_len: int | None = None) -> Excerpt:
        """A verbatim span of 4-12 words from one turn."""
        if not self.utterances:
            return Excerpt("no transcript was provided", None, None)
        chosen = self.utterances[rng.randrange(len(self.utterances))]
        for _ in range(8):
            if len(chosen.text) >= min_len:
                break
            chosen = self.utterances[rng.randrange(len(self.utterances))]
        words = [m.span() for m in _WORD.finditer(chosen.text)]
        span = min(len(words), rng.randint(4, 12))
        first = rng.randint(0, len(words) - span)
        text = chosen.text[words[first][0] : words[first + span - 1][1]]
        if len(text) < min_len:
            text = chosen.text
        if max_len is not None and len(text) > max_len:
            text = text[:max_len].rstrip()
        return Excerpt(text, chosen.speaker, chosen.timestamp)


def _fenced(text: str) -> str:
    """The text inside <transcript ...>...</transcript>, when the prompt fences it so."""
    start = text.find("<transcript")
    open_end = text.find(">", start) + 1
    end = text.rfind("</transcript>")
    return text[open_end:end] if start >= 0 and open_end > 0 and end >= open_end else text


@lru_cache(maxsize=64)
def transcript_of(user_text: str) -> Transcript:
    return Transcript(user_text)


def user_text(body: Mapping[str, Json]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            parts.extend(_block_texts(message.get("content")))
    return "\n".join(parts)


def _block_texts(content: Json) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return []


# --- a JSON instance for a JSON schema ---------------------------------------------------------------

_DESCRIBED = re.compile(r"\{([^{}]*)\}\s*$")
_NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
                     "minLength", "maxLength")
_PERSON_KEY = re.compile(r"(?:^|_)(?:speaker|name|person|who|owner|source|target)$", re.IGNORECASE)
_PERSON_DESCRIPTION = re.compile(r"\bwho\b|\bname of\b|person's name|\bas named\b", re.IGNORECASE)
_NOT_PERSON = re.compile(r"company|organi[sz]ation|account|vendor|product|deal|competitor|file|tool",
                         re.IGNORECASE)
_TIME_KEY = re.compile(r"time|timestamp", re.IGNORECASE)
_INVENTED = (
    "we already signed a three year renewal with your competitor",
    "our board approved a twelve million dollar budget yesterday",
    "the whole procurement review is finished and legal has no comments",
    "I personally guarantee we will go live next Monday",
)


@lru_cache(maxsize=1024)
def _names_a_person(key: str, description: str) -> bool:
    if _NOT_PERSON.search(key):
        return False
    return bool(_PERSON_KEY.search(key) or _PERSON_DESCRIPTION.search(description))


def constraints(node: Mapping[str, Json]) -> dict[str, float]:
    """Numeric keywords, whether still in the schema or moved into the description by the SDK."""
    found = {k: float(node[k]) for k in _NUMERIC_KEYWORDS if isinstance(node.get(k), (int, float))}
    match = _DESCRIBED.search(str(node.get("description") or ""))
    if match:
        for part in re.split(r",\s*(?=\w+:)", match.group(1)):
            key, _, value = part.partition(":")
            try:
                found.setdefault(key.strip(), float(value.strip()))
            except ValueError:
                continue
    return {k: v for k, v in found.items() if k in _NUMERIC_KEYWORDS}


class InstanceBuilder:
    """Builds one deterministic instance of a schema; `grounded=False` invents every free-text string."""

    def __init__(self, root: Mapping[str, Json], transcript: Transcript, rng: random.Random,
                 *, grounded: bool = True) -> None:
        self.root = root
        self.transcript = transcript
        self.rng = rng
        self.grounded = grounded
        self._enum_base = rng.randrange(1 << 16)
        self._enum_turns: Counter[str] = Counter()
        self._speaker_turn = itertools.count(rng.randrange(1 << 16))

    def build(self, node: Mapping[str, Json] | None = None, key: str = "",
              context: list[Excerpt] | None = None) -> Json:
        node = self._resolve(self.root if node is None else node)
        context = [] if context is None else context
        if "const" in node:
            return node["const"]
        if isinstance(node.get("enum"), list) and node["enum"]:
            return self._rotate(node["enum"])
        variants = node.get("anyOf") or node.get("oneOf")
        types = node.get("type")
        if isinstance(types, list):
            variants = [{**node, "type": t} for t in types]
        if variants:
            return self._one_of(variants, key, context)
        if node.get("allOf"):
            return self.build(self._merge(node["allOf"]), key, context)
        kind = types or ("object" if "properties" in node else "string")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            return self._array(node, key, context)
        if kind in ("integer", "number"):
            return self._number(node, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(node, key, context)

    def _resolve(self, node: Mapping[str, Json]) -> Mapping[str, Json]:
        seen = 0
        while isinstance(node.get("$ref"), str) and seen < 32:
            target: Json = self.root
            for part in node["$ref"].lstrip("#").strip("/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **extra}
            seen += 1
        return node

    def _merge(self, parts: Iterable[Mapping[str, Json]]) -> dict[str, Json]:
        merged: dict[str, Json] = {}
        for part in parts:
            part = self._resolve(part)
            properties = {**merged.get("properties", {}), **part.get("properties", {})}
            required = [*merged.get("required", []), *part.get("required", [])]
            merged.update(part)
            if properties:
                merged["properties"], merged["required"] = properties, required
        return merged

    def _rotate(self, values: Sequence[Json]) -> Json:
        signature = json.dumps(values, sort_keys=True)
        turn = self._enum_turns[signature]
        self._enum_turns[signature] += 1
        return values[(self._enum_base + turn) % len(values)]

    def _one_of(self, variants: Sequence[Mapping[str, Json]], key: str, context: list[Excerpt]) -> Json:
        resolved = [self._resolve(v) for v in variants]
        concrete = [v for v in resolved if v.get("type") != "null"]
        if not concrete or (len(concrete) < len(resolved) and self.rng.random() < 0.2):
            return None
        return self.build(concrete[self.rng.randrange(len(concrete))], key, context)

    def _object(self, node: Mapping[str, Json]) -> dict[str, Json]:
        properties: Mapping[str, Json] = node.get("properties") or {}
        required = set(node.get("required") or ())
        present = [k for k in properties if k in required or self.rng.random() < 0.75]
        # people and times last, so they can name the turn a quote in the same object came from
        later = [k for k in present if self._is_person(k, properties[k]) or _TIME_KEY.search(k)]
        context: list[Excerpt] = []
        values = {k: self.build(properties[k], k, context) for k in present if k not in later}
        values.update({k: self.build(properties[k], k, context) for k in later})
        return {k: values[k] for k in present}

    def _array(self, node: Mapping[str, Json], key: str, context: list[Excerpt]) -> list[Json]:
        limits = constraints(node)
        high = int(limits.get("maxItems", 1_000))
        low = min(max(1, int(limits.get("minItems", 1))), high)
        count = self.rng.randint(low, max(low, min(high, 3)))
        items = node.get("items") or {}
        if isinstance(node.get("prefixItems"), list):
            return [self.build(item, key, context) for item in node["prefixItems"]]
        return [self.build(items, key, context) for _ in range(count)]

    def _number(self, node: Mapping[str, Json], *, integer: bool) -> int | float:
        limits = constraints(node)
        step = 1 if integer else 0.01
        low = limits.get("minimum", limits.get("exclusiveMinimum", -math.inf) + step)
        high = limits.get("maximum", limits.get("exclusiveMaximum", math.inf) - step)
        if math.isinf(low):
            low = min(0.0, high - (10 if integer else 1))
        if math.isinf(high):
            high = low + (10 if integer else 1)
        if integer:
            return self.rng.randint(math.ceil(low), math.floor(high))
        return round(min(max(self.rng.uniform(low, high), low), high), 4)

    def _is_person(self, key: str, node: Mapping[str, Json]) -> bool:
        return _names_a_person(key, str(self._resolve(node).get("description") or ""))

    def _string(self, node: Mapping[str, Json], key: str, context: list[Excerpt]) -> str:
        fmt = node.get("format")
        if fmt and fmt != "text":
            return self._formatted(str(fmt))
        limits = constraints(node)
        min_len, max_len = int(limits.get("minLength", 0)), limits.get("maxLength")
        if key and self.transcript.speakers and self._is_person(key, node):
            if context and context[-1].speaker:
                return context[-1].speaker
            return self.transcript.speakers[next(self._speaker_turn) % len(self.transcript.speakers)]
        if key and _TIME_KEY.search(key) and self.transcript.timestamps:
            if context and context[-1].timestamp:
                return context[-1].timestamp
            return self.transcript.timestamps[self.rng.randrange(len(self.transcript.timestamps))]
        if not self.grounded:
            text = f"{_INVENTED[self.rng.randrange(len(_INVENTED))]} (ref zq{self.rng.getrandbits(32):08x})"
            return text[: int(max_len)] if max_len is not None else text
        excerpt = self.transcript.excerpt(self.rng, min_len, int(max_len) if max_len is not None else None)
        context.append(excerpt)
        return excerpt.text

    def _formatted(self, fmt: str) -> str:
        day, minute = self.rng.randint(1, 28), self.rng.randint(0, 59)
        return {
            "date-time": f"2025-03-{day:02d}T10:{minute:02d}:00Z",
            "date": f"2025-03-{day:02d}",
            "time": f"10:{minute:02d}:00",
            "duration": f"PT{minute + 1}M",
            "email": f"person{day}@example.com",
            "hostname": "example.com",
            "uri": f"https://example.com/deals/{day}",
            "ipv4": f"192.0.2.{day}",
            "ipv6": f"2001:db8::{day:x}",
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
        }.get(fmt, f"2025-03-{day:02d}")


def break_instance(instance: Json, schema: Mapping[str, Json]) -> Json:
    """The same reply made invalid for the schema: a required field dropped, or a value of the wrong type."""
    if not isinstance(instance, dict) or not instance:
        return {"unexpected": True} if not isinstance(instance, dict) else "not an object"
    required = [k for k in schema.get("required") or () if k in instance]
    broken = dict(instance)
    if required:
        del broken[required[0]]
        return broken
    first = next(iter(broken))
    value = broken[first]
    broken[first] = "not-a-list" if isinstance(value, list) else ["not", "a", "scalar"]
    return broken


# --- prompt caching and usage ------------------------------------------------------------------------

@dataclass(frozen=True)
class PromptParts:
    cacheable: str  # everything up to and including the last block marked with cache_control
    rest_chars: int

    @classmethod
    def of(cls, body: Mapping[str, Json]) -> PromptParts:
        system = body.get("system")
        blocks: list[Json] = [{"type": "text", "text": system}] if isinstance(system, str) else list(system or [])
        for message in body.get("messages") or []:
            content = message.get("content") if isinstance(message, dict) else None
            blocks.extend([{"type": "text", "text": content}] if isinstance(content, str) else content or [])
        texts = [str(b.get("text", "")) if isinstance(b, dict) else "" for b in blocks]
        marked = [i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
        cut = marked[-1] + 1 if marked else 0
        schema = _schema_of(body)
        rest = sum(len(t) for t in texts[cut:]) + (len(json.dumps(schema)) if schema else 0)
        return cls("".join(texts[:cut]), rest)


def _schema_of(body: Mapping[str, Json]) -> dict[str, Json] | None:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), dict):
        return fmt["schema"]
    return None


# --- statistics --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FakeStats:
    total_requests: int
    by_path: dict[str, int]
    outcomes: dict[str, int]
    retried_requests: int  # requests the SDK marked as a retry (x-stainless-retry-count > 0)
    in_flight: int
    max_in_flight: int
    connections: int
    mean_in_flight: float
    steady_in_flight: float  # time-weighted mean over the middle 80% of the busy span (ramp and tail left out)
    internal_errors: list[str]  # bugs in the fake itself, answered with a 500: tests should expect none
    # The busy span's shape, for benchmarks (0 when nothing was in flight): from the first request in to
    # the last reply out; from its start to the first moment at the peak level (the ramp); from the last
    # moment at the peak to its end (the tail).
    span_seconds: float = 0.0
    ramp_seconds: float = 0.0
    tail_seconds: float = 0.0


@dataclass(frozen=True)
class _Knobs:
    """What a FakeMessagesAPI was built with: reset() goes back to these."""

    latency_ms: float
    jitter_ms: float
    hang_seconds: float
    retry_after: float | None
    api_key: str | None
    cache_min_tokens: int
    seed: int
    answer_models: dict[str, str]


@dataclass
class _Counters:
    started: float = field(default_factory=time.monotonic)
    total: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    max_in_flight: int = 0
    connections: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)
    levels: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=500_000))


# --- HTTP --------------------------------------------------------------------------------------------

@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    arrived: float = field(default_factory=time.monotonic)
    query: str = ""


@dataclass
class HttpResponse:
    status: int
    payload: Json
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body that is not one JSON document (batch results are JSONL)
    content_type: str = "application/json"

    def encode(self, keep_alive: bool) -> bytes:
        body = self.raw if self.raw is not None else json.dumps(self.payload, separators=(",", ":")).encode()
        reason = "Overloaded" if self.status == 529 else HTTPStatus(self.status).phrase
        head = [f"HTTP/1.1 {self.status} {reason}", f"content-type: {self.content_type}",
                f"content-length: {len(body)}", f"connection: {'keep-alive' if keep_alive else 'close'}"]
        head.extend(f"{k}: {v}" for k, v in self.headers.items())
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Disconnect(Exception):
    """Close the connection without answering."""


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length") or 0))
    keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    path, _, query = target.partition("?")
    return HttpRequest(method, path, headers, body, keep_alive, query=query)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return b"".join(chunks)


def error_response(status: int, message: str, *, request_id: str, error_code: str | None = None,
                   headers: Mapping[str, str] | None = None) -> HttpResponse:
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    error: dict[str, Json] = {"type": kind, "message": message}
    if error_code:
        error["details"] = {"error_code": error_code}
    return HttpResponse(status, {"type": "error", "error": error, "request_id": request_id},
                        {"request-id": request_id, **(headers or {})})


# --- the fake ----------------------------------------------------------------------------------------

class FakeMessagesAPI:
    """The Messages API on 127.0.0.1, served by one asyncio loop on a background thread.

    Settable while running: `latency_ms`, `jitter_ms`, `hang_seconds`, `retry_after`, `api_key`,
    `cache_min_tokens`, `answer_models`, `responder`, `rate_limits`, `revoked_keys`, `known_models`,
    `script([...])`, `faults(...)` and `hold()` / `release()`. Read while running: `stats()`,
    `last_headers`, `recorded_bodies`. `reset()` puts every one of them back as the fake was built, and
    forgets the prompt cache, the batches and the stats.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                 jitter_ms: float = 0.0, hang_seconds: float = 30.0, retry_after: float | None = 1.0,
                 api_key: str | None = None, cache_min_tokens: int = 0, record_limit: int = 100,
                 seed: int = 0, answer_models: Mapping[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self._built_with = _Knobs(latency_ms, jitter_ms, hang_seconds, retry_after, api_key, cache_min_tokens,
                                  seed, dict(answer_models or {}))
        self.latency_ms, self.jitter_ms, self.hang_seconds = latency_ms, jitter_ms, hang_seconds
        self.retry_after = retry_after  # seconds, sent as `retry-after` on 429; None sends no header
        self.api_key = api_key  # when set, any other credential gets a 401
        # Keys revoked in the Console: the API answers them 401 authentication_error, as it does any bad key.
        self.revoked_keys: set[str] = set()
        # When set, a model id outside it gets what the API answers an unknown model:
        # 404 not_found_error "model: <id>", on /v1/messages and /v1/messages/count_tokens alike.
        self.known_models: set[str] | None = None
        self.cache_min_tokens = cache_min_tokens
        # The id a reply names for a requested id, as the API answers an alias with a dated snapshot
        # (claude-sonnet-4-5 -> claude-sonnet-4-5-20250929); an id not listed is echoed back.
        self.answer_models: dict[str, str] = dict(answer_models or {})
        # Settable: (system prompt text, user message text, output schema) -> the JSON instance to answer
        # with, or None for the usual excerpt-built one. Lets a test make the answer depend on the prompt
        # (a good version and a broken one) while every request still goes through the real SDK.
        self.responder: Callable[[str, str, Mapping[str, Json]], Json | None] | None = None
        self._lock = threading.Lock()
        self._counters = _Counters()
        self._in_flight = 0
        self._bodies: deque[Json] = deque(maxlen=record_limit)
        self._script: deque[str] = deque()
        self._fault_rates: dict[str, float] = {}
        self._fault_rng = random.Random(seed)
        self._jitter_rng = random.Random(seed + 1)
        self._ids = itertools.count(1)
        self._prompt_cache: set[str] = set()
        # Settable, opt-in: an account's limits (tests/fake_ratelimit.py), sent as rate-limit headers on
        # every reply and enforced with 429s.
        self.rate_limits: AccountBuckets | None = None
        # Settable: while True, Messages replies wait (after their latency) until release(), so a test can
        # see how many requests are in flight together, or what a run has saved meanwhile, without racing
        # the clock. `hold_only`, a regex, holds just the requests whose user text it matches.
        self.holding = False
        self.hold_only: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        from tests.fake_batches import FakeBatches  # its own module; it builds replies with this fake

        self.batches = FakeBatches(self)

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeMessagesAPI:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name="fake-messages-api",
                                        daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
        self._loop = self._stop = self._thread = None

    def __enter__(self) -> FakeMessagesAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            asyncio.run(self._serve(ready))
        except BaseException as exc:  # surfaced by start() when it happens before the server is up
            failure.append(exc)
            ready.set()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await self._stop.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # fault injection

    def script(self, replies: Iterable[str]) -> None:
        """Queue replies for the next POST /v1/messages calls, in order: "ok", "malformed", "ungrounded",
        "hang", "disconnect", "spend_limit", or a status code ("429", "500", "529", "401", ...);
        "429:3600" sets that reply's retry-after."""
        replies = list(replies)
        for reply in replies:
            if reply not in REPLY_KINDS and not re.fullmatch(r"\d{3}(:[\d.]+)?", reply):
                raise ValueError(f"unknown scripted reply {reply!r}")
        with self._lock:
            self._script.extend(replies)

    def faults(self, *, rate_429: float = 0.0, rate_5xx: float = 0.0, rate_529: float = 0.0,
               rate_malformed: float = 0.0, rate_ungrounded: float = 0.0, rate_hang: float = 0.0,
               rate_disconnect: float = 0.0, seed: int = 0) -> None:
        """Random faults for unscripted calls, from an RNG seeded here; all zero turns them off."""
        rates = {"429": rate_429, "500": rate_5xx, "529": rate_529, "malformed": rate_malformed,
                 "ungrounded": rate_ungrounded, "hang": rate_hang, "disconnect": rate_disconnect}
        if sum(rates.values()) > 1:
            raise ValueError("fault rates add up to more than 1")
        with self._lock:
            self._fault_rates = {k: v for k, v in rates.items() if v > 0}
            self._fault_rng = random.Random(seed)

    def clear_faults(self) -> None:
        with self._lock:
            self._script.clear()
            self._fault_rates = {}
            self.revoked_keys = set()
            self.known_models = None
        self.batches.reset()

    def hold(self, only: str | None = None) -> None:
        """Keep Messages replies from here on waiting until release(): all of them, or with `only` (a
        regex) those to requests whose user text matches it."""
        self.hold_only = only
        self.holding = True

    def release(self) -> None:
        self.holding = False
        self.hold_only = None

    def reset(self) -> None:
        """Every knob back to what this fake was built with; no script, faults, account limits, held
        replies, prompt cache or batches; the RNGs reseeded; stats and recorded bodies cleared."""
        knobs = self._built_with
        self.latency_ms, self.jitter_ms, self.hang_seconds = knobs.latency_ms, knobs.jitter_ms, knobs.hang_seconds
        self.retry_after, self.api_key = knobs.retry_after, knobs.api_key
        self.cache_min_tokens, self.answer_models = knobs.cache_min_tokens, dict(knobs.answer_models)
        self.rate_limits, self.responder = None, None
        self.release()
        with self._lock:
            self._jitter_rng = random.Random(knobs.seed + 1)
            self._prompt_cache.clear()
        self.faults(seed=knobs.seed)
        self.clear_faults()  # the script, and the batches
        self.reset_stats()

    def clear_prompt_cache(self) -> None:
        with self._lock:
            self._prompt_cache.clear()

    def _next_reply(self) -> str:
        with self._lock:
            if self._script:
                return self._script.popleft()
            if self._fault_rates:
                draw, total = self._fault_rng.random(), 0.0
                for reply, rate in self._fault_rates.items():
                    total += rate
                    if draw < total:
                        return reply
        return "ok"

    # statistics

    def stats(self, window_s: float | None = None, full: int | None = None) -> FakeStats:
        """`full`: the level the ramp and tail are measured against (default: the peak seen)."""
        with self._lock:
            c = self._counters
            return FakeStats(c.total, dict(c.by_path), dict(c.outcomes), c.retried, self._in_flight,
                             c.max_in_flight, c.connections, self._mean_in_flight_locked(window_s),
                             self._steady_in_flight_locked(), list(c.internal_errors), *self._shape_locked(full))

    def reset_stats(self) -> None:
        with self._lock:
            self._counters = _Counters(max_in_flight=self._in_flight)
            self._counters.levels.append((self._counters.started, self._in_flight))
            self._bodies.clear()

    @property
    def total_requests(self) -> int:
        return self._counters.total

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        return self._counters.max_in_flight

    @property
    def last_headers(self) -> dict[str, str]:
        """Headers of the last request, names lower-cased."""
        with self._lock:
            return dict(self._counters.last_headers)

    @property
    def recorded_bodies(self) -> list[Json]:
        """The last `record_limit` request bodies, parsed, oldest first."""
        with self._lock:
            return list(self._bodies)

    def mean_in_flight(self, window_s: float | None = None) -> float:
        """Time-weighted mean of requests in flight over the last `window_s` seconds (default: since reset)."""
        with self._lock:
            return self._mean_in_flight_locked(window_s)

    def _mean_in_flight_locked(self, window_s: float | None) -> float:
        now = time.monotonic()
        start = self._counters.started if window_s is None else max(self._counters.started, now - window_s)
        return self._mean_between_locked(start, now)

    def _steady_in_flight_locked(self) -> float:
        first = next((stamp for stamp, level in self._counters.levels if level), None)
        if first is None:
            return 0.0
        last = self._counters.levels[-1][0] if not self._in_flight else time.monotonic()
        return self._mean_between_locked(first + 0.1 * (last - first), first + 0.9 * (last - first))

    def _shape_locked(self, full: int | None = None) -> tuple[float, float, float]:
        """(span, ramp, tail) of the busy span since the last reset, in seconds; a level never reached
        makes the whole span ramp and tail."""
        levels = self._counters.levels
        busy = [i for i, (_, level) in enumerate(levels) if level]
        if not busy:
            return 0.0, 0.0, 0.0
        first = levels[busy[0]][0]
        end = time.monotonic() if self._in_flight else levels[-1][0]
        peak = full if full is not None else max(level for _, level in levels)
        at_peak = [i for i in busy if levels[i][1] >= peak]
        if not at_peak:
            return end - first, end - first, end - first
        reached = levels[at_peak[0]][0]
        left = levels[at_peak[-1] + 1][0] if at_peak[-1] + 1 < len(levels) else end
        return end - first, reached - first, end - left

    def _mean_between_locked(self, start: float, end: float) -> float:
        if end <= start:
            return float(self._in_flight)
        area, level, since = 0.0, 0, start
        for stamp, new_level in self._counters.levels:
            if stamp > end:
                break
            if stamp > start:
                area += level * (stamp - since)
                since = stamp
            level = new_level
        area += level * (end - since)
        return area / (end - start)

    def _track(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            c = self._counters
            c.max_in_flight = max(c.max_in_flight, self._in_flight)
            c.levels.append((time.monotonic(), self._in_flight))

    def _record(self, request: HttpRequest, body: Json) -> None:
        with self._lock:
            c = self._counters
            c.total += 1
            c.by_path[f"{request.method} {request.path}"] += 1
            c.last_headers = dict(request.headers)
            c.retried += request.headers.get("x-stainless-retry-count", "0") not in ("", "0")
            if body is not None:
                self._bodies.append(body)

    def _outcome(self, name: str) -> None:
        with self._lock:
            self._counters.outcomes[name] += 1

    # HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self._counters.connections += 1
        try:
            while (request := await read_request(reader)) is not None:
                counted = not request.path.startswith("/_fake/")  # control requests are not API traffic
                self._track(+1 if counted else 0)
                try:
                    response = await self._respond(request, reader)
                except _Disconnect:
                    return
                except Exception as exc:  # a bug in the fake: answer like the API would, and keep a note
                    with self._lock:
                        self._counters.internal_errors.append(f"{type(exc).__name__}: {exc}")
                    response = error_response(500, f"fake internal error: {exc!r}", request_id="req_fake_bug")
                finally:
                    self._track(-1 if counted else 0)
                writer.write(response.encode(request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stop(): asyncio's stream callback would log a cancelled handler
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _respond(self, request: HttpRequest, reader: asyncio.StreamReader) -> HttpResponse:
        request_id = f"req_fake{next(self._ids):012d}"
        if request.path.startswith("/_fake/"):  # control endpoints for a fake in another process
            return self._control(request)
        body: Json = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                self._record(request, None)
                return error_response(400, "The request body is not valid JSON", request_id=request_id)
        self._record(request, body)
        if (self.api_key is not None and not self._authorised(request.headers)) or self._revoked(request.headers):
            self._outcome("401")
            return error_response(401, "invalid x-api-key", request_id=request_id)
        route = (request.method, request.path)
        if route[1] in ("/v1/messages", "/v1/messages/count_tokens") and (unknown := self._unknown_model(body)):
            self._outcome("404")
            return error_response(404, f"model: {unknown}", request_id=request_id)
        if route == ("POST", "/v1/messages"):
            return await self._messages(body, request.body, request_id, request.arrived, reader)
        if route == ("POST", "/v1/messages/count_tokens"):
            parts = PromptParts.of(body or {})
            return HttpResponse(200, {"input_tokens": estimate_tokens(len(parts.cacheable) + parts.rest_chars)},
                                {"request-id": request_id})
        if request.method == "GET" and request.path.startswith("/v1/models"):
            return self._models(request.path, request_id)
        if request.path.startswith("/v1/messages/batches"):
            return self.batches.respond(request, body, request_id)
        return error_response(404, f"Not found: {request.method} {request.path}", request_id=request_id)

    def _control(self, request: HttpRequest) -> HttpResponse:
        """GET /_fake/stats[?window=S&full=N] and POST /_fake/reset: not counted as API requests."""
        if request.method == "POST" and request.path == "/_fake/reset":
            self.reset_stats()
            return HttpResponse(200, {"reset": True}, {})
        if request.method == "GET" and request.path.startswith("/_fake/stats"):
            query = parse_qs(request.path.partition("?")[2])
            window, full = query.get("window", [""])[0], query.get("full", [""])[0]
            stats = asdict(self.stats(float(window) if window else None, int(full) if full else None))
            return HttpResponse(200, stats, {})
        return error_response(404, f"Not found: {request.method} {request.path}", request_id="req_control")

    def _revoked(self, headers: Mapping[str, str]) -> bool:
        return bool(self.revoked_keys) and bool(
            {headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer ")} & self.revoked_keys)

    def _unknown_model(self, body: Json) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        if self.known_models is None or not isinstance(model, str) or model in self.known_models:
            return None
        return model

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        return self.api_key in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))

    def _models(self, path: str, request_id: str) -> HttpResponse:
        infos = [{"type": "model", "id": m, "display_name": m.replace("-", " ").title(),
                  "created_at": "2025-09-29T00:00:00Z", "lifecycle": "active"} for m in MODELS]
        wanted = path.removeprefix("/v1/models").strip("/")
        if wanted:
            return HttpResponse(200, {**infos[0], "id": wanted}, {"request-id": request_id})
        return HttpResponse(200, {"data": infos, "has_more": False, "first_id": MODELS[0], "last_id": MODELS[-1]},
                            {"request-id": request_id})

    async def _messages(self, body: Json, raw: bytes, request_id: str, arrived: float,
                        reader: asyncio.StreamReader) -> HttpResponse:
        problem = _invalid_messages_request(body)
        if problem:
            self._outcome("400")
            return error_response(400, problem, request_id=request_id)
        buckets = self.rate_limits
        if buckets is not None and (wait := buckets.take(self._input_charge(body))) is not None:
            self._outcome("429 rate limit")
            return error_response(429, "This request would exceed your organization's rate limit of input tokens "
                                  "per minute.", request_id=request_id,
                                  headers={"retry-after": f"{wait:.3f}", **buckets.headers()})
        held = self.holding and (self.hold_only is None or re.search(self.hold_only, user_text(body)) is not None)
        reply = self._next_reply()
        self._outcome(reply)
        # latency counts from arrival and the reply is built inside it, as a model's time is, so a burst
        # of replies finishing together does not queue behind each other's JSON generation
        deadline = arrived + (self.latency_ms + self._jitter_rng.uniform(0, self.jitter_ms)) / 1000
        response = None if reply in ("disconnect", "hang") else self._reply(reply, body, raw, request_id)
        if (delay := deadline - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if reply == "disconnect":
            raise _Disconnect
        if reply == "hang":
            await _sleep_unless_closed(self.hang_seconds, reader)
        if held:
            await self._held(reader)
        response = response or self._reply("ok", body, raw, request_id)
        if buckets is not None:
            buckets.settle(int(response.payload.get("usage", {}).get("output_tokens", 0)))
            response.headers.update(buckets.headers())
        return response

    async def _held(self, reader: asyncio.StreamReader) -> None:
        """Wait for release(), unless the client hangs up first."""
        closed = asyncio.ensure_future(reader.read(1))
        try:
            while self.holding:
                done, _ = await asyncio.wait({closed}, timeout=0.01)
                if done:
                    raise _Disconnect
        finally:
            closed.cancel()

    def _reply(self, reply: str, body: Json, raw: bytes, request_id: str) -> HttpResponse:
        if reply == "spend_limit":
            return error_response(429, "You have reached your specified API usage limits.", request_id=request_id,
                                  error_code="enforced_spend_limit_reached", headers={"x-should-retry": "false"})
        if reply[0].isdigit():
            status, _, after = reply.partition(":")
            return self._error(int(status), request_id, float(after) if after else self.retry_after)
        return HttpResponse(200, self._message(body, raw, reply), {"request-id": request_id})

    def _error(self, status: int, request_id: str, retry_after: float | None) -> HttpResponse:
        headers: dict[str, str] = {}
        if status == 429 and retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        messages = {429: "Number of request tokens has exceeded your per-minute rate limit",
                    529: "Overloaded", 401: "invalid x-api-key", 400: "Invalid request"}
        return error_response(status, messages.get(status, "Internal server error"), request_id=request_id,
                              headers=headers)

    def _message(self, body: Mapping[str, Json], raw: bytes, reply: str) -> dict[str, Json]:
        seed = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")  # the SDK serialises deterministically
        rng = random.Random(seed)
        transcript = transcript_of(user_text(body))
        schema = _schema_of(body)
        if schema is None:
            text = f"Noted. The call mentions: {transcript.excerpt(rng).text}"
        else:
            raw_system = body.get("system") or []
            system = raw_system if isinstance(raw_system, str) else "".join(
                str(b.get("text", "")) for b in raw_system if isinstance(b, dict))
            answered = self.responder(system, user_text(body), schema) if self.responder else None
            instance = answered if answered is not None else InstanceBuilder(
                schema, transcript, rng, grounded=reply != "ungrounded").build()
            if reply == "malformed":
                instance = break_instance(instance, schema)
            text = json.dumps(instance, ensure_ascii=False)
        output_tokens, stop_reason = estimate_tokens(len(text)), "end_turn"
        if output_tokens > int(body["max_tokens"]):
            output_tokens, stop_reason = int(body["max_tokens"]), "max_tokens"
            text = text[: output_tokens * CHARS_PER_TOKEN]
        return {
            "id": f"msg_fake{seed:016x}{next(self._ids):06d}", "type": "message", "role": "assistant",
            "model": self.answer_models.get(body["model"], body["model"]),
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason, "stop_sequence": None, "usage": self._usage(body, output_tokens),
        }

    def _input_charge(self, body: Mapping[str, Json]) -> int:
        """Input tokens this request counts toward the input-tokens limit: uncached input and cache writes."""
        parts = PromptParts.of(body)
        cached = estimate_tokens(len(parts.cacheable))
        if cached and cached >= self.cache_min_tokens:
            with self._lock:
                if _prompt_key(body, parts) in self._prompt_cache:
                    cached = 0
        return estimate_tokens(parts.rest_chars) + cached

    def _usage(self, body: Mapping[str, Json], output_tokens: int) -> dict[str, Json]:
        parts = PromptParts.of(body)
        cached = estimate_tokens(len(parts.cacheable))
        written = read = 0
        if cached and cached >= self.cache_min_tokens:
            key = _prompt_key(body, parts)
            with self._lock:
                hit = key in self._prompt_cache
                self._prompt_cache.add(key)
            written, read = (0, cached) if hit else (cached, 0)
        uncached = estimate_tokens(parts.rest_chars) + (0 if written or read else cached)
        return {
            "input_tokens": uncached, "output_tokens": output_tokens,
            "cache_creation_input_tokens": written, "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0},
            "service_tier": "standard",
        }


def _prompt_key(body: Mapping[str, Json], parts: PromptParts) -> str:
    return hashlib.sha256(f"{body['model']}\0{parts.cacheable}".encode()).hexdigest()


def _invalid_messages_request(body: Json) -> str | None:
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required (a positive integer)"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages: at least one message is required"
    return None


async def _sleep_unless_closed(seconds: float, reader: asyncio.StreamReader) -> None:
    """Sleep, but give up as soon as the client hangs up (it timed out), so in-flight counts stay true."""
    closed = asyncio.ensure_future(reader.read(1))
    try:
        done, _ = await asyncio.wait({closed}, timeout=seconds)
        if done:
            raise _Disconnect
    finally:
        closed.cancel()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_messages_api",
                                     description="A fake Anthropic Messages API for tests and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--rpm", type=int, help="account limit: requests per window (sends rate-limit headers)")
    parser.add_argument("--itpm", type=int, help="account limit: input tokens per window")
    parser.add_argument("--otpm", type=int, help="account limit: output tokens per window")
    parser.add_argument("--rate-window", type=float, default=60.0, help="the limits' window in seconds")
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--rate-5xx", type=float, default=0.0)
    parser.add_argument("--rate-529", type=float, default=0.0)
    parser.add_argument("--rate-malformed", type=float, default=0.0)
    parser.add_argument("--rate-ungrounded", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--answer-model", action="append", default=[], metavar="ASKED=ANSWERED",
                        help="name ANSWERED in replies to requests for ASKED (e.g. a dated snapshot id)")
    args = parser.parse_args(argv)
    fake = FakeMessagesAPI(host=args.host, port=args.port, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
                           hang_seconds=args.hang_seconds, retry_after=args.retry_after, seed=args.seed,
                           answer_models=dict(pair.split("=", 1) for pair in args.answer_model))
    fake.faults(rate_429=args.rate_429, rate_5xx=args.rate_5xx, rate_529=args.rate_529,
                rate_malformed=args.rate_malformed, rate_ungrounded=args.rate_ungrounded, seed=args.seed)
    if args.rpm or args.itpm or args.otpm:
        fake.rate_limits = AccountBuckets(requests=args.rpm, input_tokens=args.itpm, output_tokens=args.otpm,
                                          window_s=args.rate_window)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    with fake:
        print(fake.url, flush=True)
        while not stopped.wait(1):
            pass
        print(json.dumps(asdict(fake.stats())), flush=True)


if __name__ == "__main__":
    main()
