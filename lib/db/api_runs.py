"""RunRepository: the runs the HTTP API started, so that any API process can answer for any of them."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from lib.db.connect import db_errors

_FIELDS = "run_id::text AS run_id, key_name, params, state, where_run, flow_run_id, prefect_url, summary, error, created_at, updated_at"


class RunRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, params: dict[str, Any], where: str, key_name: str | None) -> dict[str, Any]:
        with db_errors(operation="record run"):
            row = await self.pool.fetchrow(
                f"INSERT INTO api_runs (run_id, params, state, where_run, key_name) VALUES ($1, $2, 'scheduled', $3, $4)"  # noqa: S608 - constant fragments; values are parameters
                f" RETURNING {_FIELDS}", uuid.uuid4(), params, where, key_name)
        return dict(row)

    async def get(self, run_id: uuid.UUID) -> dict[str, Any] | None:
        with db_errors(operation="get run"):
            row = await self.pool.fetchrow(f"SELECT {_FIELDS} FROM api_runs WHERE run_id = $1", run_id)  # noqa: S608 - constant fragments; values are parameters
        return dict(row) if row else None

    async def update(self, run_id: str, **values: Any) -> None:
        allowed = {"state", "flow_run_id", "prefect_url", "summary", "error", "where_run"}
        if not values or set(values) - allowed:
            raise ValueError(f"cannot set {sorted(set(values) - allowed)}")
        names = sorted(values)
        sets = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        with db_errors(operation="update run"):
            await self.pool.execute(f"UPDATE api_runs SET {sets}, updated_at = now() WHERE run_id = $1",  # noqa: S608 - constant fragments; values are parameters
                                    uuid.UUID(run_id), *(values[n] for n in names))
