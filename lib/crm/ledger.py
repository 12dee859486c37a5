"""CrmLedger: what ASMIS wrote to which CRM record and field (PostgreSQL), the pushes and open conflicts.

A write is recorded as an intent before the CRM call and confirmed after it, so a push that dies between
the two still knows the value may be its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from lib.crm.decide import Conflict
from lib.db.connect import db_errors

_START = "INSERT INTO crm_pushes (crm, dry_run, full_push) VALUES ($1, $2, $3) RETURNING id"
_FINISH = """
UPDATE crm_pushes SET finished_at = now(), deals = $2, written = $3, conflicts = $4, not_found = $5, error = $6
WHERE id = $1
"""
# Per field, the values ASMIS may have left there: its last confirmed write and every intent since.
_OURS = """
WITH last AS (
    SELECT record_id, field, max(id) FILTER (WHERE state = 'confirmed') AS confirmed
    FROM crm_writes WHERE crm = $1 AND record_id = ANY($2::text[]) GROUP BY record_id, field)
SELECT w.record_id, w.field, w.value
FROM crm_writes w JOIN last l ON l.record_id = w.record_id AND l.field = w.field
WHERE w.crm = $1 AND w.state <> 'failed' AND w.id >= coalesce(l.confirmed, 0)
"""
_INTENTS = """
INSERT INTO crm_writes (crm, push_id, deal_id, record_id, field, value)
SELECT $1, $2, d, r, f, v FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS t(d, r, f, v)
RETURNING id, record_id, field
"""
_SETTLE = "UPDATE crm_writes SET state = $2, confirmed_at = now() WHERE id = ANY($1::bigint[])"
_CONFLICT = """
INSERT INTO crm_conflicts (crm, record_id, field, deal_id, crm_value, asmis_value, set_by, push_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (crm, record_id, field) DO UPDATE SET crm_value = EXCLUDED.crm_value,
    asmis_value = EXCLUDED.asmis_value, set_by = EXCLUDED.set_by, push_id = EXCLUDED.push_id, last_seen_at = now()
"""
_RESOLVED = "DELETE FROM crm_conflicts WHERE crm = $1 AND record_id = $2 AND NOT (field = ANY($3::text[]))"
_LAST_PUSH = "SELECT * FROM crm_pushes WHERE crm = $1 AND NOT dry_run ORDER BY id DESC LIMIT 1"
_LAST_WRITES = """
SELECT DISTINCT ON (record_id, field) deal_id, record_id, field, confirmed_at
FROM crm_writes WHERE crm = $1 AND state = 'confirmed' ORDER BY record_id, field, id DESC
"""
_OPEN_CONFLICTS = "SELECT * FROM crm_conflicts WHERE crm = $1 ORDER BY deal_id, field"
# Per deal: when ASMIS last confirmed a write, whether a write is still an intent or failed since then,
# and how many fields hold a person's value instead of ASMIS's.
_DEAL_STATES = """
SELECT d.deal_id,
       (SELECT max(w.confirmed_at) FROM crm_writes w WHERE w.crm = $1 AND w.deal_id = d.deal_id
        AND w.state = 'confirmed') AS confirmed_at,
       (SELECT count(*) FROM crm_writes w WHERE w.crm = $1 AND w.deal_id = d.deal_id AND w.state <> 'confirmed'
        AND w.id > coalesce((SELECT max(c.id) FROM crm_writes c WHERE c.crm = $1 AND c.deal_id = d.deal_id
                             AND c.state = 'confirmed'), 0)) AS unsettled,
       (SELECT count(*) FROM crm_conflicts c WHERE c.crm = $1 AND c.deal_id = d.deal_id) AS conflicts
FROM unnest($2::text[]) AS d(deal_id)
"""


@dataclass(frozen=True)
class Intent:
    deal_id: str
    record_id: str
    field: str
    value: str


class CrmLedger:
    def __init__(self, pool: asyncpg.Pool, crm: str) -> None:
        self.pool = pool
        self.crm = crm

    async def start_push(self, *, full: bool = True, dry_run: bool = False) -> int:
        with db_errors(operation="start a CRM push"):
            return int(await self.pool.fetchval(_START, self.crm, dry_run, full))

    async def finish_push(self, push_id: int, *, deals: int, written: int, conflicts: int, not_found: int,
                          error: str | None = None) -> None:
        with db_errors(operation="finish a CRM push"):
            await self.pool.execute(_FINISH, push_id, deals, written, conflicts, not_found, error)

    async def ours(self, record_ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """record -> field -> the values ASMIS may have left there (as written)."""
        found: dict[str, dict[str, list[str]]] = {}
        with db_errors(operation="read the CRM ledger", count=len(record_ids)):
            for r in await self.pool.fetch(_OURS, self.crm, record_ids):
                found.setdefault(r["record_id"], {}).setdefault(r["field"], []).append(r["value"])
        return found

    async def record_intents(self, push_id: int, intents: list[Intent]) -> dict[tuple[str, str], int]:
        """Record the writes about to be made; (record, field) -> ledger row id. Committed before the
        CRM call, so a crash after the call still leaves the value marked as ASMIS's."""
        if not intents:
            return {}
        columns = ([i.deal_id for i in intents], [i.record_id for i in intents], [i.field for i in intents],
                   [i.value for i in intents])
        with db_errors(operation="record CRM write intents", count=len(intents)):
            rows = await self.pool.fetch(_INTENTS, self.crm, push_id, *columns)
        return {(r["record_id"], r["field"]): r["id"] for r in rows}

    async def settle(self, ids: Iterable[int], *, confirmed: bool) -> None:
        ids = list(ids)
        if ids:
            with db_errors(operation="confirm CRM writes", count=len(ids)):
                await self.pool.execute(_SETTLE, ids, "confirmed" if confirmed else "failed")

    async def save_conflicts(self, push_id: int, deal_id: str, record_id: str, conflicts: list[Conflict]) -> None:
        """The record's open conflicts become exactly these (a field no longer in conflict is closed)."""
        with db_errors(operation="record CRM conflicts", deal_id=deal_id):
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(_RESOLVED, self.crm, record_id, [c.field for c in conflicts])
                for c in conflicts:
                    await conn.execute(_CONFLICT, self.crm, record_id, c.field, deal_id, c.crm_value, c.asmis_value,
                                       c.set_by, push_id)

    async def deal_states(self, deal_ids: list[str]) -> dict[str, dict[str, Any]]:
        """deal -> {confirmed_at (the last confirmed write, or None), unsettled (writes after it still an
        intent or failed), conflicts (fields open as a person's value)}."""
        with db_errors(operation="read CRM state of deals", count=len(deal_ids)):
            rows = await self.pool.fetch(_DEAL_STATES, self.crm, deal_ids)
        return {r["deal_id"]: {"confirmed_at": r["confirmed_at"], "unsettled": r["unsettled"],
                               "conflicts": r["conflicts"]} for r in rows}

    async def status(self) -> dict[str, Any]:
        with db_errors(operation="read CRM status"):
            push = await self.pool.fetchrow(_LAST_PUSH, self.crm)
            writes = await self.pool.fetch(_LAST_WRITES, self.crm)
            conflicts = await self.pool.fetch(_OPEN_CONFLICTS, self.crm)
        deals: dict[str, dict[str, Any]] = {}
        for w in writes:
            deal = deals.setdefault(w["deal_id"], {"deal_id": w["deal_id"], "record_id": w["record_id"], "fields": {}})
            deal["fields"][w["field"]] = _iso(w["confirmed_at"])
        return {
            "crm": self.crm,
            "last_push": None if push is None else {
                "id": push["id"], "started_at": _iso(push["started_at"]), "finished_at": _iso(push["finished_at"]),
                "deals": push["deals"], "written": push["written"], "conflicts": push["conflicts"],
                "not_found": push["not_found"], "error": push["error"]},
            "deals": sorted(deals.values(), key=lambda d: d["deal_id"]),
            "conflicts": [{"deal_id": c["deal_id"], "record_id": c["record_id"], "field": c["field"],
                           "crm_value": c["crm_value"], "asmis_value": c["asmis_value"], "set_by": c["set_by"],
                           "since": _iso(c["first_seen_at"])} for c in conflicts],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
