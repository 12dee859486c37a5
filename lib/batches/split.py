"""Split requests into batches within the API's limits: 100,000 requests or 256 MB per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1000 * 1000  # 256 MB read as the smaller (decimal) megabyte, to stay under either
ENVELOPE_BYTES = 64  # {"custom_id": "...", "params": ...} around each request's params


class Sized(Protocol):
    @property
    def size(self) -> int: ...


S = TypeVar("S", bound=Sized)


def split(requests: Sequence[S], *, max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES) -> list[list[S]]:
    """Consecutive chunks, each within both limits (a single oversized request goes alone and the API
    will refuse it, naming it)."""
    chunks: list[list[S]] = []
    current: list[S] = []
    size = 0
    for request in requests:
        cost = request.size + ENVELOPE_BYTES
        if current and (len(current) >= max_requests or size + cost > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(request)
        size += cost
    if current:
        chunks.append(current)
    return chunks
