"""CallRepository: calls as the HTTP API lists them: newest first, a page at a time by keyset (the last
row's (occurred_at, id)), each with the state of its analyses; one call with its turns; its newest results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from lib.db.connect import db_errors

# Newest result per agent type: completed, failed, or (no row) pending.
_ANALYSES = """(SELECT coalesce(jsonb_object_agg(a.agent_type, a.status), '{}'::jsonb) FROM (
    SELECT DISTINCT ON (r.agent_type) r.agent_type, r.status FROM agent_results r
    WHERE r.transcript_id = t.id ORDER BY r.agent_type, r.updated_at DESC, r.id DESC) a) AS analyses"""
CALL_COLUMNS = ("t.id, t.title, t.occurred_at, t.deal_id, t.source, t.format, t.speakers, "
                "jsonb_array_length(t.turns) AS turn_count, " + _ANALYSES)
# Each filter is a fixed fragment; only the ones asked for are put in, so the planner walks the
# (occurred_at, id) index backwards from the cursor instead of filtering every row.
_FILTERS = {
    "deal_id": "t.deal_id = ${}",
    "since": "t.occurred_at >= ${}",
    "until": "t.occurred_at < ${}",
    "after": "(t.occurred_at, t.id) < (${}, ${})",
}


def calls_page_query(deal_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     after: tuple[datetime, int] | None = None, limit: int = 50) -> tuple[str, list[Any]]:
    """The SQL and arguments of one page of calls (the API's and the benchmark's plain peer's)."""
    where: list[str] = []
    args: list[Any] = []
    for name, value in (("deal_id", deal_id), ("since", since), ("until", until), ("after", after)):
        if value is None:
            continue
        values = list(value) if isinstance(value, tuple) else [value]
        numbers = range(len(args) + 1, len(args) + 1 + len(values))
        where.append(_FILTERS[name].format(*numbers))
        args += values
    args.append(limit)
    sql = (f"SELECT {CALL_COLUMNS} FROM transcripts t"  # noqa: S608 - constant fragments; values are parameters
           + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY t.occurred_at DESC, t.id DESC LIMIT ${len(args)}")
    return sql, args


_ONE = f"SELECT {CALL_COLUMNS}, t.turns, t.metadata FROM transcripts t WHERE t.id = $1"  # noqa: S608 - constant fragments; values are parameters
_RESULTS = """
SELECT DISTINCT ON (r.agent_type) r.*, p.version AS prompt_version
FROM agent_results r LEFT JOIN prompts p ON p.id = r.prompt_id
WHERE r.transcript_id = $1 ORDER BY r.agent_type, r.updated_at DESC, r.id DESC
"""


class CallRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def page(self, *, deal_id: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, after: tuple[datetime, int] | None = None,
                   limit: int = 50) -> list[dict[str, Any]]:
        sql, args = calls_page_query(deal_id, since, until, after, limit)
        with db_errors(operation="list calls"):
            return [dict(r) for r in await self.pool.fetch(sql, *args)]

    async def get(self, call_id: int) -> dict[str, Any] | None:
        with db_errors(operation="get call", transcript_id=call_id):
            row = await self.pool.fetchrow(_ONE, call_id)
        return dict(row) if row else None

    async def newest_results(self, call_id: int) -> list[dict[str, Any]]:
        """The newest result row per agent type, with its prompt's version."""
        with db_errors(operation="results of call", transcript_id=call_id):
            return [dict(r) for r in await self.pool.fetch(_RESULTS, call_id)]

    async def exists(self, call_id: int) -> bool:
        with db_errors(operation="find call", transcript_id=call_id):
            return bool(await self.pool.fetchval("SELECT EXISTS (SELECT 1 FROM transcripts WHERE id = $1)", call_id))
