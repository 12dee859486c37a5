"""Agent results cached by input hash, in memory and on disk."""

from __future__ import annotations

from lib.cache.keys import input_hash
from lib.cache.store import CacheStats, ResultCache
from lib.settings import Settings


def open_cache(settings: Settings) -> ResultCache:
    return ResultCache(settings.cache_dir, memory_items=settings.cache_memory_items,
                       ttl_seconds=settings.cache_ttl_seconds, disk_size_limit=settings.cache_size_mb << 20)


__all__ = ["CacheStats", "ResultCache", "input_hash", "open_cache"]
