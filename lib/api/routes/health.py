"""`GET /v1/health` (the process answers) and `GET /v1/ready` (the database is reachable and migrated)."""

from __future__ import annotations

from fastapi import APIRouter

from lib.api.deps import PoolDep
from lib.api.problems import RETRY_AFTER_SECONDS, Problem
from lib.api.schemas import Health, Ready
from lib.db.connect import db_errors
from lib.db.migrate import load_migrations
from lib.errors import DatabaseError

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process answers")
async def health() -> Health:
    return Health(status="ok")


@router.get("/ready", summary="The database is reachable and migrated",
            responses={503: {"description": "Not ready, with the reason"}})
async def ready(pool: PoolDep) -> Ready:
    wanted = {m.version for m in load_migrations()}
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        with db_errors(operation="readiness"):
            rows = await pool.fetch("SELECT version FROM schema_migrations")
    except DatabaseError:
        raise Problem(503, "the database is unreachable", headers=retry) from None
    missing = sorted(wanted - {r["version"] for r in rows})
    if missing:
        raise Problem(503, f"the database lacks migration(s) {', '.join(f'{v:04d}' for v in missing)}: "
                      "run `asmis db migrate`", headers=retry)
    return Ready(status="ready", migrations=len(wanted))
