"""What a call will cost in tokens before it is sent, learned from the usage replies report.

A request's input is a fixed part per kind (system prompt, output schema, framing) plus its transcript,
so input tokens are fitted per kind as `fixed + per_char * chars` by least squares over recent calls
(older ones weigh less, FORGET per call). Until the calls seen differ enough in size to tell the two
apart, the estimate is the mean tokens per character. Input tokens are counted as the API counts them
toward its limit: uncached input plus cache writes (cache reads are free). Output tokens: the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lib.llm.base import Usage

INITIAL_TOKENS_PER_CHAR = 1 / 3.0  # cautious until a reply's usage teaches the real figures
FORGET = 0.9  # weight left to what was learned before each new call
MIN_SIZE_SPREAD = 0.01  # relative spread of request sizes below which no fixed part is fitted


@dataclass
class _Fit:
    weight: float = 0.0
    chars: float = 0.0
    tokens: float = 0.0
    chars_sq: float = 0.0
    chars_tokens: float = 0.0
    output: float = 0.0

    def add(self, chars: float, tokens: float, output: float) -> None:
        for name in ("weight", "chars", "tokens", "chars_sq", "chars_tokens", "output"):
            setattr(self, name, getattr(self, name) * FORGET)
        self.weight += 1
        self.chars += chars
        self.tokens += tokens
        self.chars_sq += chars * chars
        self.chars_tokens += chars * tokens
        self.output += output

    def input_tokens(self, chars: float) -> float:
        mean_chars, mean_tokens = self.chars / self.weight, self.tokens / self.weight
        variance = self.chars_sq / self.weight - mean_chars**2
        if variance > (MIN_SIZE_SPREAD * mean_chars) ** 2:
            per_char = (self.chars_tokens / self.weight - mean_chars * mean_tokens) / variance
            fixed = mean_tokens - per_char * mean_chars
            if per_char >= 0 and fixed >= 0:
                return fixed + per_char * chars
        return chars * mean_tokens / mean_chars


class TokenEstimator:
    """Per kind of request (an agent type: its own prompt and schema). Not thread-safe: the pacer locks."""

    def __init__(self) -> None:
        self._fits: dict[str, _Fit] = {}

    def learn(self, kind: str, chars: int, usage: Usage) -> None:
        billed_input = usage.input_tokens + usage.cache_write_tokens
        if chars > 0 and billed_input + usage.output_tokens > 0:
            self._fits.setdefault(kind, _Fit()).add(chars, billed_input, usage.output_tokens)

    def estimate(self, kind: str, chars: int) -> tuple[int, int]:
        """(input tokens, output tokens); a kind not seen yet is costed like the costliest seen."""
        fit = self._fits.get(kind)
        if fit is not None:
            return math.ceil(fit.input_tokens(chars)), math.ceil(fit.output / fit.weight)
        if not self._fits:
            return math.ceil(chars * INITIAL_TOKENS_PER_CHAR), 0
        return (max(math.ceil(f.input_tokens(chars)) for f in self._fits.values()),
                max(math.ceil(f.output / f.weight) for f in self._fits.values()))
