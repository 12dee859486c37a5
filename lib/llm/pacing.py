"""Pacing LLM calls by the account's rate limits, as the API reports them on every reply.

An Anthropic account is limited in requests, input tokens and output tokens per minute, each a token
bucket refilled continuously. Every reply (429s included) reports each bucket as
`anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`, `reset` being when
the bucket is full again, and a 429 adds `retry-after`. The headers describe the whole account, so
processes on several machines that pace off them share one budget without talking to each other.

Design: a mirror of each bucket the API reports, kept by `Pacer`.
- Each reply sets a bucket's level (`remaining`) and its refill rate, `(limit - remaining) / (reset - now)`,
  never below `limit` per 60 s (the API's window; also the rate until a bucket is seen below its limit).
  Deriving it from `reset` keeps a scaled-down window (the fake's) or another endpoint's right. Between replies the mirror refills
  at that rate, up to `limit`, and pays for each call sent.
- A call states its cost (1 request, estimated input and output tokens) and queues. Its turn comes when
  the level covers its cost and the costs of the calls queued ahead of it (first come, first served),
  with RESERVE of the limit kept back for estimates that fall a little short;
  it sleeps until the time that takes at the current refill rate, re-evaluated at least every
  RECHECK_SECONDS since a reply may have brought a new level, rate or retry-after.
- Requests and input tokens are charged by the API as a request arrives, so a reply's `remaining`
  includes the calls that reached the API before it was sent, but maybe not one sent a moment ago (a
  busy client may take a while to put it on the wire): a call's payment is kept off every report
  until its own reply shows it arrived (or ON_THE_WIRE_SECONDS pass). Output tokens are charged as a
  reply finishes, so a call holds its output estimate until it is done.
- A 429's `retry-after` holds every new call until then (capped like the SDK's retries).
- Before the first reply nothing is known: the first call goes alone (a probe), the others wait for it
  to finish (PROBE_TIMEOUT_SECONDS at most, in case it hangs). A process that a recent one on this
  machine told what the endpoint reports (`PacerMemory`, a small file under ASMIS_CACHE_DIR, at most
  MEMORY_SECONDS old) skips the probe: it starts from the remembered limits, refilled for the time
  since, or, when the endpoint sent none, out of the way; the first replies correct either. If its reply carried no rate-limit headers (an endpoint that sends none), the pacer stays out of the
  way and calls go exactly as they would without it; headers seen later switch pacing on.
- Token costs are estimated from the request's size, per kind of request (agent type: each has its own
  prompt and schema), from the usage replies report (lib/llm/token_estimate.py).

HTTP retries stay with the SDK (DESIGN.md, Retries): the provider feeds every HTTP attempt's headers to
`observe`, so a 429 the SDK retries on its own still teaches the pacer; the SDK waits the (capped)
`retry-after`, then its retry attempt asks `before_retry` for a turn like any new call.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.llm.base import Usage
from lib.llm.ratelimit_headers import BucketReport, parse_rate_limits, parse_retry_after
from lib.llm.token_estimate import TokenEstimator

CHARGED_ON_ARRIVAL = frozenset({"requests", "input-tokens"})
DEFAULT_WINDOW_SECONDS = 60.0  # what "per minute" means until a bucket's refill rate has been seen
ON_THE_WIRE_SECONDS = 1.0  # after this long unanswered, a sent request is taken to be in the API's figures
MAX_WAIT_SECONDS = 60.0
RESERVE = 0.02  # of each bucket's limit, kept back against estimates a little short of the real cost
RECHECK_SECONDS = 0.05  # how stale a waiting call's view of the buckets may get
PROBE_POLL_SECONDS = (0.005, 0.05)
PROBE_TIMEOUT_SECONDS = 30.0  # a probe that hangs does not hold the others longer than this
MEMORY_SECONDS = 3600.0  # how long what a process learned of an endpoint's limits spares the next its probe
MEMORY_WRITE_SECONDS = 10.0  # how often a busy process refreshes that memory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cost:
    requests: int = 1
    input_tokens: int = 0
    output_tokens: int = 0

    def of(self, bucket: str) -> float:
        return float({"requests": self.requests, "input-tokens": self.input_tokens,
                      "output-tokens": self.output_tokens}[bucket])


@dataclass
class _Payment:
    """What one HTTP attempt paid into a bucket; open until the API's figures surely include it."""

    cost: float
    at: float
    open: bool = True


@dataclass
class _Call:
    cost: Cost
    payments: list[_Payment]


_current_call: ContextVar[_Call | None] = ContextVar("asmis_pacing_call", default=None)


