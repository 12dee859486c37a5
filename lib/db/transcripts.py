"""TranscriptRepository: store transcripts once per content, read them back by id or date."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from lib.db.connect import db_errors
from lib.models import NewTranscript, Transcript

_COLUMNS = ("source", "external_id", "deal_id", "title", "format", "occurred_at", "content",
            "content_sha256", "turns", "speakers", "metadata")
_INSERT = f"""
INSERT INTO transcripts ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))})
ON CONFLICT (source, content_sha256) DO NOTHING
RETURNING id
"""  # noqa: S608 - column names are constants; values are parameters
_EXISTING = "SELECT id FROM transcripts WHERE source = $1 AND content_sha256 = $2"
_SELECT = "SELECT * FROM transcripts"


class TranscriptRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, transcript: NewTranscript) -> tuple[int, bool]:
        """Insert unless the same content from the same source exists; return (id, inserted)."""
        values = [getattr(transcript, column) for column in _COLUMNS]
        with db_errors(operation="add transcript"):
            new_id = await self.pool.fetchval(_INSERT, *values)
            if new_id is not None:
                return int(new_id), True
            existing = await self.pool.fetchval(_EXISTING, transcript.source, transcript.content_sha256)
        return int(existing), False

    async def get(self, transcript_id: int) -> Transcript | None:
        with db_errors(operation="get transcript", transcript_id=transcript_id):
            row = await self.pool.fetchrow(_SELECT + " WHERE id = $1", transcript_id)
        # Rows were validated on the way in; re-validating every turn of a long call costs milliseconds.
        return Transcript.model_construct(**dict(row)) if row else None

    async def get_many(self, ids: list[int]) -> list[Transcript]:
        with db_errors(operation="get transcripts"):
            rows = await self.pool.fetch(_SELECT + " WHERE id = ANY($1::bigint[]) ORDER BY id", ids)
        return [Transcript.model_construct(**dict(r)) for r in rows]

    async def list(self, *, since: datetime | None = None, until: datetime | None = None,
                   limit: int = 100) -> list[Transcript]:
        with db_errors(operation="list transcripts"):
            rows = await self.pool.fetch(
                _SELECT + " WHERE ($1::timestamptz IS NULL OR occurred_at >= $1)"
                " AND ($2::timestamptz IS NULL OR occurred_at < $2) ORDER BY occurred_at, id LIMIT $3",
                since, until, limit,
            )
        return [Transcript(**dict(r)) for r in rows]

    async def count(self) -> int:
        with db_errors(operation="count transcripts"):
            return int(await self.pool.fetchval("SELECT count(*) FROM transcripts"))
