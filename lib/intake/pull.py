"""Pull new transcripts from the configured sources, incrementally and exactly once.

Per source: read its state, list what it holds in the window (the high-water mark less the lookback; the
first pull reads back ASMIS_PULL_START_DAYS), skip what is stored at the same version, fetch the rest,
parse each with the ingest parsers and store it once per (source, external id). Every item is committed
as it is stored, so a pull killed midway loses nothing and the next one finds it stored. A bad item is
refused with its reason and not tried again until it changes; a listed call without its transcript yet
is pending and tried again on every pull; a source that cannot be read fails alone, with one line.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import asyncpg

from lib.db import open_database
from lib.errors import ConfigError, DatabaseError, PermanentDatabaseError, SourceError, TranscriptError
from lib.intake.items import Fetched, Listed, Source
from lib.intake.sources import SourceSpec, parse_sources
from lib.intake.state import IntakeRepository
from lib.models import NewTranscript, json_time
from lib.settings import Settings
from lib.transcripts import ParsedTranscript, parse_bytes

# Credentials a Prefect Secret block may supply (tasks/pull.py), and the values masked in every message.
CREDENTIAL_VARIABLES = ("GONG_ACCESS_KEY", "GONG_ACCESS_KEY_SECRET", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                        "ZOOM_CLIENT_SECRET")
# Webhooks store into ledgers of their own (lib/api/webhooks); the pull of the same vendor reads them so a
# call a webhook stored is not stored again, and a call it left pending is picked up.
WEBHOOK_SOURCES = {"zoom": "zoom-webhook", "gong": "gong-webhook"}
SECRET_VARIABLES = ("GONG_ACCESS_KEY", "GONG_ACCESS_KEY_SECRET", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET",
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY",
                    "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN")


@dataclass
class Refused:
    external_id: str
    reason: str
    earlier: bool = False  # refused by an earlier pull at this version: not tried again


@dataclass
class SourceReport:
    source: str
    new: int = 0
    changed: int = 0
    pending: int = 0
    unchanged: int = 0
    already_stored: int = 0  # its content was stored before (asmis ingest, another item or source): not new
    refused: list[Refused] = field(default_factory=list)
    error: str | None = None
    retryable: bool = False  # the error is a passing one (5xx, unreachable, rate limited): try again later
    listed: int = 0
    fetched: int = 0
    requests: int = 0
    pages: int = 0
    throttled: int = 0  # 429s waited out
    seconds: float = 0.0
    since: datetime | None = None
    until: datetime | None = None
    transcript_ids: list[int] = field(default_factory=list)  # stored new or changed: what to analyse

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        return {"new": self.new, "changed": self.changed, "already stored": self.already_stored,
                "pending": self.pending, "refused": len(self.refused), "unchanged": self.unchanged}

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["since"] = json_time(self.since)
        out["until"] = json_time(self.until)
        return out


def open_source(spec: SourceSpec, settings: Settings) -> Source:
    if spec.kind == "gong":
        from lib.intake.gong import GongSource

        return GongSource.from_env(spec, settings)
    if spec.kind == "zoom":
        from lib.intake.zoom import ZoomSource

        return ZoomSource.from_env(spec, settings)
    from lib.intake.objectstore import ObjectStoreSource

    return ObjectStoreSource(spec, follow_symlinks=settings.follow_symlinks)


async def pull_sources(pool: asyncpg.Pool, settings: Settings, specs: list[SourceSpec], *,
                       since: datetime | None = None) -> list[SourceReport]:
    """Every source at once; one failing never stops the others."""
    return list(await asyncio.gather(*(pull_source(pool, settings, s, since=since) for s in specs)))


async def pull_source(pool: asyncpg.Pool, settings: Settings, spec: SourceSpec, *, since: datetime | None = None,
                      now: datetime | None = None, source: Source | None = None) -> SourceReport:
    repo = IntakeRepository(pool)
    report = SourceReport(spec.url)
    started = time.monotonic()
    high_water: datetime | None = None
    try:
        state = await repo.source(spec.url)
        report.until = now or datetime.now(UTC)
        report.since = since or (state.high_water - timedelta(days=settings.pull_lookback_days)
                                 if state.high_water else report.until - timedelta(days=settings.pull_start_days))
        source = source or open_source(spec, settings)
        try:
            high_water = await _pull(repo, settings, spec, source, report)
        finally:
            report.requests, report.pages, report.throttled = source.requests, source.pages, source.throttled
            await source.aclose()
    except SourceError as exc:
        report.error, report.retryable = scrub(str(exc)), exc.retryable
    except DatabaseError:
        raise
    except Exception as exc:  # a reply of a shape no one expected: this source fails, the others go on
        report.error = scrub(f"{spec.url}: unexpected reply ({type(exc).__name__}: {_short(exc)})")
    report.seconds = round(time.monotonic() - started, 3)
    await repo.finish(spec.url, high_water=high_water, ok=report.ok, error=report.error,
                      counts=report.counts() | {"refused_items": [asdict(r) for r in report.refused]})
    return report


async def _pull(repo: IntakeRepository, settings: Settings, spec: SourceSpec, source: Source,
                report: SourceReport) -> datetime | None:
    """List, decide, fetch, store; the high-water mark the listing reached."""
    assert report.since is not None and report.until is not None
    listed = await source.list_items(report.since, report.until)
    report.listed = len(listed)
    known = await repo.known(spec.url)
    hooked = await repo.known(WEBHOOK_SOURCES[spec.kind]) if spec.kind in WEBHOOK_SOURCES else {}
    known |= {i: sv for i, sv in hooked.items() if sv[0] == "stored"}
    todo: list[Listed] = []
    for item in listed:
        state, version, reason = known.get(item.external_id, ("", "", ""))
        if state == "stored" and version == item.version:
            report.unchanged += 1
        elif state == "refused" and version == item.version:  # refused until its content changes
            report.refused.append(Refused(item.external_id, reason, earlier=True))
        elif not item.ready:
            await _pending(repo, spec, item, report)
        elif item.size is not None and item.size > settings.ingest_max_bytes:
            await _refuse(repo, spec, item, report, f"{item.size:,} bytes, larger than the "
                                                    f"{settings.ingest_max_bytes:,}-byte limit")
        else:
            todo.append(item)
    if source.refetch_by_id:  # pending calls the window no longer lists are asked for by id
        seen = {item.external_id for item in listed}
        missed = [i for i, (state, _, _) in hooked.items() if state == "pending"]
        todo += [source.by_id(i) for i in dict.fromkeys(await repo.pending(spec.url) + missed)
                 if i not in seen and known.get(i, ("",))[0] != "stored"]
    async for fetched in source.fetch(todo):
        await store_fetched(repo, settings, spec, fetched, report)
    stamps = [item.occurred_at for item in listed if item.occurred_at is not None]
    return max(stamps) if stamps else None


async def store_fetched(repo: IntakeRepository, settings: Settings, spec: SourceSpec, fetched: Fetched,
                        report: SourceReport) -> None:
    """Parse and store one fetched item once per (source, external id), or mark it pending or refused;
    the report counts the outcome and collects the ids to analyse. The pull and the webhooks store this way."""
    item = fetched.listed
    if fetched.refused is not None:
        await _refuse(repo, spec, item, report, fetched.refused)
        return
    if fetched.data is None:
        await _pending(repo, spec, item, report)
        return
    report.fetched += 1
    try:
        parsed = parse_bytes(fetched.data, name=item.name, max_bytes=settings.ingest_max_bytes,
                             seller_company=settings.seller_company)
        record = to_record(spec, item, parsed, fetched.metadata)
        transcript_id, outcome = await repo.store(record, item.version)
    except TranscriptError as exc:
        await _refuse(repo, spec, item, report, exc.problem)
        return
    except (PermanentDatabaseError, ValueError) as exc:  # one item the database or a model refuses
        await _refuse(repo, spec, item, report, f"could not be stored: {_short(exc)}")
        return
    setattr(report, outcome, getattr(report, outcome) + 1)
    if outcome in ("new", "changed"):
        report.transcript_ids.append(transcript_id)


def to_record(spec: SourceSpec, item: Listed, parsed: ParsedTranscript, extra: dict[str, Any]) -> NewTranscript:
    """The file's own metadata first (its time, its deal), then what the source listed."""
    metadata = {**parsed.metadata, **extra, "pulled_from": spec.url, "file_name": item.name,
                "parse_warnings": parsed.warnings}
    return NewTranscript(
        source=spec.url, external_id=item.external_id, deal_id=parsed.metadata.get("deal_id"),
        title=parsed.metadata.get("title") or item.title or PurePosixPath(item.name).stem,
        format=parsed.format, occurred_at=parsed.occurred_at or item.occurred_at or datetime.now(UTC),
        content=parsed.content, content_sha256=parsed.content_sha256,
        turns=[turn.model_dump() for turn in parsed.turns], speakers=parsed.speakers, metadata=metadata)


async def _pending(repo: IntakeRepository, spec: SourceSpec, item: Listed, report: SourceReport) -> None:
    await repo.mark(spec.url, item.external_id, "pending", "", "listed; no transcript yet", item.occurred_at)
    report.pending += 1


async def _refuse(repo: IntakeRepository, spec: SourceSpec, item: Listed, report: SourceReport,
                  reason: str) -> None:
    await repo.mark(spec.url, item.external_id, "refused", item.version, reason, item.occurred_at)
    report.refused.append(Refused(item.external_id, reason))


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def scrub(text: str) -> str:
    """Whatever a store's client put in its message, no credential leaves this process."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name, "")
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


async def pull_configured(settings: Settings, urls: list[str] | None = None, *,
                          since: datetime | None = None) -> list[SourceReport]:
    """The named sources (default: ASMIS_SOURCES), each pulled; an empty configuration is a ConfigError."""
    specs = parse_sources(urls if urls else settings.sources)
    if not specs:
        raise ConfigError("no sources: set ASMIS_SOURCES (e.g. gong://,s3://bucket/calls/) or name one")
    async with open_database(settings) as pool:
        return await pull_sources(pool, settings, specs, since=since)
