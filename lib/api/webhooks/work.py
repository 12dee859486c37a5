"""What happens after a webhook is acknowledged: the call fetched, stored once, analysed, pushed.

`WebhookWork.accept` records each item `pending` in the webhook's intake ledger (`zoom-webhook`,
`gong-webhook`; one row per Zoom transcript file or Gong call) and queues it; the request is answered
then. A background task waits out a short debounce (ASMIS_WEBHOOK_DEBOUNCE_SECONDS from the first queued
event), takes everything queued, fetches and stores each item through the pull's own store
(`lib.intake.pull.store_fetched`), and starts ONE analysis run (`lib.api.runs.BackgroundRuns`) for all
the calls it stored, so a burst of events is a handful of flow runs. When the run has ended and
ASMIS_CRM is set, the deals of those calls are pushed.

An item already stored (by a webhook or a pull of the same vendor, same version) is skipped: a retried or
duplicated event changes nothing. An item that cannot be fetched (404, a hung download, no credentials for
the fallback) stays pending and the nightly pull picks it up; so does one whose API process died between
the acknowledgement and the store."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg
import httpx

from lib.api.runs import BackgroundRuns, flow_params, run_out
from lib.api.schemas import RunIn
from lib.crm.push import crm_client, push_deals
from lib.db.api_runs import RunRepository
from lib.db.transcripts import TranscriptRepository
from lib.errors import AsmisError, SourceError
from lib.intake.gong import VERSION as GONG_VERSION
from lib.intake.items import Fetched, Listed
from lib.intake.pull import WEBHOOK_SOURCES, SourceReport, scrub, store_fetched
from lib.intake.sources import SourceSpec
from lib.intake.state import IntakeRepository
from lib.intake.zoom import transcript_items
from lib.settings import Settings

log = logging.getLogger("asmis.api.webhooks")
Vendor = Literal["zoom", "gong"]
SPECS: dict[str, SourceSpec] = {"zoom": SourceSpec("zoom", WEBHOOK_SOURCES["zoom"]),
                              "gong": SourceSpec("gong", WEBHOOK_SOURCES["gong"])}
RUN_KEY = "webhook"  # api_runs.key_name of the runs webhooks start
CONCURRENT_FETCHES = 8
WORK_POOL_POLL_SECONDS = 2.0
WORK_POOL_WAIT_SECONDS = 3600.0


@dataclass(frozen=True)
class Job:
    vendor: Vendor
    item: Listed
    meeting_uuid: str = ""
    download_token: str | None = field(default=None, repr=False)
    context: list[Any] = field(default_factory=list, compare=False)
    received: float = field(default_factory=time.monotonic, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.vendor, self.meeting_uuid, self.item.external_id)


def zoom_jobs(event: dict[str, Any]) -> list[Job]:
    """A `recording.transcript_completed` event's transcript files; ValueError when it is not that shape."""
    meeting = (event.get("payload") or {}).get("object")
    if not isinstance(meeting, dict) or not isinstance(meeting.get("recording_files"), list):
        raise ValueError("payload.object.recording_files is missing")
    token = event.get("download_token")
    return [Job("zoom", item, str(meeting.get("uuid") or ""), token if isinstance(token, str) else None)
            for item in transcript_items(meeting)]


def gong_job(payload: dict[str, Any]) -> Job:
    """The call of a Gong automation-rule payload (`callData.metaData.id`); ValueError when absent."""
    call = payload.get("callData")
    meta = call.get("metaData") if isinstance(call, dict) else None
    if not isinstance(meta, dict) or not meta.get("id"):
        raise ValueError("callData.metaData.id is missing")
    call_id = str(meta["id"])
    started = meta.get("started")
    when = datetime.fromisoformat(started) if isinstance(started, str) and started else None
    context = call.get("context") if isinstance(call, dict) else None
    return Job("gong", Listed(external_id=call_id, version=GONG_VERSION, name=f"gong-{call_id}.json",
                              occurred_at=when, title=meta.get("title")),
               context=context if isinstance(context, list) else [])


