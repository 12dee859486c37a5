"""What a run would cost, without calling the LLM: calls, tokens and dollars from the backlog."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from lib.db.claims import Backlog
from lib.llm.base import Usage
from lib.llm.pricing import cost_usd

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS_PER_CALL = 2500
SYSTEM_TOKENS_PER_CALL = 600


class Estimate(BaseModel):
    transcripts: int
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    model: str


def estimate(backlog: Backlog, model: str) -> Estimate:
    """Each call reads its transcript (~4 characters a token) plus the prompt, and writes ~2.5k tokens."""
    transcript_tokens = backlog.chars // CHARS_PER_TOKEN
    calls_per_transcript = backlog.calls / backlog.transcripts if backlog.transcripts else 0
    usage = Usage(input_tokens=int(transcript_tokens * calls_per_transcript) + backlog.calls * SYSTEM_TOKENS_PER_CALL,
                  output_tokens=backlog.calls * OUTPUT_TOKENS_PER_CALL)
    return Estimate(transcripts=backlog.transcripts, calls=backlog.calls, input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens, cost_usd=cost_usd(model, usage), model=model)
