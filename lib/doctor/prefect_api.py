"""The Prefect checks: which API the flow commands use (PREFECT_API_URL or the local server), whether it
answers, and whether anything serves ASMIS's deployments: `asmis serve`, or a work pool with a worker
polling. Plain REST over httpx, no Prefect import, so the doctor starts fast."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.doctor.redact import redact_url
from lib.prefect_local.target import local_server, user_api_url
from lib.words import count

NAME = "prefect"
# deployments/serve.py and deployments/prefect.yaml
DEPLOYMENTS = ("nightly", "process-transcripts", "backfill", "pull-transcripts", "push-crm")
# Workers and `asmis serve` poll every 10-15 s by default (PREFECT_WORKER_QUERY_SECONDS); tasks/chunks.py
# dispatches to a deployment only when it was polled within the same window.
POLLED_WITHIN = timedelta(seconds=90)
SERVE_FIX = "`asmis serve` (or `prefect deploy --prefect-file deployments/prefect.yaml --all` and a worker)"


async def check_prefect(ctx: DoctorContext) -> list[Check]:
    url = user_api_url(ctx.environ)
    where = "PREFECT_API_URL"
    if url is None:
        if not ctx.settings.prefect_local_server:
            return [warn(NAME, "no PREFECT_API_URL and ASMIS_PREFECT_LOCAL_SERVER=false: each flow command runs "
                         "Prefect's temporary server, and nothing runs the nightly",
                         "set PREFECT_API_URL, or unset ASMIS_PREFECT_LOCAL_SERVER")]
        server = local_server(ctx.settings)
        record = server.running()
        if record is None:
            return [warn(NAME, "the local Prefect server is not running (flow commands start it)",
                         "`asmis server start`")]
        url, where = server.api_url(record.port), "the local server"
    shown = f"{redact_url(url)} ({where})"
    try:
        async with asyncio.timeout(ctx.io_timeout), _client(ctx, url) as client:
            version = await _get(client, "admin/version")
            deployments = await _post(client, "deployments/filter", {
                "deployments": {"name": {"any_": list(DEPLOYMENTS)}},
                "flows": {"name": {"any_": list(DEPLOYMENTS)}}, "limit": 50})
            pools = {d["work_pool_name"] for d in deployments if d.get("work_pool_name")}
            workers = {p: await _post(client, f"work_pools/{p}/workers/filter", {"limit": 50}) for p in pools}
    except (httpx.TimeoutException, TimeoutError):
        return [fail(NAME, f"{shown}: no answer within {ctx.io_timeout:g}s", _down_fix(where))]
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status in (401, 403):
            return [fail(NAME, f"{shown} refused the credentials ({status})",
                         "set PREFECT_API_KEY (Prefect Cloud) or PREFECT_API_AUTH_STRING to what the server expects")]
        return [fail(NAME, f"{shown} answered {status} to {exc.request.url.path}", _down_fix(where))]
    except (httpx.HTTPError, ValueError) as exc:
        return [fail(NAME, f"{shown}: cannot reach it ({type(exc).__name__})", _down_fix(where))]
    return [ok(NAME, f"Prefect {version} at {shown}"), _served(deployments, workers)]


def _down_fix(where: str) -> str:
    if where == "PREFECT_API_URL":
        return "start the server PREFECT_API_URL names, or correct PREFECT_API_URL"
    return "`asmis server stop && asmis server start`"


def _client(ctx: DoctorContext, url: str) -> httpx.AsyncClient:
    headers = {}
    if key := ctx.environ.get("PREFECT_API_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    elif auth := ctx.environ.get("PREFECT_API_AUTH_STRING"):
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    loopback = urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")
    return httpx.AsyncClient(base_url=url.rstrip("/") + "/", headers=headers, timeout=ctx.io_timeout,
                             trust_env=not loopback)  # no proxy reaches loopback


async def _get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    response.raise_for_status()
    return response.json()


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(path, json=body)
    response.raise_for_status()
    return response.json()


def _served(deployments: list[dict[str, Any]], workers: dict[str, list[dict[str, Any]]]) -> Check:
    name = "deployments"
    if not deployments:
        return warn(name, "no ASMIS deployment on this server: nothing runs the nightly", SERVE_FIX)
    now = datetime.now(UTC)
    idle = [d for d in deployments if not _recent(d.get("last_polled"), now)]
    found = ", ".join(sorted(d["name"] for d in deployments))
    if not idle:
        return ok(name, f"{found}: {_how_served(deployments, workers, now)}")
    stale = "; ".join(f"{d['name']} {_polled(d.get('last_polled'), now)}" for d in idle)
    pool = next((d["work_pool_name"] for d in idle if d.get("work_pool_name")), None)
    if pool is None:
        return fail(name, f"nothing serves {stale}", "`asmis serve` (it keeps serving until stopped)")
    return fail(name, f"no worker polls work pool {pool}: {stale} ({_workers(workers.get(pool, []), now)})",
                f"start a worker: `prefect worker start --pool {pool}`")


def _how_served(deployments: list[dict[str, Any]], workers: dict[str, list[dict[str, Any]]],
                now: datetime) -> str:
    pools = sorted({d["work_pool_name"] for d in deployments if d.get("work_pool_name")})
    served = [d for d in deployments if not d.get("work_pool_name")]
    parts = [f"work pool {p} ({_workers(workers.get(p, []), now)})" for p in pools]
    if served:
        latest = max(t for d in served if (t := _when(d.get("last_polled"))) is not None)
        parts.append(f"served by `asmis serve` (polled {_ago(now - latest)})")
    return "; ".join(parts)


def _workers(found: list[dict[str, Any]], now: datetime) -> str:
    beats = [t for w in found if (t := _when(w.get("last_heartbeat_time"))) is not None]
    if not beats:
        return "no worker has ever polled it"
    online = sum(1 for t in beats if now - t <= POLLED_WITHIN)
    return f"{online} of {count(len(found), 'worker')} online, last heartbeat {_ago(now - max(beats))}"


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _recent(value: Any, now: datetime) -> bool:
    moment = _when(value)
    return moment is not None and now - moment <= POLLED_WITHIN


def _polled(value: Any, now: datetime) -> str:
    moment = _when(value)
    return "never polled" if moment is None else f"polled {_ago(now - moment)}"


def _ago(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago" if seconds < 172800 else f"{seconds // 86400} days ago"
