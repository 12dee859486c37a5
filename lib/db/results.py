"""ResultRepository: one row per (transcript, agent type, input hash), written idempotently."""

from __future__ import annotations

import asyncpg

from lib.db.connect import db_errors
from lib.models import AgentResult, StoredResult

_COLUMNS = ("transcript_id", "agent_type", "prompt_id", "input_hash", "status", "data", "confidence",
            "model", "model_requested", "input_tokens", "output_tokens", "cache_read_tokens",
            "cache_write_tokens", "cost_usd", "processing_ms", "attempts", "errors", "warnings", "cache_tier", "run_id", "schema_version",
            "llm_mode", "llm_provider")
_UPDATABLE = [c for c in _COLUMNS if c not in ("transcript_id", "agent_type", "input_hash", "attempts")]
# A completed row is final: a later failure for the same input never overwrites it, and a rerun that
# completes again leaves it as it was. A failed row is replaced by whatever comes next.
_UPSERT = f"""
INSERT INTO agent_results ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))})
ON CONFLICT (transcript_id, agent_type, input_hash) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATABLE)},
    attempts = agent_results.attempts + EXCLUDED.attempts,
    updated_at = now()
WHERE agent_results.status = 'failed'
"""  # noqa: S608 - column names are constants; values are parameters


async def upsert_results(conn: asyncpg.Connection, results: list[AgentResult]) -> None:
    """The upsert, on a connection whose transaction also records something else (a batch item)."""
    await conn.executemany(_UPSERT, [tuple(getattr(r, c) for c in _COLUMNS) for r in results])


class ResultRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def upsert_many(self, results: list[AgentResult]) -> None:
        """Write a batch of results in one round trip (pipelined executemany), in one transaction."""
        if not results:
            return
        with db_errors(operation="save results", count=len(results)):
            async with self.pool.acquire() as conn, conn.transaction():
                await upsert_results(conn, results)

    async def for_transcript(self, transcript_id: int) -> list[StoredResult]:
        with db_errors(operation="results for transcript", transcript_id=transcript_id):
            rows = await self.pool.fetch(_SELECT.format(
                rows="SELECT * FROM agent_results WHERE transcript_id = $1"),
                                         transcript_id)
        return [StoredResult(**dict(r)) for r in rows]

    async def last_run_id(self, transcript_ids: list[int]) -> str | None:
        """The run that last wrote a result for any of these transcripts (a flow run id), if any did."""
        with db_errors(operation="last run of transcripts"):
            return await self.pool.fetchval(
                "SELECT run_id FROM agent_results WHERE transcript_id = ANY($1::bigint[]) AND run_id IS NOT NULL "
                "ORDER BY updated_at DESC, id DESC LIMIT 1", transcript_ids)

    async def recent(self, limit: int = 50) -> list[StoredResult]:
        """The `limit` most recently updated results, listed by transcript then agent."""
        with db_errors(operation="recent results"):
            rows = await self.pool.fetch(_SELECT.format(
                rows="SELECT * FROM agent_results ORDER BY updated_at DESC, id DESC LIMIT $1"), limit)
        return [StoredResult(**dict(r)) for r in rows]


# Prompt rows never change once written, so their version is joined in rather than copied per result.
_SELECT = """
SELECT r.*, p.version AS prompt_version, t.title AS transcript_title,
       cardinality(t.speakers) = 0 AS transcript_unlabelled
FROM ({rows}) AS r
JOIN transcripts t ON t.id = r.transcript_id
LEFT JOIN prompts p ON p.id = r.prompt_id
ORDER BY r.transcript_id, r.agent_type, r.created_at, r.id
"""
