"""Intake state in PostgreSQL: per source its high-water mark and last pull, per item its state
(stored, pending, refused) and the version last seen. Storing an item locks its row first, so two pulls
of one source never both store it: the second waits, then finds it stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from lib.db.connect import db_errors
from lib.models import NewTranscript, json_time

Stored = Literal["new", "changed", "unchanged", "already_stored"]

_KNOWN = "SELECT external_id, state, version, reason FROM intake_items WHERE source = $1"
_PENDING = "SELECT external_id FROM intake_items WHERE source = $1 AND state = 'pending' ORDER BY external_id"
_LOCK_ITEM = """
INSERT INTO intake_items (source, external_id, state, version) VALUES ($1, $2, 'pending', '')
ON CONFLICT (source, external_id) DO NOTHING
"""
_ITEM = "SELECT state, version, transcript_id FROM intake_items WHERE source = $1 AND external_id = $2 FOR UPDATE"
_SET_ITEM = """
UPDATE intake_items SET state = $3, version = $4, reason = $5, transcript_id = coalesce($6, transcript_id),
    occurred_at = coalesce($7, occurred_at), attempts = attempts + 1, updated_at = now()
WHERE source = $1 AND external_id = $2
"""
_MARK = """
INSERT INTO intake_items AS i (source, external_id, state, version, reason, occurred_at, attempts)
VALUES ($1, $2, $3, $4, $5, $6, 1)
ON CONFLICT (source, external_id) DO UPDATE SET state = $3, version = $4, reason = $5,
    occurred_at = coalesce($6, i.occurred_at), attempts = i.attempts + 1, updated_at = now()
