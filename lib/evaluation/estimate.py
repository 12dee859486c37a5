"""What the set would cost with the real provider, from its characters: the same rule of thumb as a run's
dry-run estimate (lib/run/estimate.py: 4 characters a token, 2,500 output tokens a call), with the
output schema sent on every call and the system prompt billed at the cache-read price after the first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from lib.agents import build_agent
from lib.evaluation.scratch import SetRun
from lib.llm.base import Usage
from lib.llm.offline import OfflineProvider
from lib.llm.pricing import cost_usd

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS_PER_CALL = 2500


@dataclass(frozen=True)
class CostEstimate:
    model: str
    calls: int  # agent calls: two per transcript
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal

    @property
    def per_transcript(self) -> Decimal:
        return (self.cost_usd / (self.calls // 2)).quantize(Decimal("0.0001")) if self.calls else Decimal("0")


def estimate_cost(run: SetRun, model: str) -> CostEstimate:
    offline = OfflineProvider()
    total, calls, tokens_in, tokens_out = Decimal("0"), 0, 0, 0
    for agent_type, prompt in run.prompts.items():
        schema = json.dumps(build_agent(agent_type, offline).output_model.model_json_schema())
        fixed = (len(prompt.content) + len(schema)) // CHARS_PER_TOKEN
        for number, call in enumerate(run.calls):
            transcript = len(call.transcript.content) // CHARS_PER_TOKEN
            # the system prompt is cached after the first call of each agent type
            usage = Usage(input_tokens=transcript + len(schema) // CHARS_PER_TOKEN,
                          output_tokens=OUTPUT_TOKENS_PER_CALL,
                          cache_write_tokens=len(prompt.content) // CHARS_PER_TOKEN if number == 0 else 0,
                          cache_read_tokens=len(prompt.content) // CHARS_PER_TOKEN if number else 0)
            total += cost_usd(model, usage)
            calls += 1
            tokens_in += transcript + fixed
            tokens_out += OUTPUT_TOKENS_PER_CALL
    return CostEstimate(model, calls, tokens_in, tokens_out, total)
