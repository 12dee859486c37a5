"""What a source hands the pull: listed items (id, version, when) and, fetched, their bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lib.intake.sources import SourceSpec


@dataclass(frozen=True)
class Listed:
    """One item a source listed. `version` changes when the item's content may have (ETag, mtime, size);
    `name` ends in the suffix that picks the parser."""

    external_id: str
    version: str
    name: str
    occurred_at: datetime | None = None
    title: str | None = None
    size: int | None = None
    ready: bool = True  # False: listed, but its transcript is not there yet (pending)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Fetched:
    listed: Listed
    data: bytes | None  # None: still no transcript (pending)
    metadata: dict[str, Any] = field(default_factory=dict)  # what the source says beyond the file
    refused: str | None = None  # why the source would not read it (a link out of a file:// folder)


class Source(Protocol):
    spec: SourceSpec
    pages: int  # pages of API replies read
    refetch_by_id: bool  # pending items outside the listing window can be fetched by id (Gong)

    @property
    def requests(self) -> int:
        """API requests made so far (for the report and the benchmark)."""

    @property
    def throttled(self) -> int:
        """429 replies waited out (their Retry-After honoured)."""

    async def list_items(self, since: datetime, until: datetime) -> list[Listed]: ...

    def fetch(self, items: list[Listed]) -> AsyncIterator[Fetched]: ...

    def by_id(self, external_id: str) -> Listed: ...

    async def aclose(self) -> None: ...