class _Bucket:
    """The local mirror of one bucket: the last reported level, refilled and spent as calls go."""

    def __init__(self, report: BucketReport, now: float) -> None:
        self.limit = report.limit
        self.rate = report.limit / DEFAULT_WINDOW_SECONDS
        self.level = report.remaining
        self.at = now
        self.unconfirmed: deque[_Payment] = deque()  # paid, maybe not yet in the API's figures
        self.held = 0.0  # output estimates of calls in flight: the API charges them as they finish
        self._learn_rate(report)

    def _learn_rate(self, report: BucketReport) -> None:
        deficit = report.limit - report.remaining
        # a refill rate read from a tiny deficit or a near reset is mostly rounding: keep the last one;
        # and a per-minute limit refills at least `limit` a minute, whatever a skewed clock suggests
        if report.reset_in is not None and report.reset_in > 0.25 and deficit >= 0.01 * report.limit:
            self.rate = max(deficit / report.reset_in, report.limit / DEFAULT_WINDOW_SECONDS)

    def refill(self, now: float) -> None:
        if now > self.at:
            self.level = min(self.limit, self.level + self.rate * (now - self.at))
            self.at = now

    def update(self, report: BucketReport, now: float) -> None:
        self._learn_rate(report)
        self.unconfirmed = deque(p for p in self.unconfirmed if p.open and p.at >= now - ON_THE_WIRE_SECONDS)
        self.limit, self.at = report.limit, now
        self.level = report.remaining - sum(p.cost for p in self.unconfirmed)

    def spend(self, cost: float, now: float) -> _Payment:
        self.refill(now)
        self.level -= cost
        payment = _Payment(cost, now)
        self.unconfirmed.append(payment)
        return payment

    def wait_for(self, needed: float, now: float, recheck: float, reserve: float) -> float:
        """Seconds until the level covers `needed` (the calls queued ahead, this one, and what is held)."""
        self.refill(now)
        needed += self.held + reserve * self.limit
        short = needed - self.level
        if short <= 1e-9:
            return 0.0
        if needed > self.limit:  # more than the bucket holds: only finishing calls free it
            return recheck
        return short / self.rate


