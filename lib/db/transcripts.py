"""TranscriptRepository: store transcripts once per content (whatever their source or label), read them
back by id or date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from lib.db.connect import db_errors
from lib.models import NewTranscript, Transcript

_COLUMNS = ("source", "external_id", "deal_id", "title", "format", "occurred_at", "content",
            "content_sha256", "turns", "speakers", "metadata")
_INSERT = f"""
INSERT INTO transcripts ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))})
ON CONFLICT (content_sha256) DO NOTHING
RETURNING id
"""  # noqa: S608 - column names are constants; values are parameters
_EXISTING = "SELECT id, source, deal_id, occurred_at, metadata FROM transcripts WHERE content_sha256 = $1 FOR UPDATE"
_UPDATE = "UPDATE transcripts SET deal_id = $2, occurred_at = $3, metadata = $4 WHERE id = $1"
_SELECT = "SELECT * FROM transcripts"
StoreOutcome = Literal["inserted", "updated", "unchanged"]


@dataclass(frozen=True)
class Stored:
    """What storing a transcript did. `previous` is the stored row as it was (None when inserted)."""

    id: int
    outcome: StoreOutcome
    previous_deal_id: str | None = None
    previous_occurred_at: datetime | None = None
    stored_source: str | None = None


def _label(transcript: NewTranscript) -> dict[str, Any]:
    return {"source": transcript.source, "external_id": transcript.external_id,
            "file_name": transcript.metadata.get("file_name")}


class TranscriptRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, transcript: NewTranscript) -> tuple[int, bool]:
        """Insert unless the same content is stored (from any source); return (id, inserted)."""
        stored = await self.store(transcript)
        return stored.id, stored.outcome == "inserted"

    async def store(self, transcript: NewTranscript, *, deal_id: str | None = None,
                    occurred_at: datetime | None = None) -> Stored:
        """Insert, or find the stored row with the same content: the same call, whatever its source or
        label. Then another source or label is kept in its metadata (`also_from`), and an explicit
        `deal_id` or `occurred_at` (what the user asked for, not what the file implied) updates it."""
        values = [getattr(transcript, column) for column in _COLUMNS]
        with db_errors(operation="add transcript"):
            async with self.pool.acquire() as conn, conn.transaction():
                new_id = await conn.fetchval(_INSERT, *values)
                if new_id is not None:
                    return Stored(int(new_id), "inserted")
                row = await conn.fetchrow(_EXISTING, transcript.content_sha256)
                metadata = dict(row["metadata"])
                labels = list(metadata.get("also_from") or [])
                label = _label(transcript)
                known = row["source"] == label["source"] or any(
                    (seen.get("source"), seen.get("external_id")) == (label["source"], label["external_id"])
                    for seen in labels)
                if not known:
                    metadata["also_from"] = [*labels, label]
                new_deal = deal_id if deal_id is not None else row["deal_id"]
                new_when = occurred_at if occurred_at is not None else row["occurred_at"]
                moved = (new_deal, new_when) != (row["deal_id"], row["occurred_at"])
                if moved or not known:
                    await conn.execute(_UPDATE, row["id"], new_deal, new_when, metadata)
        return Stored(int(row["id"]), "updated" if moved else "unchanged", row["deal_id"], row["occurred_at"],
                      row["source"])

    async def get(self, transcript_id: int) -> Transcript | None:
        with db_errors(operation="get transcript", transcript_id=transcript_id):
            row = await self.pool.fetchrow(_SELECT + " WHERE id = $1", transcript_id)
        # Rows were validated on the way in; re-validating every turn of a long call costs milliseconds.
        return Transcript.model_construct(**dict(row)) if row else None

    async def get_many(self, ids: list[int]) -> list[Transcript]:
        with db_errors(operation="get transcripts"):
            rows = await self.pool.fetch(_SELECT + " WHERE id = ANY($1::bigint[]) ORDER BY id", ids)
        return [Transcript.model_construct(**dict(r)) for r in rows]

    async def missing(self, ids: list[int]) -> list[int]:
        """The ids among these that no transcript has."""
        with db_errors(operation="check transcript ids"):
            found = {r["id"] for r in await self.pool.fetch("SELECT id FROM transcripts WHERE id = ANY($1::bigint[])",
                                                           ids)}
        return sorted(set(ids) - found)

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
