"""Two tiers of cached agent results by input hash: a bounded in-process TTL tier in front of a
size-bounded diskcache tier that processes on one machine share.

Only completed results are cached. The cache only saves calls: Postgres holds the durable result, so
any cache problem (a corrupt file, a full disk, no write permission) degrades to a miss with one
warning and never fails a run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cachetools
import diskcache

from lib.models import AgentResult, CacheTier

log = logging.getLogger(__name__)


@dataclass
class CacheStats:
    memory_hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    writes: int = 0
    shared_waits: int = 0  # concurrent identical requests served by one in-flight computation
    disk_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


FLUSH_ITEMS = 32  # writes held before they go to disk in one transaction (ResultCache.flush sends the rest)
# diskcache's SQLite defaults map up to 64 MB of the file into the process and keep a 32 MB page cache: at
# 10k transcripts both fill, and the run's peak RSS grew with the backlog. The memory tier is the hot one;
# the disk tier reads one row a miss, which needs neither (see benchmarks.cache for what a hit costs).
SQLITE_SETTINGS = {"sqlite_mmap_size": 0, "sqlite_cache_size": 256}  # pages of 4 KB: 1 MB


@dataclass
class DiskTier:
    """diskcache, opened lazily; switched off for this process after its first error. Writes are held
    and sent in one transaction per FLUSH_ITEMS (or `flush`): a transaction per write costs more CPU
    than the rest of an item's work on our side, and blocks the event loop while it commits."""

    directory: Path
    size_limit: int
    _cache: diskcache.Cache | None = None
    disabled: bool = False
    stats: CacheStats = field(default_factory=CacheStats)
    _pending: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (value, tag), not yet on disk

    def _open(self) -> diskcache.Cache | None:
        if self._cache is None and not self.disabled:
            self._cache = self._guard("open", lambda: diskcache.Cache(
                str(self.directory), size_limit=self.size_limit, eviction_policy="least-recently-used",
                statistics=1, tag_index=True, **SQLITE_SETTINGS))
        return self._cache

    def _guard(self, what: str, op: Callable[[], Any]) -> Any:
        try:
            return op()
        except Exception as exc:  # any failure of the disk tier is a miss, never a failed run
            self.stats.disk_errors += 1
            self.disabled = True
            log.warning("disk cache %s failed; continuing without it", what,
                        extra={"cache_dir": str(self.directory), "error": type(exc).__name__})
            return None

    def get(self, key: str) -> str | None:
        if (pending := self._pending.get(key)) is not None:
            return pending[0]
        cache = self._open()
        return None if cache is None else self._guard("read", lambda: cache.get(key))

    def set(self, key: str, value: str, tag: str) -> None:
        if self.disabled:
            return
        self._pending[key] = (value, tag)
        if len(self._pending) >= FLUSH_ITEMS:
            self.flush()

    def flush(self) -> None:
        """Send the held writes in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        cache = self._open()
        if cache is not None:
            self._guard("write", lambda: _write_all(cache, pending))

    def clear(self, tag: str | None) -> int:
        self.flush()
        cache = self._open()
        if cache is None:
            return 0
        return int(self._guard("clear", lambda: cache.evict(tag) if tag else cache.clear()) or 0)

    def describe(self) -> dict[str, Any]:
        self.flush()
        cache = self._open()
        if cache is None:
            return {"available": False}
        hits, misses = cache.stats()
        return {"available": True, "entries": len(cache), "bytes": cache.volume(), "hits": hits, "misses": misses,
                "size_limit": self.size_limit, "directory": str(self.directory)}

    def close(self) -> None:
        self.flush()
        if self._cache is not None:
            self._cache.close()
            self._cache = None


def _write_all(cache: diskcache.Cache, items: dict[str, tuple[str, str]]) -> None:
    with cache.transact():
        for key, (value, tag) in items.items():
            cache.set(key, value, tag=tag)


class ResultCache:
    def __init__(self, directory: Path, *, memory_items: int = 2048, ttl_seconds: float = 3600,
                 disk_size_limit: int = 1 << 30, timer: Callable[[], float] = time.monotonic) -> None:
        self.stats = CacheStats()
        # The memory tier keeps the objects (no decoding on a hit); callers copy before changing them.
        self.memory: cachetools.TTLCache[str, AgentResult] = cachetools.TTLCache(memory_items, ttl_seconds,
                                                                                 timer=timer)
        self.disk = DiskTier(directory, disk_size_limit, stats=self.stats)
        # Keyed by event loop too: Prefect may run tasks on worker threads with loops of their own.
        self._inflight: dict[tuple[int, str], asyncio.Future[AgentResult]] = {}

    def get(self, key: str) -> tuple[AgentResult, CacheTier] | None:
        if (cached := self.memory.get(key)) is not None:
            self.stats.memory_hits += 1
            return cached, "memory"
        if (raw := self.disk.get(key)) is not None:
            try:
                result = AgentResult.model_validate_json(raw)
            except ValueError:
                log.warning("disk cache entry unreadable; treating as a miss", extra={"key": key})
                return None
            self.memory[key] = result
            self.stats.disk_hits += 1
            return result, "disk"
        return None

    def put(self, key: str, result: AgentResult) -> None:
        if result.status != "completed":
            return  # a failure is never cached: the next run must try again
        self.memory[key] = result
        self.disk.set(key, result.model_dump_json(), tag=result.agent_type)
        self.stats.writes += 1

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[AgentResult]]
                             ) -> tuple[AgentResult, CacheTier | None]:
        """The cached result and its tier, or the computed one (tier None). Identical concurrent
        requests in this process share one computation."""
        if (hit := self.get(key)) is not None:
            return hit
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        if (pending := self._inflight.get(slot)) is not None:
            self.stats.shared_waits += 1
            return await asyncio.shield(pending), "memory"
        self.stats.misses += 1
        future: asyncio.Future[AgentResult] = loop.create_future()
        self._inflight[slot] = future
        try:
            result = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        else:
            self.put(key, result)
            future.set_result(result)
            return result, None
        finally:
            del self._inflight[slot]

    def clear(self, agent_type: str | None = None) -> int:
        if agent_type is None:
            self.memory.clear()
        else:
            for key, cached in list(self.memory.items()):
                if cached.agent_type == agent_type:
                    del self.memory[key]
        return self.disk.clear(agent_type)

    def flush(self) -> None:
        """Write what the disk tier holds (the end of a batch: other processes may look for it)."""
        self.disk.flush()

    def close(self) -> None:
        self.disk.close()
