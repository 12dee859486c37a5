"""What each provider's client costs this process, against the Anthropic provider, in one run.

    python -m benchmarks.providers [--calls 200] [--cap 16] [--latency-ms 50]

Every provider makes the same `--calls` structured-output calls (both agent types alternating, 2-8 KB
transcripts) behind the same cap (LimitedProvider, `--cap` in flight), each against its fake on loopback
with the same latency: anthropic (AsyncAnthropic, the baseline), bedrock (AsyncAnthropicBedrock: SigV4
signing by botocore on every request), vertex (AsyncAnthropicVertex: a Google service-account token, fetched
once) and openai (the openai client against a chat-completions server). Printed per provider: seconds, calls
a second, CPU seconds per call in this process (client, signing, validation; the fakes run on their own
threads and are counted too, the same for all), and each figure's ratio to anthropic's. The model's own time
is the fake's latency, the same for all: what differs is the client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.pacing import _request
from lib.llm.anthropic import AnthropicProvider
from lib.llm.claude_platforms import BedrockProvider, VertexProvider
from lib.llm.limits import LimitedProvider
from lib.llm.openai_compat import OpenAIProvider
from tests.fake_claude_platforms import FakeBedrock, FakeVertex, adc_file, bedrock_env
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_openai import FakeOpenAI

KINDS = ("anthropic", "bedrock", "vertex", "openai")


def _setup(kind: str, fake: FakeMessagesAPI, folder: Path) -> Callable[[], Any]:
    """Point the provider's SDK at its fake through the environment, as a deployment would; its maker."""
    if kind == "anthropic":
        os.environ.update({"ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": fake.url})
        return lambda: AnthropicProvider("claude-sonnet-5-5", pacing=False)
    if kind == "bedrock":
        assert isinstance(fake, FakeBedrock)
        os.environ.update(bedrock_env(fake))
        return lambda: BedrockProvider("anthropic.claude-sonnet-4-5-20250929-v1:0", pacing=False)
    if kind == "vertex":
        assert isinstance(fake, FakeVertex)
        os.environ.update(adc_file(folder / "sa.json", fake))
        return lambda: VertexProvider("claude-sonnet-4-5@20250929", pacing=False)
    os.environ.update({"OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": "sk-bench"})
    return lambda: OpenAIProvider("llama3.1:8b", pacing=False)


async def _run(make: Callable[[], Any], calls: int, cap: int) -> tuple[float, float, int]:
    provider = make()
    limited = LimitedProvider(provider, cap, None)
    await limited.complete(_request(10_000))  # warm: client made, token fetched, schemas built
    cpu, started = time.process_time(), time.perf_counter()
    replies = await asyncio.gather(*(limited.complete(_request(i)) for i in range(calls)), return_exceptions=True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    await provider.aclose()
    ok = sum(not isinstance(r, BaseException) and r.parsed is not None for r in replies)
    return wall, cpu, ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.providers")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cap", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    fakes: dict[str, FakeMessagesAPI] = {"anthropic": FakeMessagesAPI(latency_ms=args.latency_ms),
                                         "bedrock": FakeBedrock(latency_ms=args.latency_ms),
                                         "vertex": FakeVertex(latency_ms=args.latency_ms),
                                         "openai": FakeOpenAI(latency_ms=args.latency_ms)}
    rows: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in KINDS:
            with fakes[kind]:
                rows[kind] = asyncio.run(_run(_setup(kind, fakes[kind], Path(folder)), args.calls, args.cap))
    base_wall, base_cpu, _ = rows["anthropic"]
    print(f"{args.calls} calls per provider, {args.cap} in flight, fake latency {args.latency_ms:g} ms")
    print(f"{'provider':<10} {'ok':>5} {'seconds':>8} {'calls/s':>8} {'CPU ms/call':>12} {'time x':>7} {'CPU x':>6}")
    for kind, (wall, cpu, ok) in rows.items():
        print(f"{kind:<10} {ok:>5} {wall:>8.2f} {args.calls / wall:>8.1f} {cpu / args.calls * 1000:>12.2f} "
              f"{wall / base_wall:>6.2f}x {cpu / base_cpu:>5.2f}x")


if __name__ == "__main__":
    main()
