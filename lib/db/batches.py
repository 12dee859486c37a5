"""BatchRepository: Message Batches and their requests, durable across crashes (migration 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from lib.db.connect import db_errors
from lib.db.results import upsert_results
from lib.models import AgentResult, AgentType

BatchStatus = Literal["submitting", "in_progress", "canceling", "ended", "collected", "abandoned"]
ItemState = Literal["pending", "succeeded", "reasked", "failed", "released", "abandoned"]
Outcome = Literal["succeeded", "errored", "canceled", "expired"]
OPEN: tuple[BatchStatus, ...] = ("submitting", "in_progress", "canceling", "ended")

# The partial unique index decides: an input already pending in another batch is skipped, not sent.
_INSERT_ITEMS = """
INSERT INTO message_batch_items (batch_id, custom_id, transcript_id, agent_type, prompt_id, input_hash)
SELECT $1, u.* FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[])
    AS u(custom_id, transcript_id, agent_type, prompt_id, input_hash)
ORDER BY u.transcript_id, u.agent_type, u.input_hash
ON CONFLICT (transcript_id, agent_type, input_hash) WHERE state = 'pending' DO NOTHING
RETURNING custom_id
"""


@dataclass(frozen=True)
class NewItem:
    custom_id: str
    transcript_id: int
    agent_type: AgentType
    prompt_id: int
    input_hash: str


@dataclass(frozen=True)
class StoredItem(NewItem):
    id: int
    batch_id: int
    state: ItemState


@dataclass(frozen=True)
class Counts:
    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0


@dataclass(frozen=True)
class StoredBatch:
    id: int
    tag: str
    provider: str
    api_batch_id: str | None
    status: BatchStatus
    model: str
    owner: str | None
    requests: int
    counts: Counts
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    created_at: datetime
    submitted_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    collected_at: datetime | None
    error: str | None


def _batch(row: asyncpg.Record) -> StoredBatch:
    counts = Counts(row["processing"], row["succeeded"], row["errored"], row["canceled"], row["expired"])
    return StoredBatch(
        row["id"], row["tag"], row["provider"], row["api_batch_id"], row["status"], row["model"], row["owner"],
        row["requests"], counts, int(row["input_tokens"]), int(row["output_tokens"]), row["cost_usd"],
        row["created_at"], row["submitted_at"], row["expires_at"], row["ended_at"], row["collected_at"], row["error"])


def _item(row: asyncpg.Record) -> StoredItem:
    return StoredItem(row["custom_id"], row["transcript_id"], row["agent_type"], row["prompt_id"], row["input_hash"],
                      row["id"], row["batch_id"], row["state"])


class BatchRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record_intent(self, tag: str, provider: str, model: str, owner: str | None,
                            items: list[NewItem]) -> tuple[int, list[NewItem]] | None:
        """Write the batch and its items before the create call; return the batch id and the items
        taken (those not pending elsewhere), or None when every one of them is pending elsewhere."""
        # One order for every submitter: two inserting overlapping inputs then wait on each other's rows
        # in the same order, instead of deadlocking on the unique index.
        ordered = sorted(items, key=lambda i: (i.transcript_id, i.agent_type, i.input_hash))
        columns = (list[object](getattr(i, c) for i in ordered)
                   for c in ("custom_id", "transcript_id", "agent_type", "prompt_id", "input_hash"))
        with db_errors(operation="record batch intent", count=len(items)):
            async with self.pool.acquire() as conn, conn.transaction():
                batch_id = await conn.fetchval(
                    "INSERT INTO message_batches (tag, provider, model, owner, requests)"
                    " VALUES ($1, $2, $3, $4, $5) RETURNING id", tag, provider, model, owner, max(len(items), 1))
                taken = {r["custom_id"] for r in await conn.fetch(_INSERT_ITEMS, batch_id, *columns)}
                if not taken:
                    await conn.execute("DELETE FROM message_batches WHERE id = $1", batch_id)
                    return None
                await conn.execute("UPDATE message_batches SET requests = $2 WHERE id = $1", batch_id, len(taken))
        return int(batch_id), [i for i in items if i.custom_id in taken]

    async def mark_submitted(self, batch_id: int, api_batch_id: str, status: BatchStatus,
                             submitted_at: datetime, expires_at: datetime | None) -> None:
        with db_errors(operation="record batch", batch_id=batch_id):
            await self.pool.execute(
                "UPDATE message_batches SET api_batch_id = $2, status = $3, submitted_at = $4, expires_at = $5"
                " WHERE id = $1 AND status = 'submitting'", batch_id, api_batch_id, status, submitted_at, expires_at)

    async def abandon(self, batch_id: int, error: str) -> None:
        """The create call made no batch: free its inputs for the next submitter."""
        with db_errors(operation="abandon batch", batch_id=batch_id):
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("UPDATE message_batches SET status = 'abandoned', error = $2 WHERE id = $1",
                                   batch_id, error[:500])
                await conn.execute("UPDATE message_batch_items SET state = 'abandoned', updated_at = now()"
                                   " WHERE batch_id = $1 AND state = 'pending'", batch_id)

    async def update_status(self, batch_id: int, status: BatchStatus, counts: Counts,
                            ended_at: datetime | None) -> None:
        with db_errors(operation="update batch", batch_id=batch_id):
            await self.pool.execute(
                "UPDATE message_batches SET status = $2, processing = $3, succeeded = $4, errored = $5,"
                " canceled = $6, expired = $7, ended_at = coalesce($8, ended_at), polled_at = now()"
                " WHERE id = $1 AND status IN ('in_progress', 'canceling', 'ended')",
                batch_id, status, counts.processing, counts.succeeded, counts.errored, counts.canceled,
                counts.expired, ended_at)

    async def get(self, batch_id: int) -> StoredBatch | None:
        with db_errors(operation="get batch", batch_id=batch_id):
            row = await self.pool.fetchrow("SELECT * FROM message_batches WHERE id = $1", batch_id)
        return _batch(row) if row else None

    async def by_tag(self, tag: str) -> StoredBatch | None:
        with db_errors(operation="get batch by tag"):
            row = await self.pool.fetchrow("SELECT * FROM message_batches WHERE tag = $1", tag)
        return _batch(row) if row else None

    async def open_batches(self, provider: str | None = None) -> list[StoredBatch]:
        """Batches still to poll, collect or recover, oldest first."""
        with db_errors(operation="open batches"):
            rows = await self.pool.fetch(
                "SELECT * FROM message_batches WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR provider = $2)"
                " ORDER BY created_at, id", list(OPEN), provider)
        return [_batch(r) for r in rows]

    async def recent(self, limit: int = 50) -> list[StoredBatch]:
        with db_errors(operation="recent batches"):
            rows = await self.pool.fetch("SELECT * FROM message_batches ORDER BY created_at DESC, id DESC LIMIT $1",
                                         limit)
        return [_batch(r) for r in rows]

    async def known_api_ids(self) -> set[str]:
        with db_errors(operation="known batch ids"):
            rows = await self.pool.fetch("SELECT api_batch_id FROM message_batches WHERE api_batch_id IS NOT NULL")
        return {r["api_batch_id"] for r in rows}

    async def take_for_collect(self, batch_id: int, collector: str, lease_seconds: float) -> bool:
        """Lease an ended batch to one collector: a second run collecting at once skips it."""
        with db_errors(operation="lease batch", batch_id=batch_id):
            taken = await self.pool.fetchval(
                "UPDATE message_batches SET collector = $2, collect_expires_at = now() + make_interval(secs => $3)"
                " WHERE id = $1 AND status = 'ended'"
                "   AND (collector IS NULL OR collector = $2 OR collect_expires_at < now()) RETURNING id",
                batch_id, collector, lease_seconds)
        return taken is not None

    async def items(self, batch_id: int, state: ItemState | None = None) -> list[StoredItem]:
        with db_errors(operation="batch items", batch_id=batch_id):
            rows = await self.pool.fetch(
                "SELECT * FROM message_batch_items WHERE batch_id = $1 AND ($2::text IS NULL OR state = $2)"
                " ORDER BY id", batch_id, state)
        return [_item(r) for r in rows]

    async def settle(self, item: StoredItem, state: ItemState, outcome: Outcome | None, error: str | None,
                     result: AgentResult | None) -> bool:
        """Record where one request ended, and its result, in one transaction; False when another
        collector settled it first (so every result is saved once)."""
        with db_errors(operation="settle batch item", batch_id=item.batch_id):
            async with self.pool.acquire() as conn, conn.transaction():
                moved = await conn.fetchval(
                    "UPDATE message_batch_items SET state = $2, outcome = $3, error = $4, updated_at = now()"
                    " WHERE id = $1 AND state = 'pending' RETURNING id", item.id, state, outcome,
                    None if error is None else error[:500])
                if moved is None:
                    return False
                if result is not None:
                    await upsert_results(conn, [result])
                    await conn.execute(
                        "UPDATE message_batches SET input_tokens = input_tokens + $2,"
                        " output_tokens = output_tokens + $3, cost_usd = cost_usd + $4 WHERE id = $1",
                        item.batch_id, result.input_tokens + result.cache_read_tokens + result.cache_write_tokens,
                        result.output_tokens, result.cost_usd)
        return True

    async def finish_collect(self, batch_id: int) -> None:
        """Collected once no request is pending."""
        with db_errors(operation="finish batch", batch_id=batch_id):
            await self.pool.execute(
                "UPDATE message_batches SET status = 'collected', collected_at = now(), collector = NULL"
                " WHERE id = $1 AND status = 'ended' AND NOT EXISTS ("
                "   SELECT 1 FROM message_batch_items WHERE batch_id = $1 AND state = 'pending')", batch_id)
