"""Pacing by the account's rate limits, against no pacing, in one run.

    python -m benchmarks.pacing [--calls 100] [--cap 32] [--window 4] [--calls-per-window 24]

The fake Messages API enforces an account's limits (requests and input tokens per `--window` seconds,
the API's minute scaled down) and sends the rate-limit headers; both agent types alternate, with prompt
caching on and latency jitter, so costs differ from call to call. Printed per mode: requests sent,
429s, calls that outlived the SDK's retries, the span against the least the buckets allow, and the
most requests in flight. A last pair runs with limits far above the load: pacing's cost is its probe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

from benchmarks.synthetic import transcript_text
from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.llm.anthropic import AnthropicProvider
from lib.llm.base import LLMRequest
from lib.llm.limits import LimitedProvider
from lib.models import Transcript
from lib.transcripts import parse_bytes
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_ratelimit import AccountBuckets

MODEL = "claude-sonnet-5-5"


def _request(i: int) -> LLMRequest:
    text = transcript_text(i, target_bytes=2_000 + (i * 1_237) % 6_000)  # 2-8 KB: costs differ call to call
    parsed = parse_bytes(text.encode(), name=f"c{i}.txt", max_bytes=10_000_000)
    transcript = Transcript(id=i, source="bench", format=parsed.format, occurred_at=datetime.now(UTC),
                            ingested_at=datetime.now(UTC), content=parsed.content,
                            content_sha256=parsed.content_sha256, turns=[t.model_dump() for t in parsed.turns],
                            speakers=parsed.speakers)
    if i % 2:
        return LLMRequest("stakeholder", "Map the people on the call. " * 40, transcript, StakeholderMap)
    return LLMRequest("meddpic", "Analyse the call with MEDDPICC. " * 40, transcript, MeddpicAnalysis)


async def _run(fake: FakeMessagesAPI, *, pacing: bool, calls: int, cap: int, requests_limit: int,
               tokens_limit: int, window: float) -> str:
    fake.rate_limits = buckets = AccountBuckets(requests=requests_limit, input_tokens=tokens_limit, window_s=window)
    fake.reset_stats()
    provider = AnthropicProvider(MODEL, pacing=pacing)
    limited = LimitedProvider(provider, cap, None)
    started = time.monotonic()
    outcomes = await asyncio.gather(*(limited.complete(_request(i)) for i in range(calls)), return_exceptions=True)
    span = time.monotonic() - started
    await provider.aclose()
    stats, totals = fake.stats(), buckets.totals
    allowed = max(max(0, totals.charged["input-tokens"] - tokens_limit) / (tokens_limit / window),
                  max(0, totals.admitted - requests_limit) / (requests_limit / window))
    requests = stats.by_path.get("POST /v1/messages", 0)
    refused = stats.outcomes.get("429 rate limit", 0)
    failed = sum(isinstance(o, BaseException) for o in outcomes)
    return (f"pacing {'on ' if pacing else 'off'}: {calls} calls, {requests:4d} requests, {refused:4d} x 429 "
            f"({refused / max(requests, 1):4.0%}), {failed:3d} failed, span {span:6.2f} s, the buckets allow "
            f"{allowed:6.2f} s + one call, max in flight {stats.max_in_flight}")


async def main(args: argparse.Namespace) -> None:
    with FakeMessagesAPI(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms) as fake:
        os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-bench")
        os.environ["ANTHROPIC_BASE_URL"] = fake.url
        probe = AnthropicProvider(MODEL, pacing=False)
        usage = (await probe.complete(_request(10**6))).usage
        await probe.aclose()
        per_call = usage.input_tokens + usage.cache_write_tokens
        fake.clear_prompt_cache()
        tight = {"requests_limit": args.calls_per_window * 2, "tokens_limit": args.calls_per_window * per_call}
        loose = {"requests_limit": 10**6, "tokens_limit": 10**9}
        print(f"{args.calls} calls, cap {args.cap}, {args.latency_ms:g} ms + up to {args.jitter_ms:g} ms a call; "
              f"limits per {args.window:g} s window: {tight['requests_limit']} requests, "
              f"{tight['tokens_limit']} input tokens (~{args.calls_per_window} calls)")
        for limits in (tight, loose):
            if limits is loose:
                print("limits far above the load:")
            for pacing in (True, False):
                print(await _run(fake, pacing=pacing, calls=args.calls, cap=args.cap, window=args.window, **limits))
                fake.clear_prompt_cache()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--cap", type=int, default=32)
    parser.add_argument("--window", type=float, default=4.0)
    parser.add_argument("--calls-per-window", type=int, default=24)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--jitter-ms", type=float, default=400.0)
    asyncio.run(main(parser.parse_args()))
