"""Small builders shared by tests: synthetic transcripts stored through the real repositories, and a
wait for a state (instead of a sleep that hopes the state has come)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from lib.db.prompts import PromptRepository
from lib.db.transcripts import TranscriptRepository
from lib.models import NewTranscript
from lib.prompt_files import sync_prompts
from tests.fake_messages_api import FakeMessagesAPI

SPEAKERS = ["Dana Whitfield", "Sam Ortiz", "Priya Raman", "Leo Park"]
SENTENCES = [
    "As CFO I own the budget of $250,000 and I sign off on this purchase.",
    "We can cut onboarding time by 40% with our platform.",
    "I report to Dana and I will push this internally because our spreadsheets are killing us.",
    "We are also evaluating Gainsight, and legal will need the MSA redlines by March 3rd.",
    "Security review usually takes three weeks on our side.",
    "What does your decision process look like after the pilot?",
]


def synthetic_transcript(i: int, *, turns: int = 24, when: datetime | None = None) -> NewTranscript:
    rng = random.Random(i)
    rows = [{"speaker": rng.choice(SPEAKERS), "start_ms": n * 9000, "end_ms": n * 9000 + 8000,
             "text": f"{rng.choice(SENTENCES)} (call {i}, point {n})"} for n in range(turns)]
    content = "\n".join(f"[{r['start_ms'] // 60000:02d}:{r['start_ms'] // 1000 % 60:02d}] {r['speaker']}: {r['text']}"
                        for r in rows)
    return NewTranscript(
        source="tests", external_id=f"call-{i}", title=f"Call {i}", format="txt",
        occurred_at=when or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i), content=content,
        content_sha256=hashlib.sha256(content.encode()).hexdigest(), turns=rows,
        speakers=sorted({str(r["speaker"]) for r in rows}),
    )


async def seed(pool: asyncpg.Pool, n: int, *, first: int = 0) -> list[int]:
    """n transcripts (one a day from 2025-01-01 + first) and the prompts from prompts/."""
    repo = TranscriptRepository(pool)
    ids = [(await repo.add(synthetic_transcript(i)))[0] for i in range(first, first + n)]
    prompts = PromptRepository(pool)
    if await prompts.active("meddpic") is None:
        await sync_prompts(prompts)
    return ids


def message_calls(llm: FakeMessagesAPI) -> int:
    """Interactive Messages API calls the fake has answered (and refused) since its stats were reset."""
    return llm.stats().by_path.get("POST /v1/messages", 0)


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], what: str = "", *, seconds: float = 120,
                     every: float = 0.005) -> float:
    """Poll until `condition()` is true and return time.monotonic() then. `seconds` only bounds a hang
    (the state never comes): it is no pace the code must keep."""
    deadline = time.monotonic() + seconds
    while True:
        held = condition()
        if await held if inspect.isawaitable(held) else held:
            return time.monotonic()
        assert time.monotonic() < deadline, f"still waiting after {seconds:g} s for {what or condition.__name__}"
        await asyncio.sleep(every)
