"""Pacing by the account's rate limits: the pacer on its own (a fake clock), then 60 calls through the
real SDK against the fake Messages API enforcing an input-tokens-per-minute bucket."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lib.agents.schemas import MeddpicAnalysis
from lib.errors import RetryableAgentError
from lib.llm.anthropic import AnthropicProvider
from lib.llm.base import LLMRequest, Usage
from lib.llm.limits import LimitedProvider
from lib.llm.pacing import MEMORY_SECONDS, Cost, Pacer, PacerMemory
from lib.llm.ratelimit_headers import parse_rate_limits, parse_retry_after
from lib.llm.token_estimate import TokenEstimator
from lib.models import Transcript
from tests.conftest import API_KEY
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_ratelimit import AccountBuckets
from tests.helpers import synthetic_transcript, wait_until

MODEL = "claude-sonnet-5-5"
WALL = 1_800_000_000.0


class Clock:
    """Monotonic and wall time for the pacer, moved on by its sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake = self.now + seconds
        await asyncio.sleep(0)  # let other calls take their turn at this instant, as they would
        self.now = max(self.now, wake)

    def pacer(self, **kwargs: Any) -> Pacer:
        """A pacer on this clock that sleeps exactly as long as it computed (no rechecks in between),
        with no reserve unless asked, so the arithmetic is the buckets' own."""
        return Pacer(clock=self, wall=self.wall, sleep=self.sleep, recheck=math.inf, **{"reserve": 0.0, **kwargs})


def stamp(seconds_from_now: float, clock: Clock) -> str:
    return datetime.fromtimestamp(clock.wall() + seconds_from_now, UTC).isoformat().replace("+00:00", "Z")


def headers(clock: Clock, **buckets: tuple[int, int, float]) -> dict[str, str]:
    """anthropic-ratelimit-* headers: name=(limit, remaining, seconds until full)."""
    out: dict[str, str] = {}
    for name, (limit, remaining, reset_in) in buckets.items():
        prefix = f"anthropic-ratelimit-{name.replace('_', '-')}"
        out |= {f"{prefix}-limit": str(limit), f"{prefix}-remaining": str(remaining),
                f"{prefix}-reset": stamp(reset_in, clock)}
    return out


def turn(pacer: Pacer, cost: Cost) -> AbstractAsyncContextManager[None]:
    """The turn of a call the pacer estimates at exactly `cost` (taught: one token a character)."""
    kind = f"out{cost.output_tokens}"
    pacer.learn(kind, 1000, Usage(input_tokens=1000, output_tokens=cost.output_tokens))
    return pacer.turn(kind, cost.input_tokens)


async def turns(pacer: Pacer, *costs: Cost) -> None:
    """Calls one after another, each done before the next asks."""
    for cost in costs:
        async with turn(pacer, cost):
            pass


async def probe(pacer: Pacer, status: int = 200, reply_headers: dict[str, str] | None = None) -> None:
    async with turn(pacer, Cost()):
        pacer.observe(status, reply_headers or {})


def test_headers_are_parsed_into_buckets() -> None:
    clock = Clock()
    reports = parse_rate_limits(headers(clock, requests=(50, 49, 1.2), input_tokens=(40_000, 30_000, 15.0)),
                                clock.wall())
    assert set(reports) == {"requests", "input-tokens"}
    assert reports["input-tokens"].limit == 40_000 and reports["input-tokens"].remaining == 30_000
    assert reports["input-tokens"].reset_in == pytest.approx(15.0, abs=1e-3)
    assert reports["requests"].reset_in == pytest.approx(1.2, abs=1e-3)
    broken = {"anthropic-ratelimit-requests-limit": "many", "anthropic-ratelimit-requests-remaining": "3",
              "anthropic-ratelimit-output-tokens-limit": "8000"}
    assert parse_rate_limits(broken, clock.wall()) == {}


