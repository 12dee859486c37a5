"""BaseAgent: one transcript and one prompt in, one AgentResult out.

It owns the output-level retries: a reply that does not validate, or whose quotes are mostly not in
the transcript, is sent back to the model with the reason, at most `max_reasks` times. HTTP-level
retries belong to the provider's SDK and task-level retries to Prefect (DESIGN.md, Retries).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from lib.agents.grounding import GroundingReport, TranscriptIndex
from lib.agents.schemas import SCHEMA_VERSION
from lib.cache.keys import input_hash
from lib.errors import AgentError, PermanentAgentError, RetryableAgentError
from lib.llm.base import Health, LLMProvider, LLMReply, LLMRequest, Retry, Usage
from lib.llm.pricing import COST_UNKNOWN
from lib.models import AgentResult, AgentType, Prompt, Transcript

M = TypeVar("M", bound=BaseModel)
DEFAULT_MAX_REASKS = 2
DEFAULT_ATTEMPT_TIMEOUT = 600.0
MAX_DROPPED_SHARE = 0.5


def _cost_so_far(error: BaseException, default: Decimal) -> Decimal:
    """What the failed attempts cost, as the agent priced them (a batch reply costs half)."""
    cost = getattr(error, "cost_usd", None)
    return cost if isinstance(cost, Decimal) else default


def _ungrounded_reason(rejected: list[str]) -> str:
    listed = "\n".join(f"- {q[:200]}" for q in rejected[:10])
    return ("These quotes are not in the transcript. Every quote must be copied exactly from it; "
            f"replace or remove them:\n{listed}")


class BaseAgent(ABC, Generic[M]):
    agent_type: ClassVar[AgentType]
    output_model: type[M]
    schema_version: ClassVar[str] = SCHEMA_VERSION

    def __init__(self, provider: LLMProvider, *, max_reasks: int = DEFAULT_MAX_REASKS,
                 attempt_timeout: float = DEFAULT_ATTEMPT_TIMEOUT) -> None:
        self.provider = provider
        self.max_reasks = max_reasks
        self.attempt_timeout = attempt_timeout

    @abstractmethod
    def ground(self, output: M, index: TranscriptIndex) -> tuple[M, GroundingReport]: ...

    @abstractmethod
    def confidence(self, output: M, report: GroundingReport) -> float: ...

    def input_hash(self, transcript: Transcript, prompt: Prompt) -> str:
        return input_hash(agent_type=self.agent_type, prompt_sha256=prompt.content_sha256,
                          model=self.provider.model, schema_version=self.schema_version,
                          transcript_sha256=transcript.content_sha256, provider=self.provider.name)

    async def health_check(self) -> Health:
        """Whether this agent's provider can answer now (`asmis doctor` asks)."""
        return await self.provider.health_check()

    async def process(self, transcript: Transcript, prompt: Prompt, index: TranscriptIndex | None = None
                      ) -> AgentResult:
        """Analyse; raise RetryableAgentError or PermanentAgentError (carrying attempts, usage and the
        errors so far) when no valid, grounded output could be had. `index` may be shared by the agents
        that analyse the same transcript."""
        return await self._run(transcript, prompt, index, None)

    async def process_reply(self, transcript: Transcript, prompt: Prompt, reply: LLMReply,
                            index: TranscriptIndex | None = None) -> AgentResult:
        """Take `reply` (a Message Batch's answer) as the first attempt: the same validation and
        grounding as an interactive reply, and the same bounded interactive re-asks when it fails."""
        return await self._run(transcript, prompt, index, reply)

    async def _run(self, transcript: Transcript, prompt: Prompt, index: TranscriptIndex | None,
                   first: LLMReply | None) -> AgentResult:
        if prompt.agent_type != self.agent_type:
            raise PermanentAgentError(f"prompt {prompt.id} is for {prompt.agent_type}, not {self.agent_type}")
        clock = time.perf_counter()
        index = index or TranscriptIndex(transcript.turns)
        usage, cost, retries, errors = Usage(), Decimal("0"), list[Retry](), list[str]()
        for attempt in range(1, self.max_reasks + 2):
            if attempt == 1 and first is not None:
                reply = first
            else:
                reply = await self._call(transcript, prompt, tuple(retries), attempt, usage, errors, cost)
            usage += reply.usage
            cost += reply.cost_usd if reply.cost_usd is not None else self.provider.cost(reply.usage)
            if reply.parsed is None or not isinstance(reply.parsed, self.output_model):
                errors.append(f"attempt {attempt}: the reply did not match the output schema")
                retries.append(Retry(reply.text, reply.error or "The reply did not match the schema."))
                continue
            output, report = self.ground(reply.parsed, index)
            if report.dropped_share > MAX_DROPPED_SHARE and attempt <= self.max_reasks:
                errors.append(f"attempt {attempt}: {report.dropped} of {report.offered} quotes not grounded")
                retries.append(Retry(reply.text, _ungrounded_reason(report.rejected)))
                continue
            return AgentResult(
                transcript_id=transcript.id, agent_type=self.agent_type, prompt_id=prompt.id,
                prompt_version=prompt.version, input_hash=self.input_hash(transcript, prompt),
                schema_version=self.schema_version, status="completed", data=output.model_dump(mode="json"),
                confidence=self.confidence(output, report), model=reply.model or self.provider.model,
                model_requested=self.provider.model,
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
                cost_usd=cost, attempts=attempt, errors=errors, warnings=report.warnings + self._cost_warning(),
                processing_ms=int((time.perf_counter() - clock) * 1000),
                llm_mode="batch" if first is not None and first.batch else "interactive",
                llm_provider=self.provider.name,
            )
        raise PermanentAgentError(
            f"{self.agent_type}: no valid output for transcript {transcript.id} after {self.max_reasks + 1} "
            "attempts", attempts=self.max_reasks + 1, usage=usage, errors=errors, cost_usd=cost,
        )

    def request(self, transcript: Transcript, prompt: Prompt, retries: tuple[Retry, ...] = ()) -> LLMRequest:
        """What this agent asks of the provider, in either LLM mode."""
        return LLMRequest(self.agent_type, prompt.content, transcript, self.output_model, retries)

    async def _call(self, transcript: Transcript, prompt: Prompt, retries: tuple[Retry, ...], attempt: int,
                    usage: Usage, errors: list[str], cost: Decimal) -> LLMReply:
        request = self.request(transcript, prompt, retries)
        try:
            return await asyncio.wait_for(self.provider.complete(request), self.attempt_timeout)
        except TimeoutError:
            errors.append(f"attempt {attempt}: no reply within {self.attempt_timeout:g}s")
            raise RetryableAgentError(errors[-1], attempts=attempt, usage=usage, errors=errors,
                                      cost_usd=cost) from None
        except AgentError as exc:
            errors.append(f"attempt {attempt}: {exc}")
            exc.attempts, exc.usage, exc.errors, exc.cost_usd = attempt, usage, errors, cost
            raise

    def failed_result(self, transcript: Transcript, prompt: Prompt, error: BaseException,
                      attempts: int | None = None) -> AgentResult:
        """The row that records a failure, so nothing disappears and the next run retries it."""
        usage = getattr(error, "usage", None) or Usage()
        errors = list(getattr(error, "errors", None) or [f"{type(error).__name__}: {error}"])
        return AgentResult(
            transcript_id=transcript.id, agent_type=self.agent_type, prompt_id=prompt.id,
            prompt_version=prompt.version, input_hash=self.input_hash(transcript, prompt), status="failed",
            schema_version=self.schema_version, model=self.provider.model, model_requested=self.provider.model,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_usd=_cost_so_far(error, self.provider.cost(usage)),
            attempts=attempts or getattr(error, "attempts", 1) or 1,
            errors=errors[-10:], warnings=self._cost_warning(), llm_provider=self.provider.name,
        )

    def _cost_warning(self) -> list[str]:
        """`cost unknown` on a result made with a model no price is known for (its cost_usd is 0)."""
        if getattr(self.provider, "price_known", True):
            return []
        return [f"{COST_UNKNOWN}: no price for {self.provider.name} model {self.provider.model}"]
