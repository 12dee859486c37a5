"""Offline provider speed on a ~40 KB transcript: first agent (analysis) and second agent (reused).

    python -m benchmarks.offline
"""

from __future__ import annotations

import asyncio
import statistics
import time

from benchmarks.synthetic import transcript_text
from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.llm.base import LLMRequest
from lib.llm.offline import OfflineProvider
from lib.llm.offline.analysis import _remembered
from lib.models import Transcript
from lib.transcripts import parse_bytes


async def main() -> None:
    parsed = parse_bytes(transcript_text(1).encode(), name="c.txt", max_bytes=10_000_000)
    from datetime import UTC, datetime

    transcript = Transcript(id=1, source="b", format="txt", occurred_at=datetime.now(UTC),
                            ingested_at=datetime.now(UTC), content=parsed.content,
                            content_sha256=parsed.content_sha256, turns=[t.model_dump() for t in parsed.turns],
                            speakers=parsed.speakers)
    provider = OfflineProvider()
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(9):
        _remembered.cache_clear()
        for model, runs in ((MeddpicAnalysis, cold), (StakeholderMap, warm)):
            started = time.perf_counter()
            await provider.complete(LLMRequest("meddpic", "", transcript, model))
            runs.append((time.perf_counter() - started) * 1000)
    print(f"offline provider, {len(parsed.content) / 1000:.0f} KB transcript, median of 9: first agent "
          f"{statistics.median(cold):.1f} ms, second agent on the same call {statistics.median(warm):.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