def test_retry_after_in_seconds_milliseconds_and_dates() -> None:
    assert parse_retry_after({"retry-after": "2.5"}, WALL) == 2.5
    assert parse_retry_after({"retry-after-ms": "750", "retry-after": "9"}, WALL) == 0.75
    date = (datetime.fromtimestamp(WALL, UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after({"retry-after": date}, WALL) == pytest.approx(30, abs=1)
    assert parse_retry_after({}, WALL) is None


async def test_no_headers_means_no_pacing() -> None:
    clock = Clock()
    pacer = clock.pacer()
    await probe(pacer, 200, {"request-id": "req_1"})
    pacer.observe(429, {"retry-after": "30"})  # a 429 from an endpoint without limits holds nothing
    await turns(pacer, *[Cost(1, 10**9, 10**9)] * 20)
    assert clock.sleeps == [] and not pacer.active and pacer.waited_seconds == 0


async def test_remaining_tokens_are_respected_then_refill_at_the_reported_rate() -> None:
    clock = Clock()
    pacer = clock.pacer()
    await probe(pacer, 200, headers(clock, input_tokens=(10_000, 4_000, 6.0)))  # 6,000 short, full in 6 s
    assert pacer.buckets()["input-tokens"] == (10_000, 4_000, pytest.approx(1_000))
    await turns(pacer, *[Cost(1, 1000)] * 4)  # what remains
    assert clock.sleeps == []
    await turns(pacer, Cost(1, 1000), Cost(1, 1000))  # then one a second
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


async def test_a_reserve_of_the_limit_is_kept_back() -> None:
    clock = Clock()
    pacer = clock.pacer(reserve=0.05)
    await probe(pacer, 200, headers(clock, input_tokens=(10_000, 4_000, 6.0)))
    await turns(pacer, *[Cost(1, 1000)] * 4)  # the fourth would leave nothing of the 500 kept back
    assert clock.sleeps == [pytest.approx(0.5)]


async def test_waiting_calls_queue_in_order_behind_each_others_reservations() -> None:
    clock = Clock()
    pacer = clock.pacer()
    await probe(pacer, 200, headers(clock, input_tokens=(10_000, 0, 10.0)))
    await asyncio.gather(*(turns(pacer, Cost(1, 1000)) for _ in range(3)))
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0)]
    assert pacer.buckets()["input-tokens"][1] == pytest.approx(0, abs=1e-6)


async def test_a_new_report_replaces_the_local_view_and_idle_time_refills_it() -> None:
    clock = Clock()
    pacer = clock.pacer()
    await probe(pacer, 200, headers(clock, input_tokens=(10_000, 0, 10.0)))
    await turns(pacer, Cost(1, 2000))
    clock.now += 5.0  # another worker spent the refill: the account says 1,000 remain, full in 9 s
    pacer.observe(200, headers(clock, input_tokens=(10_000, 1_000, 9.0)))
    await turns(pacer, Cost(1, 1000), Cost(1, 3000))
    clock.now += 60.0  # long idle: full again, and no more than full
    await turns(pacer, Cost(1, 10_000), Cost(1, 1000))
    assert clock.sleeps == [pytest.approx(2.0), pytest.approx(3.0), pytest.approx(1.0)]


async def test_retry_after_holds_new_calls_up_to_the_cap() -> None:
    clock = Clock()
    pacer = clock.pacer(max_wait=20)
    await probe(pacer, 200, headers(clock, requests=(100, 99, 0.6)))
    pacer.observe(429, {"retry-after": "4", **headers(clock, requests=(100, 98, 1.2))})
    await turns(pacer, Cost())
    pacer.observe(429, {"retry-after": "3600"})
    await turns(pacer, Cost())
    assert clock.sleeps == [pytest.approx(4.0), pytest.approx(20.0)]  # the second capped at max_wait


async def test_output_estimates_are_held_until_the_call_is_done() -> None:
    clock = Clock()
    pacer = clock.pacer()
    await probe(pacer, 200, headers(clock, output_tokens=(1000, 600, 24.0)))  # refills 400 in 24 s
    async with turn(pacer, Cost(1, 0, 500)):  # in flight: the API charges its output when it finishes
        await turns(pacer, Cost(1, 0, 400))  # 900 needed of 600: 300 short
    assert clock.sleeps == [pytest.approx(300 / (400 / 24))]
    pacer.observe(200, headers(clock, output_tokens=(1000, 500, 30.0)))  # the first one's 500 charged
    await turns(pacer, Cost(1, 0, 400))
    assert len(clock.sleeps) == 1