class WebhookWork:
    """The queue of acknowledged items and the task that drains it; one per API process."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, runs: BackgroundRuns) -> None:
        self.pool, self.settings, self.runs = pool, settings, runs
        self.queue: dict[tuple[str, str, str], Job] = {}
        self.worker: asyncio.Task[None] | None = None
        self.after: set[asyncio.Task[None]] = set()

    async def accept(self, jobs: list[Job]) -> None:
        """Record each item pending (so the pull finds it whatever happens next), then queue it."""
        repo = IntakeRepository(self.pool)
        for job in jobs:
            await repo.mark(WEBHOOK_SOURCES[job.vendor], job.item.external_id, "pending", job.item.version,
                            "received by webhook; not stored yet", job.item.occurred_at)
            self.queue.setdefault(job.key, job)
        if jobs and (self.worker is None or self.worker.done()):
            self.worker = asyncio.create_task(self._drain(), name="webhook-work")

    async def close(self) -> None:
        tasks = [t for t in (self.worker, *self.after) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(self) -> None:
        while self.queue:
            first = min(job.received for job in self.queue.values())
            await asyncio.sleep(max(0.0, first + self.settings.webhook_debounce_seconds - time.monotonic()))
            jobs, self.queue = list(self.queue.values()), {}
            try:
                await self._batch(jobs)
            except Exception as exc:  # noqa: BLE001 - the items stay pending; the next pull takes them
                log.error("webhook batch of %d item(s) failed: %s", len(jobs), type(exc).__name__)

    async def _batch(self, jobs: list[Job]) -> None:
        reports = {v: SourceReport(spec.url) for v, spec in SPECS.items()}
        gate = asyncio.Semaphore(CONCURRENT_FETCHES)

        async def one(job: Job) -> None:
            async with gate:
                await self._one(job, reports[job.vendor])

        await asyncio.gather(*(one(job) for job in jobs))
        ids = sorted({i for report in reports.values() for i in report.transcript_ids})
        counts = ", ".join(f"{v}: {r.new} new, {r.changed} changed, {r.pending} pending, {len(r.refused)} refused"
                           for v, r in reports.items() if any(r.counts().values()))
        log.info("webhook batch of %d item(s) (%s)", len(jobs), counts or "nothing new")
        if not ids:
            return
        row = await RunRepository(self.pool).create(flow_params(RunIn(transcript_ids=ids)), "api_process", RUN_KEY)
        run = self.runs.start(str(row["run_id"]), row["params"])
        task = asyncio.create_task(self._then_push(str(row["run_id"]), run, ids), name="webhook-push")
        self.after.add(task)
        task.add_done_callback(self.after.discard)

    async def _one(self, job: Job, report: SourceReport) -> None:
        repo = IntakeRepository(self.pool)
        item = job.item
        if await repo.stored_by(item.external_id, item.version, WEBHOOK_SOURCES[job.vendor], job.vendor):
            report.unchanged += 1
            return
        try:
            fetched = await asyncio.wait_for(self._zoom(job) if job.vendor == "zoom" else self._gong(job),
                                             self.settings.webhook_download_timeout_seconds)
        except (TimeoutError, httpx.HTTPError, SourceError) as exc:
            reason = scrub(str(exc)) if isinstance(exc, SourceError) else type(exc).__name__
            log.warning("%s webhook: %s not fetched (%s); pending for the next pull", job.vendor,
                        item.external_id, reason)
            fetched = Fetched(item, None)
        await store_fetched(repo, self.settings, SPECS[job.vendor], fetched, report)

    async def _zoom(self, job: Job) -> Fetched:
        item = job.item
        metadata = {k: v for k, v in item.extra.items() if k != "download_url"}
        url = item.extra.get("download_url")
        if job.download_token and url:
            async with httpx.AsyncClient(timeout=self.settings.webhook_download_timeout_seconds,
                                         follow_redirects=True) as client:
                response = await client.get(url, headers={"Authorization": f"Bearer {job.download_token}"})
            if response.status_code == 200:
                return Fetched(item, response.content, metadata)
            if response.status_code not in (401, 403):
                log.warning("zoom webhook: the download of %s answered HTTP %d; pending for the next pull",
                            item.external_id, response.status_code)
                return Fetched(item, None)
        return await self._zoom_by_api(job, metadata)  # no token, or it has expired: the recordings API

    async def _zoom_by_api(self, job: Job, metadata: dict[str, Any]) -> Fetched:
        from lib.intake.zoom import ZoomSource

        source = ZoomSource.from_env(SourceSpec("zoom", "zoom://"), self.settings)
        try:
            listed = await source.meeting_transcripts(job.meeting_uuid)
            match = [i for i in listed if i.external_id == job.item.external_id and i.ready]
            async for fetched in source.fetch(match):
                return Fetched(job.item, fetched.data, metadata)
        finally:
            await source.aclose()
        return Fetched(job.item, None)

    async def _gong(self, job: Job) -> Fetched:
        from lib.intake.gong import GongSource

        source = GongSource.from_env(SourceSpec("gong", "gong://"), self.settings)
        try:
            fetched = [f async for f in source.fetch([job.item])]
        finally:
            await source.aclose()
        found = fetched[0] if fetched else Fetched(job.item, None)
        if found.data is None or not job.context:
            return found
        export = json.loads(found.data)
        if not export.get("context"):  # the deal as the webhook names it (callData.context's Opportunity)
            export["context"] = job.context
        return Fetched(found.listed, json.dumps(export).encode("utf-8"), found.metadata)

    async def _then_push(self, run_id: str, run: asyncio.Task[None], ids: list[int]) -> None:
        """After the run: with ASMIS_CRM set, push the deals of the calls it analysed."""
        await asyncio.gather(run, return_exceptions=True)
        if self.settings.crm is None:
            return
        runs = RunRepository(self.pool)
        row = await runs.get(uuid.UUID(run_id))
        deadline = time.monotonic() + WORK_POOL_WAIT_SECONDS
        while row is not None and row["state"] in ("scheduled", "running") and time.monotonic() < deadline:
            await asyncio.sleep(WORK_POOL_POLL_SECONDS)  # a work-pool run: its end is read from Prefect
            await run_out(self.pool, row)
            row = await runs.get(uuid.UUID(run_id))
        if row is None or row["state"] != "completed":
            log.warning("run %s did not complete; the nightly push carries its deals", run_id)
            return
        deals = sorted({t.deal_id for t in await TranscriptRepository(self.pool).get_many(ids) if t.deal_id})
        if not deals:
            return
        try:
            client = await asyncio.to_thread(crm_client, self.settings)
            report = await push_deals(self.pool, self.settings, client, deals, full=False)
        except AsmisError as exc:
            log.warning("CRM push after run %s failed: %s", run_id, scrub(exc.args[0] if exc.args else ""))
            return
        log.info("CRM push after run %s: %d deal(s), %d field(s) written", run_id, len(report.deals),
                 report.fields_written)
