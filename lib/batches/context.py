"""What batch submit, poll and collect work with: the repositories, the analyser (its agents, cache and
interactive provider for re-asks) and a batch client. Built from the runtime's parts by `batch_context`."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import cachetools

from lib.agents.analysis import Analyser
from lib.batches.client import BatchClient
from lib.batches.ids import parse_custom_id
from lib.db.batches import BatchRepository
from lib.db.prompts import PromptRepository, prompt_for_run
from lib.db.transcripts import TranscriptRepository
from lib.errors import PermanentAgentError
from lib.llm.base import LLMProvider, LLMRequest
from lib.models import Prompt, Transcript


@dataclass
class BatchContext:
    batches: BatchRepository
    transcripts: TranscriptRepository
    prompts: PromptRepository
    analyser: Analyser
    client: BatchClient
    model: str
    _prompts: dict[int, Prompt] = field(default_factory=dict)
    # Both agents' requests of a transcript are submitted and collected close together: one fetch serves both.
    _transcripts: cachetools.LRUCache[int, Transcript] = field(default_factory=lambda: cachetools.LRUCache(256))

    async def prompt(self, prompt_id: int) -> Prompt:
        return await prompt_for_run(self.prompts, self._prompts, prompt_id)

    async def transcript(self, transcript_id: int) -> Transcript | None:
        if (transcript := self._transcripts.get(transcript_id)) is None:  # content never changes once stored
            transcript = await self.transcripts.get(transcript_id)
            if transcript is not None:
                self._transcripts[transcript_id] = transcript
        return transcript

    async def requests_for_tag(self, tag: str) -> list[tuple[str, LLMRequest]]:
        """A batch's requests rebuilt from its items (the offline client's results come from these)."""
        batch = await self.batches.by_tag(tag)
        if batch is None:
            return []
        requests = []
        for item in await self.batches.items(batch.id):
            transcript = await self.transcript(item.transcript_id)
            parsed = parse_custom_id(item.custom_id)
            if transcript is None or parsed is None:
                continue
            agent = self.analyser.agents[item.agent_type]
            requests.append((item.custom_id, agent.request(transcript, await self.prompt(item.prompt_id))))
        return requests


def batch_context(pool: asyncpg.Pool, analyser: Analyser, provider: LLMProvider) -> BatchContext:
    """The context for this provider: the Message Batches API, or the offline extractor's local batch.
    `provider` is the bare provider (not the rate-limited wrapper): polling holds no LLM slot."""
    holder: list[BatchContext] = []

    async def load(tag: str) -> list[tuple[str, LLMRequest]]:
        return await holder[0].requests_for_tag(tag)

    client: BatchClient
    if provider.name == "offline":
        from lib.batches.offline_client import OfflineBatchClient

        client = OfflineBatchClient(provider, load)
    else:
        from lib.batches.anthropic_client import AnthropicBatchClient
        from lib.llm.anthropic import AnthropicProvider

        if not isinstance(provider, AnthropicProvider) or provider.name != "anthropic":
            raise PermanentAgentError(f"no Message Batches client for provider {provider.name}")
        client = AnthropicBatchClient(provider)
    context = BatchContext(BatchRepository(pool), TranscriptRepository(pool), PromptRepository(pool), analyser,
                           client, provider.model)
    holder.append(context)
    return context