async def test_the_first_call_goes_alone_until_the_limits_are_known() -> None:
    clock = Clock()
    pacer = clock.pacer()
    order: list[str] = []

    async def call(name: str, first: bool) -> None:
        async with turn(pacer, Cost(1, 100)):
            order.append(f"{name} in")
            if first:
                await asyncio.sleep(0.05)
                pacer.observe(200, headers(clock, input_tokens=(1000, 900, 6.0)))
            order.append(f"{name} out")

    await asyncio.gather(call("probe", True), *(call(f"c{i}", False) for i in range(3)))
    assert order[:2] == ["probe in", "probe out"] and len(order) == 8


async def order_of_first_calls(pacer: Pacer, first_reply: dict[str, str]) -> list[str]:
    order: list[str] = []

    async def call(name: str, first: bool) -> None:
        async with turn(pacer, Cost(1, 100)):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            if first:
                pacer.observe(200, first_reply)
            order.append(f"{name} out")

    await asyncio.gather(call("first", True), *(call(f"c{i}", False) for i in range(3)))
    return order


async def test_a_probe_teaches_the_next_process_which_starts_without_one(tmp_path: Path) -> None:
    clock = Clock()
    endpoint = "http://127.0.0.1:9/memory-test"
    first = clock.pacer(memory=PacerMemory(tmp_path, endpoint, wall=clock.wall))
    assert not first.remembered
    order = await order_of_first_calls(first, {"request-id": "req_1"})  # an endpoint that reports no limits
    assert order[:2] == ["first in", "first out"]  # the probe went alone
    later = clock.pacer(memory=PacerMemory(tmp_path, endpoint, wall=clock.wall))
    assert later.remembered and not later.active
    order = await order_of_first_calls(later, {"request-id": "req_2"})
    assert order[:4] == ["first in", "c0 in", "c1 in", "c2 in"]  # no probe: all went at once
    other = clock.pacer(memory=PacerMemory(tmp_path, "http://127.0.0.1:9/another", wall=clock.wall))
    assert not other.remembered  # memory is per endpoint


async def test_remembered_limits_pace_from_the_first_call_refilled_for_the_time_since(tmp_path: Path) -> None:
    clock = Clock()
    memory = PacerMemory(tmp_path, "http://127.0.0.1:9/limits", wall=clock.wall)
    first = clock.pacer(memory=memory)
    await probe(first, 200, headers(clock, input_tokens=(10_000, 1_000, 9.0)))  # refills 1,000 a second
    clock.now += 2.0  # the next process starts 2 s later: 3,000 of 10,000 left by then
    later = clock.pacer(memory=PacerMemory(tmp_path, "http://127.0.0.1:9/limits", wall=clock.wall))
    assert later.remembered and later.active
    limit, level, rate = later.buckets()["input-tokens"]
    assert (limit, rate) == (10_000, pytest.approx(1_000)) and level == pytest.approx(3_000)
    await turns(later, Cost(1, 5_000))  # 2,000 short at 1,000 a second, without a probe first
    assert clock.sleeps == [pytest.approx(2.0)]


async def test_stale_or_unreadable_memory_means_a_probe(tmp_path: Path) -> None:
    clock = Clock()
    memory = PacerMemory(tmp_path, "http://127.0.0.1:9/stale", wall=clock.wall)
    await probe(clock.pacer(memory=memory))
    clock.now += MEMORY_SECONDS + 1
    assert not clock.pacer(memory=PacerMemory(tmp_path, "http://127.0.0.1:9/stale", wall=clock.wall)).remembered
    memory.path.write_text("{not json")
    assert not clock.pacer(memory=memory).remembered
    memory.path.write_text('{"saved_at": "soon", "buckets": {}}')
    assert not clock.pacer(memory=memory).remembered


def test_estimates_learn_a_fixed_part_and_tokens_per_character_from_usage() -> None:
    estimator = TokenEstimator()
    assert estimator.estimate("meddpic", 3000) == (1000, 0)  # nothing learned: a cautious guess
    estimator.learn("meddpic", 4000, Usage(input_tokens=1500, output_tokens=300))
    assert estimator.estimate("meddpic", 8000) == (3000, 300)  # one size seen: tokens per character
    for chars in (2000, 6000, 3000, 9000, 4000):  # 500 fixed + 1 token per 4 characters
        estimator.learn("meddpic", chars, Usage(input_tokens=400 + chars // 4, output_tokens=300,
                                                cache_write_tokens=100, cache_read_tokens=5000))
    assert estimator.estimate("meddpic", 8000)[0] == pytest.approx(2500, abs=2)
    assert estimator.estimate("meddpic", 1000)[0] == pytest.approx(750, abs=2)
    assert estimator.estimate("stakeholder", 8000) == estimator.estimate("meddpic", 8000)  # unseen
    estimator.learn("stakeholder", 4000, Usage(input_tokens=400, output_tokens=100))
    assert estimator.estimate("stakeholder", 8000) == (800, 100)


