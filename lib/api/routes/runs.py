"""`POST /v1/runs` (write: a flow run of process-transcripts, answered at once) and `GET /v1/runs/{run_id}`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from lib.api.deps import PoolDep, Reader, Writer
from lib.api.problems import Problem
from lib.api.runs import create_run, run_out
from lib.api.schemas import RunIn, RunOut
from lib.db.api_runs import RunRepository

router = APIRouter(tags=["runs"])


@router.post("/runs", status_code=202, summary="Analyse now: a flow run of process-transcripts",
             responses={404: {"description": "A named transcript does not exist"}})
async def start_run(request: Request, pool: PoolDep, who: Writer, body: RunIn) -> RunOut:
    try:
        row = await create_run(pool, body, who.name)
    except LookupError as exc:
        raise Problem(404, f"no call {exc.args[0]}") from None
    request.app.state.runs.start(row["run_id"], row["params"])
    return await run_out(pool, row)


@router.get("/runs/{run_id}", summary="A run's state and, once ended, its summary",
            responses={404: {"description": "No run with this id"}})
async def get_run(pool: PoolDep, _: Reader, run_id: uuid.UUID) -> RunOut:
    row = await RunRepository(pool).get(run_id)
    if row is None:
        raise Problem(404, f"no run {run_id}")
    return await run_out(pool, row)
