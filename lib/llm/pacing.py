"""Pacing LLM calls by the account's rate limits, as the API reports them on every reply.

An Anthropic account is limited in requests, input tokens and output tokens per minute, each a token
bucket refilled continuously. Every reply (429s included) reports each bucket as
`anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`, `reset` being when
the bucket is full again, and a 429 adds `retry-after`. The headers describe the whole account, so
processes on several machines that pace off them share one budget without talking to each other.

Design: a mirror of each bucket the API reports, kept by `Pacer`.
- Each reply sets a bucket's level (`remaining`) and its refill rate, `(limit - remaining) / (reset - now)`
  (until a bucket has been seen below its limit, `limit` per 60 s). Between replies the mirror refills
  at that rate, up to `limit`, and pays for each call sent.
- A call states its cost (1 request, estimated input and output tokens) and reserves it. Its turn comes
  when the level covers its cost and the reservations ahead of it: it sleeps until then, a time computed
  once (FIFO, no polling), and later calls queue behind its reservation.
- Requests and input tokens are charged by the API as a request arrives, so a reply's `remaining`
  already includes every call sent before it (calls sent in the last ON_THE_WIRE_SECONDS may still be on
  the wire and are paid again). Output tokens are charged as a reply finishes, so a call holds its
  output estimate as a reservation until it is done.
- A 429's `retry-after` holds every new call until then (capped like the SDK's retries).
- Before the first reply nothing is known: the first call goes alone (a probe), the others wait for it.
  If its reply carried no rate-limit headers (an endpoint that sends none), the pacer stays out of the
  way and calls go exactly as they would without it; headers seen later switch pacing on.
- Token costs are estimated from the request's characters times tokens per character, learned per kind
  of request from the usage each reply reports (input tokens counted as the API counts them for its
  limit: uncached input plus cache writes).

HTTP retries stay with the SDK (DESIGN.md, Retries): the provider feeds every HTTP attempt's headers to
`observe`, so a 429 the SDK retries on its own still teaches the pacer, and the SDK waits the (capped)
`retry-after` before its retry.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from lib.llm.base import Usage

BUCKETS = ("requests", "input-tokens", "output-tokens")
CHARGED_ON_ARRIVAL = frozenset({"requests", "input-tokens"})
DEFAULT_WINDOW_SECONDS = 60.0  # what "per minute" means until a bucket's refill rate has been seen
ON_THE_WIRE_SECONDS = 0.05  # a call sent this shortly before a reply may not be in that reply's figures
MAX_WAIT_SECONDS = 60.0
PROBE_POLL_SECONDS = (0.005, 0.05)
INITIAL_TOKENS_PER_CHAR = 1 / 3.0  # cautious until a reply's usage teaches the real ratio
LEARNING_RATE = 0.3


@dataclass(frozen=True)
class BucketReport:
    """One bucket as a reply reported it."""

    limit: float
    remaining: float
    reset_in: float | None  # seconds until full; None when the header is missing or unreadable


@dataclass(frozen=True)
class Cost:
    requests: int = 1
    input_tokens: int = 0
    output_tokens: int = 0

    def of(self, bucket: str) -> float:
        return float({"requests": self.requests, "input-tokens": self.input_tokens,
                      "output-tokens": self.output_tokens}[bucket])


def parse_rate_limits(headers: Mapping[str, str], now_wall: float) -> dict[str, BucketReport]:
    """The buckets a reply reports; one missing its limit or remaining, or not a number, is left out."""
    reports: dict[str, BucketReport] = {}
    for bucket in BUCKETS:
        try:
            limit = float(headers[f"anthropic-ratelimit-{bucket}-limit"])
            remaining = float(headers[f"anthropic-ratelimit-{bucket}-remaining"])
        except (KeyError, ValueError):
            continue
        if not (limit > 0 and math.isfinite(limit) and math.isfinite(remaining)):
            continue
        reset_in = _seconds_until(headers.get(f"anthropic-ratelimit-{bucket}-reset"), now_wall)
        reports[bucket] = BucketReport(limit, min(max(remaining, 0.0), limit), reset_in)
    return reports


def parse_retry_after(headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds a 429 asks to wait: `retry-after-ms`, `retry-after` in seconds or as an HTTP date."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    value = headers.get("retry-after")
    if value:
        from email.utils import parsedate_to_datetime

        try:
            return max(parsedate_to_datetime(value).timestamp() - now_wall, 0.0)
        except (TypeError, ValueError):
            return None
    return None


def _seconds_until(stamp: str | None, now_wall: float) -> float | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - now_wall, 0.0)


class _Bucket:
    """The local mirror of one bucket: the last reported level, refilled and spent as calls go."""

    def __init__(self, report: BucketReport, now: float) -> None:
        self.limit = report.limit
        self.rate = report.limit / DEFAULT_WINDOW_SECONDS
        self.level = report.remaining
        self.at = now
        self.recent: deque[tuple[float, float]] = deque()  # (when, cost) sent within ON_THE_WIRE_SECONDS
        self.reserved = 0.0  # costs of calls waiting for their turn, and (output) of calls in flight
        self._learn_rate(report)

    def _learn_rate(self, report: BucketReport) -> None:
        deficit = report.limit - report.remaining
        # a refill rate read from a tiny deficit or a near reset is mostly rounding: keep the last one
        if report.reset_in is not None and report.reset_in > 0.05 and deficit >= 0.01 * report.limit:
            self.rate = deficit / report.reset_in

    def refill(self, now: float) -> None:
        if now > self.at:
            self.level = min(self.limit, self.level + self.rate * (now - self.at))
            self.at = now

    def update(self, report: BucketReport, now: float) -> None:
        self._learn_rate(report)
        while self.recent and self.recent[0][0] < now - ON_THE_WIRE_SECONDS:
            self.recent.popleft()
        self.limit, self.at = report.limit, now
        self.level = report.remaining - sum(cost for _, cost in self.recent)

    def spend(self, cost: float, now: float) -> None:
        self.refill(now)
        self.level -= cost
        self.recent.append((now, cost))

    def wait_for(self, now: float) -> float:
        """Seconds until the level covers every reservation up to the caller's own (FIFO: the calls
        ahead spend as soon as they can, so the bucket refills uncapped while anyone waits)."""
        self.refill(now)
        short = self.reserved - self.level
        return 0.0 if short <= 0 else short / self.rate


class Pacer:
    """Paces calls by the buckets the API reports. Safe to share between event loops and threads."""

    def __init__(self, *, max_wait: float = MAX_WAIT_SECONDS, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.max_wait = max_wait
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._blocked_until = 0.0
        self._probe_done = False
        self._probing = False
        self._tokens_per_char: dict[str, float] = {}
        self._output_tokens: dict[str, float] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting for their turn
        self.observed = 0  # replies that carried rate-limit headers

    @property
    def active(self) -> bool:
        """Whether any reply has reported the account's limits."""
        with self._lock:
            return bool(self._buckets)

    def buckets(self) -> dict[str, tuple[float, float, float]]:
        """Each bucket as mirrored now: (limit, level, refill per second)."""
        with self._lock:
            now = self._clock()
            for bucket in self._buckets.values():
                bucket.refill(now)
            return {name: (b.limit, b.level, b.rate) for name, b in self._buckets.items()}

    # what replies teach

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """One HTTP reply (any status, every SDK attempt): its rate-limit headers and any retry-after."""
        now, wall = self._clock(), self._wall()
        reports = parse_rate_limits(headers, wall)
        retry_after = parse_retry_after(headers, wall) if status == 429 else None
        with self._lock:
            for name, report in reports.items():
                if (bucket := self._buckets.get(name)) is None:
                    self._buckets[name] = _Bucket(report, now)
                else:
                    bucket.update(report, now)
            if reports:
                self.observed += 1
            if retry_after is not None and (reports or self._buckets):
                self._blocked_until = max(self._blocked_until, now + min(retry_after, self.max_wait))

    def learn(self, kind: str, chars: int, usage: Usage) -> None:
        """A finished call's usage: tokens per character of its request, and its output tokens."""
        billed_input = usage.input_tokens + usage.cache_write_tokens
        if chars <= 0 or billed_input + usage.output_tokens <= 0:
            return
        with self._lock:
            ratio = billed_input / chars
            old = self._tokens_per_char.get(kind)
            self._tokens_per_char[kind] = ratio if old is None else old + LEARNING_RATE * (ratio - old)
            out = self._output_tokens.get(kind)
            self._output_tokens[kind] = (usage.output_tokens if out is None
                                         else out + LEARNING_RATE * (usage.output_tokens - out))

    def estimate(self, kind: str, chars: int) -> Cost:
        with self._lock:
            per_char = self._tokens_per_char.get(kind, INITIAL_TOKENS_PER_CHAR)
            output = self._output_tokens.get(kind, 0.0)
        return Cost(1, math.ceil(chars * per_char), math.ceil(output))

    # pacing

    @asynccontextmanager
    async def turn(self, cost: Cost) -> AsyncIterator[None]:
        """Wait for this call's turn, then hold its output estimate until the call is done."""
        probe = await self._wait_for_probe()
        held: list[_Bucket] = []
        try:
            if not probe:
                held = await self._take_turn(cost)
            yield
        finally:
            with self._lock:
                for bucket in held:
                    bucket.reserved -= cost.of("output-tokens")
                if probe:
                    self._probe_done, self._probing = True, False

    async def _wait_for_probe(self) -> bool:
        """True for the probe (the first call); others return once it is done."""
        delay = PROBE_POLL_SECONDS[0]
        while True:
            with self._lock:
                if self._probe_done or self._buckets:
                    return False
                if not self._probing:
                    self._probing = True
                    return True
            await asyncio.sleep(delay)
            delay = min(delay * 2, PROBE_POLL_SECONDS[1])

    async def _take_turn(self, cost: Cost) -> list[_Bucket]:
        with self._lock:
            buckets = list(self._buckets.items())
            if not buckets:
                return []
            for name, bucket in buckets:
                bucket.reserved += cost.of(name)
            now = self._clock()
            wait = max(self._blocked_until - now, *(b.wait_for(now) for _, b in buckets))
        waited = 0.0
        while wait > 0:  # a 429 seen while this call slept holds it longer
            wait = min(wait, self.max_wait - waited)
            await self._sleep(wait)
            waited += wait
            with self._lock:
                wait = self._blocked_until - self._clock() if waited < self.max_wait else 0.0
        with self._lock:
            now = self._clock()
            self.waited_seconds += waited
            for name, bucket in buckets:
                if name in CHARGED_ON_ARRIVAL:
                    bucket.reserved -= cost.of(name)
                    bucket.spend(cost.of(name), now)
        return [bucket for name, bucket in buckets if name not in CHARGED_ON_ARRIVAL]