async def test_a_probe_that_hangs_holds_the_others_only_so_long() -> None:
    pacer = Pacer(probe_timeout=0.2)
    released = asyncio.Event()

    async def hanging_probe() -> None:
        async with turn(pacer, Cost()):
            await released.wait()

    probe_task = asyncio.create_task(hanging_probe())
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await asyncio.wait_for(turns(pacer, Cost(1, 100)), 60)  # a TimeoutError here: held for good
    waited = time.monotonic() - started
    assert not probe_task.done()  # the call went ahead while the probe still hung
    released.set()
    await probe_task
    assert waited >= 0.2


# --- 60 calls through the SDK against the fake's account bucket ----------------------------------------

CALLS, CAP, WINDOW_S, LATENCY_MS = 60, 32, 4.0, 200.0
CALLS_PER_WINDOW = 24  # the bucket holds this many calls' input tokens


@dataclass
class RunFigures:
    pacing: bool
    calls: int
    requests: int
    rate_limited: int
    failed: int
    span_s: float
    allowed_s: float
    charged_tokens: int
    max_in_flight: int

    def line(self) -> str:
        return (f"pacing {'on ' if self.pacing else 'off'}: {self.calls} calls, {self.requests} requests, "
                f"{self.rate_limited} x 429 ({self.rate_limited / max(self.requests, 1):.0%}), "
                f"{self.failed} failed, LLM span {self.span_s:.2f} s against {self.allowed_s:.2f} s the bucket "
                f"allows ({self.span_s / self.allowed_s:.2f}x), max in flight {self.max_in_flight}")


def request(i: int) -> LLMRequest:
    new = synthetic_transcript(i)
    transcript = Transcript(**new.model_dump(), id=i, ingested_at=datetime.now(UTC))
    return LLMRequest("meddpic", "Analyse the call with MEDDPICC.", transcript, MeddpicAnalysis)


@pytest.fixture(scope="module")
def bucket_fake() -> Iterator[FakeMessagesAPI]:
    # no prompt caching, so every call costs its full input and the bucket's arithmetic is plain
    with FakeMessagesAPI(latency_ms=LATENCY_MS, cache_min_tokens=10**9) as fake:
        yield fake


async def run_calls(fake: FakeMessagesAPI, *, pacing: bool, tokens_per_window: int) -> RunFigures:
    fake.rate_limits = buckets = AccountBuckets(input_tokens=tokens_per_window, window_s=WINDOW_S)
    fake.reset_stats()
    provider = AnthropicProvider(MODEL, pacing=pacing)
    limited = LimitedProvider(provider, CAP, None)
    started = time.monotonic()
    outcomes = await asyncio.gather(*(limited.complete(request(i)) for i in range(CALLS)), return_exceptions=True)
    span = time.monotonic() - started
    await provider.aclose()
    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, RetryableAgentError)]
    assert not unexpected
    stats = fake.stats()
    charged = buckets.totals.charged["input-tokens"]
    rate = tokens_per_window / WINDOW_S
    # the earliest the bucket lets the last request in, plus that request's own latency
    allowed = max(0.0, charged - tokens_per_window) / rate + LATENCY_MS / 1000
    return RunFigures(pacing, CALLS, stats.by_path.get("POST /v1/messages", 0),
                      stats.outcomes.get("429 rate limit", 0),
                      sum(isinstance(o, BaseException) for o in outcomes), span, allowed, charged,
                      stats.max_in_flight)


