"""Caps on in-flight LLM calls: per process (a semaphore) and across every worker (PostgreSQL
advisory-lock slots: a call holds one of N session locks for its whole duration, so no more than N
calls are ever in flight, whichever machine they run on); and pacing by the account's rate limits
when the provider has a Pacer (lib/llm/pacing.py), waited for before a global slot is taken so a
waiting call holds none."""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from lib.db.connect import db_errors
from lib.llm.base import Health, LLMProvider, LLMReply, LLMRequest, Usage
from lib.llm.pacing import Pacer

SLOT_NAMESPACE = zlib.crc32(b"asmis-llm-slots") & 0x7FFFFFFF
POLL_SECONDS = (0.005, 0.05)  # backoff between sweeps when every slot is taken


class GlobalSlots:
    def __init__(self, pool: asyncpg.Pool, limit: int) -> None:
        self.pool = pool
        self.limit = limit

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[int]:
        with db_errors(operation="acquire LLM slot"):
            conn = await self.pool.acquire()
        try:
            slot = await self._acquire(conn)
            try:
                yield slot
            finally:
                with db_errors(operation="release LLM slot"):
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", SLOT_NAMESPACE, slot)
        finally:
            await self.pool.release(conn)

    async def _acquire(self, conn: asyncpg.Connection) -> int:
        delay = POLL_SECONDS[0]
        while True:
            with db_errors(operation="acquire LLM slot"):
                slot = await conn.fetchval("SELECT asmis_try_llm_slot($1, $2)", SLOT_NAMESPACE, self.limit)
            if slot is not None:
                return int(slot)
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, POLL_SECONDS[1])


@dataclass
class CallStats:
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class LimitedProvider:
    """A provider behind the per-process and the global cap, counting the calls it lets through."""

    def __init__(self, inner: LLMProvider, concurrency: int, global_slots: GlobalSlots | None) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.price_known: bool = getattr(inner, "price_known", True)
        self.local = asyncio.Semaphore(concurrency)
        self.global_slots = global_slots
        self.pacer: Pacer | None = getattr(inner, "pacer", None)  # providers that read rate-limit headers
        self.stats = CallStats()

    async def complete(self, request: LLMRequest) -> LLMReply:
        async with self.local:
            if self.pacer is None:
                return await self._held(request)
            chars = request_chars(request)
            async with self.pacer.turn(request.agent_type, chars):
                reply = await self._held(request)
            self.pacer.learn(request.agent_type, chars, reply.usage)
            return reply

    async def _held(self, request: LLMRequest) -> LLMReply:
        if self.global_slots is None:
            return await self._counted(request)
        async with self.global_slots.hold():
            return await self._counted(request)

    async def _counted(self, request: LLMRequest) -> LLMReply:
        stats = self.stats
        stats.calls += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            return await self.inner.complete(request)
        finally:
            stats.in_flight -= 1

    def cost(self, usage: Usage) -> Decimal:
        return self.inner.cost(usage)

    async def health_check(self) -> Health:
        return await self.inner.health_check()


def request_chars(request: LLMRequest) -> int:
    """The size of what a request sends, for estimating its tokens (the pacer learns the ratio)."""
    return (len(request.system) + len(request.transcript.content)
            + sum(len(r.reply_text) + len(r.reason) for r in request.retries))
