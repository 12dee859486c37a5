"""Runs the API starts: a flow run of process-transcripts, on the work pool when a worker (or `asmis serve`)
serves that deployment, else in this process like `asmis run`. The request is answered at once (202);
the run goes on in the background and its row in `api_runs` says how it went, to any API process.

Prefect is imported here only inside functions, after `ensure_local_prefect` chose its API."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import asyncpg

from lib.api.schemas import RunIn, RunOut
from lib.db.api_runs import RunRepository
from lib.db.transcripts import TranscriptRepository
from lib.models import AGENT_TYPES
from lib.prefect_local.target import ensure_local_prefect

log = logging.getLogger("asmis.api")
_prefect_chosen = asyncio.Lock()


class BackgroundRuns:
    """The runs this process is carrying: kept referenced (asyncio holds tasks weakly) and ended at exit."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, run_id: str, params: dict[str, Any]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._carry(run_id, params), name=f"api-run-{run_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _carry(self, run_id: str, params: dict[str, Any]) -> None:
        runs = RunRepository(self.pool)
        try:
            await choose_prefect()
            deployment = await _served_deployment()
            if deployment is not None:
                flow_run_id, url = await _dispatch(deployment, params, run_id)
                await runs.update(run_id, state="running", where_run="work_pool", flow_run_id=flow_run_id,
                                  prefect_url=url)
                return
            await runs.update(run_id, state="running")
            summary = await asyncio.to_thread(_run_here, params, run_id)
            await runs.update(run_id, state="completed" if not summary["failed"] else "failed",
                              flow_run_id=summary["run_id"], summary=summary["rows"], prefect_url=summary["url"],
                              error=f"{summary['failed']} analysis failed" if summary["failed"] else None)
        except asyncio.CancelledError:
            await _quietly(runs.update(run_id, state="failed", error="the API process stopped during the run "
                                       "(a new run picks up what it left)"))
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the run; the API goes on
            log.error("run %s failed: %s", run_id, type(exc).__name__)
            await _quietly(runs.update(run_id, state="failed", error=f"{type(exc).__name__}: {exc}"[:500]))


async def choose_prefect() -> None:
    """Point Prefect at the user's server or the local one (started if needed) before it is imported."""
    async with _prefect_chosen:
        await asyncio.to_thread(ensure_local_prefect)


async def _quietly(update: Any) -> None:
    try:
        await update
    except Exception:  # noqa: BLE001 - the database may be the reason the run ended
        log.warning("could not record the end of a run")


def flow_params(body: RunIn) -> dict[str, Any]:
    return {"transcript_ids": body.transcript_ids, "agents": [body.agent] if body.agent else list(AGENT_TYPES),
            "force": body.force}


async def create_run(pool: asyncpg.Pool, body: RunIn, key_name: str) -> dict[str, Any]:
    """The run's row, scheduled; raises LookupError naming transcript ids that do not exist."""
    if body.transcript_ids and (missing := await TranscriptRepository(pool).missing(body.transcript_ids)):
        raise LookupError(", ".join(str(i) for i in missing))
    return await RunRepository(pool).create(flow_params(body), "api_process", key_name)


async def run_out(pool: asyncpg.Pool, row: dict[str, Any]) -> RunOut:
    """The run as the API shows it; a work-pool run's end is read from Prefect when it is asked about."""
    if row["where_run"] == "work_pool" and row["state"] == "running" and row["flow_run_id"]:
        ended = await _work_pool_outcome(row["flow_run_id"])
        if ended is not None:
            await RunRepository(pool).update(row["run_id"], **ended)
            row = {**row, **ended}
    return RunOut(run_id=row["run_id"], state=row["state"], where=row["where_run"], params=row["params"],
                  flow_run_id=row["flow_run_id"], prefect_url=row["prefect_url"], summary=row["summary"],
                  error=row["error"], created_at=row["created_at"], updated_at=row["updated_at"])


async def _served_deployment() -> str | None:
    from tasks.chunks import find_deployment

    return await find_deployment.fn()


async def _dispatch(deployment_id: str, params: dict[str, Any], run_id: str) -> tuple[str, str | None]:
    from prefect.deployments import run_deployment
    from prefect.utilities.urls import url_for

    flow_run = await run_deployment(deployment_id, parameters=params, flow_run_name=f"api-{run_id[:8]}",
                                    timeout=0)  # type: ignore[misc]
    return str(flow_run.id), url_for("flow-run", obj_id=str(flow_run.id))


def _run_here(params: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The flow in this process, on a worker thread with its own event loop (the API's stays free)."""
    from prefect.utilities.urls import url_for

    from flows.process import process_transcripts

    summary = asyncio.run(process_transcripts.with_options(flow_run_name=f"api-{run_id[:8]}")(**params))
    return {"run_id": summary.run_id, "failed": summary.failed, "rows": summary.rows(),
            "url": url_for("flow-run", obj_id=summary.run_id)}


async def _work_pool_outcome(flow_run_id: str) -> dict[str, Any] | None:
    await choose_prefect()
    from prefect import get_client

    from tasks.chunks import chunk_summary

    async with get_client() as client:
        state = (await client.read_flow_run(uuid.UUID(flow_run_id))).state
    if state is None or not state.is_final():
        return None
    if not state.is_completed():
        return {"state": "failed", "error": f"the flow run ended {state.name}"}
    summary = await chunk_summary.fn(flow_run_id)
    return {"state": "completed" if not summary.failed else "failed", "summary": summary.rows(),
            "error": f"{summary.failed} analysis failed" if summary.failed else None}