async def test_sixty_calls_stay_under_an_input_token_bucket(bucket_fake: FakeMessagesAPI,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", bucket_fake.url)
    bucket_fake.rate_limits = None
    probe = AnthropicProvider(MODEL, pacing=False)
    usage = (await probe.complete(request(CALLS))).usage
    await probe.aclose()
    tokens_per_window = CALLS_PER_WINDOW * (usage.input_tokens + usage.cache_write_tokens)

    paced = await run_calls(bucket_fake, pacing=True, tokens_per_window=tokens_per_window)
    baseline = await run_calls(bucket_fake, pacing=False, tokens_per_window=tokens_per_window)
    print("\n" + paced.line() + "\n" + baseline.line())

    assert paced.failed == 0 and paced.requests >= CALLS
    assert paced.rate_limited <= 0.05 * paced.requests
    assert paced.allowed_s > 3 * LATENCY_MS / 1000  # the bucket, not the latency, sets the pace
    # The same load unpaced runs into the bucket: the pacer, not luck, kept the 429s away. (How close the
    # span comes to what the bucket allows is a figure, printed above and by benchmarks/pacing.py: on a
    # loaded machine it is no bound a test can hold.)
    assert baseline.rate_limited > 4 * max(paced.rate_limited, 1)
    assert bucket_fake.stats().internal_errors == []


async def test_a_429_the_sdk_retries_still_teaches_the_pacer(bucket_fake: FakeMessagesAPI,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", bucket_fake.url)
    bucket_fake.rate_limits = AccountBuckets(requests=1000, input_tokens=10**6, window_s=WINDOW_S)
    bucket_fake.reset_stats()
    bucket_fake.script(["ok", "429:0.4"])
    provider = AnthropicProvider(MODEL)
    limited = LimitedProvider(provider, CAP, None)
    try:
        await limited.complete(request(1))  # the probe
        started = time.monotonic()
        await limited.complete(request(2))  # 429, retried by the SDK after 0.4 s, then 200
    finally:
        await provider.aclose()
    assert provider.pacer is not None
    assert bucket_fake.stats().by_path["POST /v1/messages"] == 3
    assert provider.pacer.observed == 3  # every attempt's headers, the retried 429's included
    assert time.monotonic() - started >= 0.4
    assert set(provider.pacer.buckets()) == {"requests", "input-tokens"}


async def test_without_headers_calls_go_as_without_a_pacer(bucket_fake: FakeMessagesAPI,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", bucket_fake.url)
    bucket_fake.rate_limits = None
    bucket_fake.reset_stats()
    provider = AnthropicProvider(MODEL)
    limited = LimitedProvider(provider, CAP, None)
    bucket_fake.hold()  # replies wait: the calls pile up to whatever bounds them, however slowly they are sent
    try:
        run = asyncio.gather(*(limited.complete(request(i)) for i in range(CALLS)))
        await wait_until(lambda: bucket_fake.in_flight >= CAP or run.done(), f"{CAP} calls in flight")
        await asyncio.sleep(0.5)  # room for one more, were the cap not holding it back
        in_flight = bucket_fake.in_flight
        bucket_fake.release()
        await run
    finally:
        bucket_fake.release()
        await provider.aclose()
    assert provider.pacer is not None and not provider.pacer.active
    assert provider.pacer.waited_seconds == 0 and provider.pacer.observed == 0
    assert in_flight == CAP  # the cap, not the pacer, bounds the calls in flight
    assert bucket_fake.stats().max_in_flight == CAP


def test_the_fake_account_bucket_refuses_with_retry_after_and_reports_itself() -> None:
    buckets = AccountBuckets(requests=2, input_tokens=1000, window_s=10)
    assert buckets.take(600) is None
    wait = buckets.take(600)
    assert wait == pytest.approx(200 / 100, rel=0.05)  # input short by 200, refilling 100 a second
    assert buckets.take(400) is None
    reported = parse_rate_limits(buckets.headers(), time.time())
    assert reported["requests"].remaining == 0 and reported["input-tokens"].remaining == pytest.approx(0, abs=2)
    assert reported["input-tokens"].reset_in == pytest.approx(10, rel=0.05)
    assert buckets.take(1) is not None and buckets.totals.refused == 2 and buckets.totals.admitted == 2


def test_providers_of_one_process_share_one_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.llm import make_provider
    from lib.settings import Settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/shared-pacer-test")
    first, second = (make_provider(Settings(llm_provider="anthropic")) for _ in range(2))
    assert isinstance(first, AnthropicProvider) and isinstance(second, AnthropicProvider)
    assert first.pacer is not None and first.pacer is second.pacer
    unpaced = make_provider(Settings(llm_provider="anthropic", llm_pacing=False))
    assert isinstance(unpaced, AnthropicProvider) and unpaced.pacer is None