class PacerMemory:
    """What the last process on this machine learned of one endpoint's limits: whether it reports any,
    and each bucket's limit, level and refill rate, with when. A small JSON file, written atomically;
    anything wrong with it is a miss (the probe), never an error."""

    def __init__(self, directory: Path, endpoint: str, *, wall: Callable[[], float] = time.time) -> None:
        self.path = directory / f"{hashlib.sha256(endpoint.encode()).hexdigest()[:16]}.json"
        self._wall = wall

    def load(self) -> dict[str, Any] | None:
        try:
            memory = json.loads(self.path.read_text())
            age = self._wall() - float(memory["saved_at"])
            return memory if 0 <= age <= MEMORY_SECONDS and isinstance(memory.get("buckets"), dict) else None
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def save(self, buckets: dict[str, tuple[float, float, float]]) -> None:
        body = {"saved_at": self._wall(), "buckets": {name: list(b) for name, b in buckets.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(body))
            os.replace(temporary, self.path)
        except OSError as exc:
            log.debug("could not remember the endpoint's limits", extra={"error": type(exc).__name__})


class Pacer:
    """Paces calls by the buckets the API reports. Safe to share between event loops and threads:
    `process_pacer` gives every provider of a process the same one, so loops do not spend the same
    budget twice."""

    def __init__(self, *, max_wait: float = MAX_WAIT_SECONDS, recheck: float = RECHECK_SECONDS,
                 probe_timeout: float = PROBE_TIMEOUT_SECONDS, reserve: float = RESERVE,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, memory: PacerMemory | None = None
                 ) -> None:
        self.max_wait, self.recheck, self.probe_timeout, self.reserve = max_wait, recheck, probe_timeout, reserve
        self._clock, self._wall, self._sleep = clock, wall, sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._queue: dict[int, Cost] = {}  # calls waiting for their turn, first come first
        self._tickets = itertools.count()
        self._blocked_until = 0.0
        self._probe_done = False
        self._probing = False
        self._estimator = TokenEstimator()
        self.waited_seconds = 0.0  # total time calls spent waiting for their turn
        self.observed = 0  # replies that carried rate-limit headers
        self._memory, self._remembered_at = memory, 0.0
        self.remembered = memory is not None and self._recall(memory)  # True: no probe

    def _recall(self, memory: PacerMemory) -> bool:
        """Start from what a recent process remembered of the endpoint, if anything: no probe then."""
        known = memory.load()
        if known is None:
            return False
        now, elapsed = self._clock(), max(0.0, self._wall() - float(known["saved_at"]))
        try:
            for name, (limit, level, rate) in known["buckets"].items():
                if float(limit) <= 0 or float(rate) <= 0:
                    continue
                bucket = _Bucket(BucketReport(float(limit), min(float(limit), float(level) + float(rate) * elapsed),
                                              None), now)
                bucket.rate = float(rate)
                self._buckets[str(name)] = bucket
        except (TypeError, ValueError):
            self._buckets.clear()
            return False
        self._probe_done = True
        return True

    def _remember(self) -> None:
        """Refresh the memory for the next process, at most every MEMORY_WRITE_SECONDS (and at the probe's end)."""
        if self._memory is None:
            return
        now = self._clock()
        if self._remembered_at and now - self._remembered_at < MEMORY_WRITE_SECONDS:
            return
        self._remembered_at = now
        self._memory.save(self.buckets())

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
        call = _current_call.get()
        with self._lock:
            for payment in call.payments if call is not None else ():
                payment.open = False  # this reply's figures include the request it answers
            for name, report in reports.items():
                if (bucket := self._buckets.get(name)) is None:
                    self._buckets[name] = _Bucket(report, now)
                else:
                    bucket.update(report, now)
            if reports:
                self.observed += 1
            if retry_after is not None and (reports or self._buckets):
                self._blocked_until = max(self._blocked_until, now + min(retry_after, self.max_wait))
            remember = bool(reports) and self._probe_done
        if remember:
            self._remember()

    def learn(self, kind: str, chars: int, usage: Usage) -> None:
        """A finished call's usage, for estimating the next calls of its kind (lib/llm/token_estimate.py)."""
        with self._lock:
            self._estimator.learn(kind, chars, usage)

    def estimate(self, kind: str, chars: int) -> Cost:
        with self._lock:
            input_tokens, output_tokens = self._estimator.estimate(kind, chars)
        return Cost(1, input_tokens, output_tokens)

    # pacing

    @asynccontextmanager
    async def turn(self, kind: str, chars: int) -> AsyncIterator[None]:
        """Wait for the turn of a call of this kind and request size, then hold its output estimate
        until the call is done. Replies observed inside are taken as this call's."""
        probe = await self._wait_for_probe()
        call = _Call(self.estimate(kind, chars), [])  # after the probe: its usage taught the estimate
        held: list[_Bucket] = []
        token = _current_call.set(call)
        try:
            if not probe:
                held = await self._take_turn(call, call.cost)
            yield
        finally:
            _current_call.reset(token)
            with self._lock:
                for bucket in held:
                    bucket.held -= call.cost.output_tokens
                if probe:
                    self._probe_done, self._probing = True, False
            if probe:
                self._remember()  # what the probe learned, even that the endpoint reports nothing

    async def before_retry(self) -> None:
        """An SDK retry of the call in `turn` (after a 429, say) waits for a turn of its own too, so a
        retry does not jump the queue; its output estimate is already held."""
        call = _current_call.get()
        if call is not None:
            await self._take_turn(call, Cost(call.cost.requests, call.cost.input_tokens, 0))

    async def _wait_for_probe(self) -> bool:
        """True for the probe (the first call); the others return once it is done, or has taken
        `probe_timeout` (real time: a call that hangs must not hold the process)."""
        delay, deadline = PROBE_POLL_SECONDS[0], time.monotonic() + self.probe_timeout
        while True:
            with self._lock:  # after the probe is done, not at its headers: its usage teaches the estimate
                if self._probe_done:
                    return False
                if not self._probing:
                    self._probing = True
                    return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, PROBE_POLL_SECONDS[1])

    async def _take_turn(self, call: _Call, cost: Cost) -> list[_Bucket]:
        """Queue, wait until the buckets cover this call and those ahead of it, then pay for it.

        The wait is re-evaluated at least every `recheck` seconds: a reply may have brought a new
        level or refill rate, or a 429 a retry-after."""
        ticket = next(self._tickets)
        with self._lock:
            if not self._buckets:
                return []
            self._queue[ticket] = cost
        waited = 0.0
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    wait = self._wait_locked(ticket, now)
                    if wait <= 0 or waited >= self.max_wait:
                        del self._queue[ticket]
                        self.waited_seconds += waited
                        return self._pay_locked(call, cost, now)
                step = min(wait, self.recheck, self.max_wait - waited)
                await self._sleep(step)
                waited += step
        finally:
            with self._lock:
                self._queue.pop(ticket, None)  # cancelled while waiting

    def _wait_locked(self, ticket: int, now: float) -> float:
        ahead: dict[str, float] = dict.fromkeys(self._buckets, 0.0)
        for other, queued in self._queue.items():
            for name in ahead:
                ahead[name] += queued.of(name)
            if other == ticket:
                break
        waits = (b.wait_for(ahead[name], now, self.recheck, self.reserve) for name, b in self._buckets.items())
        return max(self._blocked_until - now, *waits)

    def _pay_locked(self, call: _Call, cost: Cost, now: float) -> list[_Bucket]:
        held = []
        for name, bucket in self._buckets.items():
            if name in CHARGED_ON_ARRIVAL:
                call.payments.append(bucket.spend(cost.of(name), now))
            else:
                bucket.held += cost.of(name)
                held.append(bucket)
        return held


_process_pacers: dict[str, Pacer] = {}
_process_lock = threading.Lock()


def process_pacer(endpoint: str, memory_dir: Path | None = None) -> Pacer:
    """The pacer every provider of this process shares for one API endpoint (one account's limits);
    with `memory_dir`, it starts from what the last process there learned of the endpoint."""
    with _process_lock:
        if (pacer := _process_pacers.get(endpoint)) is None:
            memory = PacerMemory(memory_dir, endpoint) if memory_dir is not None else None
            pacer = _process_pacers[endpoint] = Pacer(memory=memory)
        return pacer


def forget_process_pacers() -> None:
    """Drop the process's pacers, as if it had just started (benchmarks; tests)."""
    with _process_lock:
        _process_pacers.clear()
