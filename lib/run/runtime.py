"""What a process needs to run agents: one pool, one cache, one provider, per event loop.

asyncpg pools and the Anthropic client are bound to the loop that made them, and Prefect may run work
on loops of its own, so each running loop gets its own Runtime, made on first use."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING

import asyncpg
import cachetools

from lib.agents.analysis import Analyser
from lib.cache import ResultCache, open_cache
from lib.db import open_database
from lib.db.claims import ClaimRepository
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.llm import check_provider, make_provider
from lib.llm.limits import GlobalSlots, LimitedProvider
from lib.models import AgentType, Prompt, Transcript
from lib.settings import Settings, get_settings

if TYPE_CHECKING:
    from lib.run.agent_batch import BatchLedger


class Runtime:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, model: str, cache: ResultCache,
                 stack: AsyncExitStack) -> None:
        self.settings = settings
        self.pool = pool
        self.model = model
        self.cache = cache
        self.transcripts = TranscriptRepository(pool)
        self.prompts = PromptRepository(pool)
        self.results = ResultRepository(pool)
        self.claims = ClaimRepository(pool)
        self._stack = stack
        self.prompt_cache: dict[int, Prompt] = {}
        self.active_prompts: dict[AgentType, int] = {}  # resolved once per command (lib.run.pipeline.plan_run)
        # Futures of batch queries (lib.run.agent_batch.transcripts_by_id), so both agents share one; sized
        # to what is in flight, since a run never reads a transcript again once both agents have it.
        self.transcript_cache: cachetools.LRUCache[int, asyncio.Future[dict[int, Transcript]]] = (
            cachetools.LRUCache(4 * (settings.llm_concurrency + settings.task_batch)))
        self.batch_ledgers: dict[str, BatchLedger] = {}

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        # Each in-flight call may hold a connection for its global slot, so size the pool for it.
        sized = settings.model_copy(update={"pool_max_size": max(settings.pool_max_size,
                                                                 settings.llm_concurrency + 4)})
        model = check_provider(settings)
        stack = AsyncExitStack()
        try:
            pool = await stack.enter_async_context(open_database(sized))
        except BaseException:
            await stack.aclose()
            raise
        return cls(settings, pool, model, open_cache(settings), stack)

    # Made on first use: a run with nothing to do never loads the provider's SDK.
    @cached_property
    def provider(self) -> LimitedProvider:
        inner = make_provider(self.settings)
        slots = None if inner.name == "offline" else GlobalSlots(self.pool, self.settings.llm_global_limit)
        return LimitedProvider(inner, self.settings.llm_concurrency, slots)

    @cached_property
    def analyser(self) -> Analyser:
        return Analyser(self.provider, self.cache)

    async def close(self) -> None:
        self.cache.close()
        if "provider" in self.__dict__:
            close = getattr(self.provider.inner, "aclose", None)
            if close is not None:
                await close()
        await self._stack.aclose()


_runtimes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Runtime] = weakref.WeakKeyDictionary()
_users: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = weakref.WeakKeyDictionary()
_opening: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def current_runtime(settings: Settings | None = None) -> Runtime:
    """This loop's runtime, opened on first use."""
    loop = asyncio.get_running_loop()
    if (runtime := _runtimes.get(loop)) is not None:
        return runtime
    lock = _opening.setdefault(loop, asyncio.Lock())
    async with lock:
        if (runtime := _runtimes.get(loop)) is None:
            runtime = _runtimes[loop] = await Runtime.open(settings or get_settings())
    return runtime


@asynccontextmanager
async def runtime_in_use() -> AsyncIterator[Runtime]:
    """Hold this loop's runtime open; the last holder to leave closes it (two flows may share a loop)."""
    loop = asyncio.get_running_loop()
    _users[loop] = _users.get(loop, 0) + 1
    try:
        yield await current_runtime()
    finally:
        _users[loop] -= 1
        if not _users[loop]:
            runtime = _runtimes.pop(loop, None)
            if runtime is not None:
                await runtime.close()
