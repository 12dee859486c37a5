"""The HTTP API check, when ASMIS_API_URL names one: it answers /v1/health, and /v1/ready says its
database is reachable and migrated (both need no key)."""

from __future__ import annotations

import httpx

from lib.doctor.check import Check, DoctorContext, fail, ok

NAME = "api"
FIX = "start it with `asmis api serve` (or fix ASMIS_API_URL: the base URL, e.g. http://127.0.0.1:8000)"


async def check_api(ctx: DoctorContext) -> list[Check]:
    base = ctx.settings.api_url
    if not base:
        return [ok(NAME, "not checked (ASMIS_API_URL unset); `asmis api serve` starts the HTTP API")]
    base = base.rstrip("/").removesuffix("/v1")
    try:
        async with httpx.AsyncClient(base_url=base, timeout=max(ctx.timeout - 0.5, 0.5)) as client:
            health = await client.get("/v1/health")
            ready = await client.get("/v1/ready")
    except httpx.HTTPError as exc:
        return [fail(NAME, f"{base} does not answer ({type(exc).__name__})", FIX)]
    if health.status_code != 200:
        return [fail(NAME, f"{base}/v1/health answered {health.status_code}: not an ASMIS API?", FIX)]
    if ready.status_code != 200:
        detail = _detail(ready)
        return [fail(NAME, f"{base} answers but is not ready: {detail}",
                     "check the API's database (`asmis doctor` on the API's machine)")]
    return [ok(NAME, f"{base} answers and its database is ready")]


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.status_code)
    except ValueError:
        return str(response.status_code)
