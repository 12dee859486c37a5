"""Result cache: memory-hit and disk-hit latency against the cost of a miss, measured in one run.

    python -m benchmarks.cache [--entries 2000]

A miss is one real agent call: the anthropic SDK against the fake Messages API at zero latency (so
this is the client-side floor; a real call adds seconds), plus grounding.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.synthetic import transcript_text
from lib.agents import MeddpicAgent
from lib.cache import ResultCache
from lib.llm.anthropic import AnthropicProvider
from lib.models import AgentResult, Prompt, Transcript
from lib.transcripts import parse_bytes
from tests.fake_messages_api import FakeMessagesAPI


def _transcript(i: int) -> Transcript:
    parsed = parse_bytes(transcript_text(i).encode(), name=f"c{i}.txt", max_bytes=10_000_000)
    return Transcript(id=i, source="bench", format=parsed.format, occurred_at=datetime.now(UTC),
                      ingested_at=datetime.now(UTC), content=parsed.content, content_sha256=parsed.content_sha256,
                      turns=[t.model_dump() for t in parsed.turns], speakers=parsed.speakers)


def _micros(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e6:9.1f} us, p95 {sorted(samples)[int(len(samples) * .95)] * 1e6:9.1f} us"


async def _misses(n: int) -> tuple[list[float], AgentResult]:
    prompt = Prompt(id=1, agent_type="meddpic", version="v", content="Analyse.", content_sha256="a" * 64,
                    is_active=True, source_path=None, created_at=datetime.now(UTC))
    samples, result = [], None
    with FakeMessagesAPI() as fake:
        agent = MeddpicAgent(AnthropicProvider("claude-sonnet-5-5"))
        import os

        os.environ.update({"ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": fake.url})
        for i in range(n):
            transcript = _transcript(i)
            started = time.perf_counter()
            result = await agent.process(transcript, prompt)
            samples.append(time.perf_counter() - started)
    assert result is not None
    return samples, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--misses", type=int, default=30)
    args = parser.parse_args()
    miss, result = asyncio.run(_misses(args.misses))
    root = Path(tempfile.mkdtemp(prefix="asmis-cache-bench-"))
    try:
        cache = ResultCache(root, memory_items=args.entries * 2)
        keys = [f"{i:064x}" for i in range(args.entries)]
        writes = []
        for key in keys:
            started = time.perf_counter()
            cache.put(key, result.model_copy(update={"input_hash": key}))
            writes.append(time.perf_counter() - started)
        memory = []
        for key in keys:
            started = time.perf_counter()
            assert cache.get(key) is not None
            memory.append(time.perf_counter() - started)
        disk = []
        for key in keys:
            cache.memory.clear()
            started = time.perf_counter()
            assert cache.get(key) is not None
            disk.append(time.perf_counter() - started)
        size = len(result.model_dump_json())
        print(f"{args.entries} cached MEDDPICC results of {size / 1000:.1f} KB each")
        print(f"  memory hit : {_micros(memory)}")
        print(f"  disk hit   : {_micros(disk)}")
        print(f"  write      : {_micros(writes)}")
        print(f"  miss       : {_micros(miss)}  (one agent call to a zero-latency fake; real calls take seconds)")
        print(f"  a miss costs {statistics.median(miss) / statistics.median(memory):,.0f}x a memory hit and "
              f"{statistics.median(miss) / statistics.median(disk):,.0f}x a disk hit")
        cache.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
