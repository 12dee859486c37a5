"""Run one agent on one transcript through the cache: the call every entry point makes."""

from __future__ import annotations

import cachetools

from lib.agents import BaseAgent, build_agent
from lib.agents.grounding import TranscriptIndex
from lib.cache import ResultCache
from lib.llm.base import LLMProvider
from lib.models import AGENT_TYPES, AgentResult, AgentType, Prompt, Transcript


class Analyser:
    def __init__(self, provider: LLMProvider, cache: ResultCache) -> None:
        self.provider = provider
        self.cache = cache
        self.agents: dict[AgentType, BaseAgent] = {t: build_agent(t, provider) for t in AGENT_TYPES}
        # Both agents ground against the same transcript: normalise it once.
        self._indexes: cachetools.LRUCache[str, TranscriptIndex] = cachetools.LRUCache(256)

    def index(self, transcript: Transcript) -> TranscriptIndex:
        key = transcript.content_sha256
        if (index := self._indexes.get(key)) is None:
            index = self._indexes[key] = TranscriptIndex(transcript.turns)
        return index

    async def analyse(self, agent_type: AgentType, transcript: Transcript, prompt: Prompt,
                      run_id: str | None = None) -> AgentResult:
        """A cached result (marked with its tier) or a fresh one; raises the agent's errors."""
        agent = self.agents[agent_type]
        key = agent.input_hash(transcript, prompt)
        result, tier = await self.cache.get_or_compute(
            key, lambda: agent.process(transcript, prompt, self.index(transcript)))
        # The cached copy may come from another transcript with the same content or another run.
        return result.model_copy(update={
            "transcript_id": transcript.id, "prompt_id": prompt.id, "prompt_version": prompt.version,
            "cache_tier": tier, "run_id": run_id,
            # a copy cached before results named their provider: the key says which (lib/cache/keys.py)
            "llm_provider": agent.provider.name,
        })

    def failed(self, agent_type: AgentType, transcript: Transcript, prompt: Prompt, error: BaseException,
               run_id: str | None = None) -> AgentResult:
        result = self.agents[agent_type].failed_result(transcript, prompt, error)
        return result.model_copy(update={"run_id": run_id})