WHERE i.state <> 'stored' OR i.version <> $4
"""
_COLUMNS = ("source", "external_id", "deal_id", "title", "format", "occurred_at", "content",
            "content_sha256", "turns", "speakers", "metadata")
_INSERT = f"""
INSERT INTO transcripts ({", ".join(_COLUMNS)}) VALUES ({", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))})
ON CONFLICT DO NOTHING RETURNING id
"""  # noqa: S608 - column names are constants; values are parameters
# Whichever uniqueness rule transcripts have (per source, or across sources), the row holding this content.
_SAME_CONTENT = "SELECT id FROM transcripts WHERE content_sha256 = $1 ORDER BY (source = $2) DESC, id LIMIT 1"
_SAME_ITEM = "SELECT id FROM transcripts WHERE source = $1 AND external_id = $2 ORDER BY id LIMIT 1"
_UPDATE = f"""
UPDATE transcripts SET ({", ".join(_COLUMNS[2:])}) = ({", ".join(f"${i}" for i in range(3, len(_COLUMNS) + 1))}),
    claimed_by = NULL, claim_expires_at = NULL
WHERE id = $1 AND $2::text IS NOT NULL
"""  # noqa: S608 - column names are constants; values are parameters
# A changed transcript is analysed again: its results were made from content that is gone, so they move
# to superseded_results (kept, never shown as current).
_SUPERSEDE_RESULTS = """
WITH gone AS (DELETE FROM agent_results WHERE transcript_id = $1 RETURNING *)
INSERT INTO superseded_results
SELECT s.* FROM gone, jsonb_populate_record(NULL::superseded_results, to_jsonb(gone)
    || jsonb_build_object('superseded_at', now(), 'reason', 'content changed at ' || $2)) AS s
"""
_START = """
INSERT INTO intake_sources (source) VALUES ($1) ON CONFLICT (source) DO NOTHING
"""
_SOURCE = "SELECT * FROM intake_sources WHERE source = $1"
_FINISH = """
UPDATE intake_sources SET high_water = CASE WHEN $2::timestamptz IS NULL THEN high_water
        ELSE greatest(high_water, $2) END,
    last_pull_at = now(), last_pull_ok = $3, last_counts = $4, last_error = $5, updated_at = now()
WHERE source = $1
"""
_STORED_BY = """
SELECT source FROM intake_items WHERE external_id = $1 AND state = 'stored' AND version = $2
    AND (source = $3 OR source LIKE $4) LIMIT 1
"""
_OPEN_ITEMS = """
SELECT source, external_id, state, reason, occurred_at, attempts, updated_at FROM intake_items
WHERE source = ANY($1::text[]) AND state <> 'stored' ORDER BY source, state, occurred_at NULLS LAST, external_id
"""
_COUNTS = """
SELECT source, state, count(*) AS n FROM intake_items WHERE source = ANY($1::text[]) GROUP BY source, state
"""


@dataclass(frozen=True)
class SourceState:
    source: str
    high_water: datetime | None = None
    last_pull_at: datetime | None = None
    last_pull_ok: bool | None = None
    last_counts: dict[str, Any] | None = None
    last_error: str | None = None


class IntakeRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def source(self, source: str) -> SourceState:
        with db_errors(operation="read source state"):
            await self.pool.execute(_START, source)
            row = await self.pool.fetchrow(_SOURCE, source)
        assert row is not None
        return _state(row)

    async def known(self, source: str) -> dict[str, tuple[str, str, str]]:
        """external id -> (state, version, reason) for every item this source has handed us."""
        with db_errors(operation="read intake items"):
            rows = await self.pool.fetch(_KNOWN, source)
        return {r["external_id"]: (r["state"], r["version"], r["reason"] or "") for r in rows}

    async def pending(self, source: str) -> list[str]:
        with db_errors(operation="read pending items"):
            return [r["external_id"] for r in await self.pool.fetch(_PENDING, source)]

    async def mark(self, source: str, external_id: str, state: Literal["pending", "refused"], version: str,
                   reason: str | None, occurred_at: datetime | None) -> None:
        """Pending or refused, unless this very version is already stored."""
        with db_errors(operation="mark intake item"):
            await self.pool.execute(_MARK, source, external_id, state, version, reason, occurred_at)

    async def stored_by(self, external_id: str, version: str, ledger: str, kind: str) -> str | None:
        """Which source already stored this very item (the webhook's ledger, or a pull of that vendor)."""
        with db_errors(operation="read intake item"):
            return await self.pool.fetchval(_STORED_BY, external_id, version, ledger, f"{kind}://%")

    async def store(self, record: NewTranscript, version: str) -> tuple[int, Stored]:
        """Store the item's transcript once: new, changed in place (and analysed again), unchanged, or
        already_stored (its content was stored before, by `asmis ingest`, another item or another source: the
        item is linked to that transcript)."""
        assert record.external_id is not None
        key = (record.source, record.external_id)
        with db_errors(operation="store pulled transcript"):
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(_LOCK_ITEM, *key)
                item = await conn.fetchrow(_ITEM, *key)
                outcome, transcript_id = await _write(conn, record, item)
                await conn.execute(_SET_ITEM, *key, "stored", version, None, transcript_id, record.occurred_at)
        return transcript_id, outcome

    async def finish(self, source: str, *, high_water: datetime | None, ok: bool, counts: dict[str, Any],
                     error: str | None) -> None:
        with db_errors(operation="record pull"):
            await self.pool.execute(_START, source)
            await self.pool.execute(_FINISH, source, high_water, ok, counts, error)

    async def overview(self, sources: list[str]) -> tuple[list[SourceState], dict[str, dict[str, int]],
                                                            list[dict[str, Any]]]:
        """Per source its state, its item counts by state, and its open (pending, refused) items."""
        with db_errors(operation="read intake overview"):
            rows = await self.pool.fetch("SELECT * FROM intake_sources WHERE source = ANY($1::text[])", sources)
            counts = await self.pool.fetch(_COUNTS, sources)
            items = await self.pool.fetch(_OPEN_ITEMS, sources)
        by_source = {r["source"]: _state(r) for r in rows}
        tally: dict[str, dict[str, int]] = {s: {"stored": 0, "pending": 0, "refused": 0} for s in sources}
        for r in counts:
            tally[r["source"]][r["state"]] = int(r["n"])
        states = [by_source.get(s, SourceState(s)) for s in sources]
        return states, tally, [dict(r) for r in items]


async def _write(conn: asyncpg.Connection, record: NewTranscript, item: asyncpg.Record) -> tuple[Stored, int]:
    values = [getattr(record, column) for column in _COLUMNS]
    current = item["transcript_id"]
    if current is not None:
        sha = await conn.fetchval("SELECT content_sha256 FROM transcripts WHERE id = $1", current)
        if sha == record.content_sha256:
            return "unchanged", int(current)
        if sha is not None:
            try:
                async with conn.transaction():  # a savepoint: the new content may already be another row's
                    await conn.execute(_UPDATE, current, *values[1:])
                    await conn.execute(_SUPERSEDE_RESULTS, current, record.source)
                return "changed", int(current)
            except asyncpg.UniqueViolationError:
                pass
    new_id = await conn.fetchval(_INSERT, *values)
    if new_id is None:  # the same content is already stored (another item, another source): link to it
        new_id = await conn.fetchval(_SAME_CONTENT, record.content_sha256, record.source)
        if new_id is not None and item["state"] != "stored":
            return "already_stored", int(new_id)
    if new_id is None:  # a row for this (source, external id) that the item lost track of: update it
        new_id = await conn.fetchval(_SAME_ITEM, record.source, record.external_id)
        await conn.execute(_UPDATE, new_id, *values[1:])
        await conn.execute(_SUPERSEDE_RESULTS, new_id, record.source)
    return ("new" if item["state"] != "stored" else "changed"), int(new_id)


def _state(row: asyncpg.Record) -> SourceState:
    counts = row["last_counts"]
    return SourceState(row["source"], row["high_water"], row["last_pull_at"], row["last_pull_ok"],
                       counts if isinstance(counts, dict) else json.loads(counts or "{}"), row["last_error"])


async def overview(pool: asyncpg.Pool, sources: list[str]) -> list[dict[str, Any]]:
    """What `asmis sources` shows: per source its state, item counts, pending and refused items."""
    states, tally, items = await IntakeRepository(pool).overview(sources)
    out = []
    for state in states:
        own = [i for i in items if i["source"] == state.source]
        out.append({
            "source": state.source,
            "high_water": json_time(state.high_water),
            "last_pull_at": json_time(state.last_pull_at),
            "last_pull_ok": state.last_pull_ok,
            "last_error": state.last_error,
            "last_counts": {k: v for k, v in (state.last_counts or {}).items() if k != "refused_items"},
            "items": tally[state.source],
            "pending": [{"external_id": i["external_id"], "since": json_time(i["occurred_at"]), "attempts": i["attempts"]}
                        for i in own if i["state"] == "pending"],
            "refused": [{"external_id": i["external_id"], "reason": i["reason"]} for i in own
                        if i["state"] == "refused"],
        })
    return out
