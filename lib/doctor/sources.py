"""The intake checks: each source in ASMIS_SOURCES opened with its credentials and asked for one listing
(the last day, no retries), with its pending and refused items counted from the intake tables."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.doctor.database import database_pool
from lib.doctor.redact import redact_url
from lib.errors import AsmisError, ConfigError
from lib.intake.pull import open_source
from lib.intake.sources import SourceSpec, parse_sources
from lib.intake.state import overview
from lib.settings import Settings
from lib.words import count

LISTING_WINDOW = timedelta(days=1)
_FIXES = {
    "gong": "check GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET (and GONG_API_BASE_URL, your company's Gong host)",
    "zoom": "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (a Server-to-Server OAuth app)",
    "s3": "check the bucket and prefix, the AWS credentials and AWS_ENDPOINT_URL (for MinIO and the like)",
    "file": "check that the folder exists and this user can read it",
}


async def check_sources(ctx: DoctorContext) -> list[Check]:
    try:
        specs = parse_sources(ctx.settings.sources)
    except ConfigError as exc:
        return [fail("sources", str(exc), "correct ASMIS_SOURCES (README: Where calls come from)")]
    if not specs:
        return [ok("sources", "none configured (ASMIS_SOURCES is empty): calls come in by `asmis ingest`")]
    probe = ctx.settings.model_copy(update={"pull_http_retries": 0})  # a check, not a pull: no retries
    known, *probes = await asyncio.gather(_overview(ctx, [s.url for s in specs]),
                                          *(_probe(ctx, probe, s) for s in specs))
    return [_finding(spec, found, known.get(spec.url)) for spec, found in zip(specs, probes, strict=True)]


async def _overview(ctx: DoctorContext, urls: list[str]) -> dict[str, dict[str, Any]]:
    """What the intake tables know of each source; empty when the database cannot say."""
    async with database_pool(ctx) as pool:
        if pool is None:
            return {}
        try:
            return {row["source"]: row for row in await overview(pool, urls)}
        except AsmisError:  # no intake tables yet: the schema is behind (the database check says so)
            return {}


def _where(spec: SourceSpec, ctx: DoctorContext) -> str:
    """The endpoint a source talks to, as its variables name it (no credentials)."""
    env = ctx.environ
    if spec.kind == "gong":
        return redact_url(env.get("GONG_API_BASE_URL") or "https://api.gong.io")
    if spec.kind == "zoom":
        return redact_url(env.get("ZOOM_API_BASE_URL") or "https://api.zoom.us/v2")
    if spec.protocol == "s3" and (endpoint := env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")):
        return f"{redact_url(endpoint)} (AWS_ENDPOINT_URL)"
    return spec.url


def _fix(spec: SourceSpec) -> str:
    return _FIXES.get(spec.kind if spec.kind != "objectstore" else spec.protocol, _FIXES["s3"])


async def _probe(ctx: DoctorContext, settings: Settings, spec: SourceSpec) -> int | Check:
    """How many items one listing of the last day found, or the failed check."""
    name = f"source {spec.url}"
    now = datetime.now(UTC)
    try:
        source = open_source(spec, settings)
    except AsmisError as exc:
        return fail(name, str(exc), _fix(spec))
    try:
        return len(await asyncio.wait_for(source.list_items(now - LISTING_WINDOW, now), ctx.io_timeout))
    except TimeoutError:
        return fail(name, f"no answer from {_where(spec, ctx)} within {ctx.io_timeout:g}s", _fix(spec))
    except AsmisError as exc:
        return fail(name, str(exc), _fix(spec))
    finally:
        await source.aclose()


def _finding(spec: SourceSpec, probe: int | Check, known: dict[str, Any] | None) -> Check:
    if isinstance(probe, Check):
        return probe
    name = f"source {spec.url}"
    found = f"read: {count(probe, 'item')} in the last day"
    if known is None:
        return ok(name, f"{found} (pending and refused items not counted: the database is not reachable)")
    if known.get("last_pull_at") is None:
        return ok(name, f"{found}; not pulled yet")
    items = known.get("items") or {}
    found += f"; {items.get('stored', 0)} stored, {items.get('pending', 0)} pending, {items.get('refused', 0)} refused"
    if items.get("refused"):
        return warn(name, found, "`asmis sources` names each refused item and why; fix or remove it")
    if known.get("last_pull_ok") is False:
        return warn(name, f"{found}; the last pull failed: {known.get('last_error') or 'no reason kept'}",
                    "`asmis pull` to try again now")
    return ok(name, found)
