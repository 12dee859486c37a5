"""The deployments, served from this process to a running Prefect server (`asmis serve`).
For work pools and several machines, see deployments/prefect.yaml and the README."""

from __future__ import annotations

from typing import Any

from prefect import aserve
from prefect.schedules import Cron

from flows.backfill import backfill
from flows.nightly import nightly
from flows.process import process_transcripts
from flows.pull import pull_transcripts
from flows.push_crm import push_crm
from lib.settings import Settings


async def build_deployments(settings: Settings) -> list[Any]:
    return [
        await nightly.ato_deployment(
            name="nightly", schedule=Cron(settings.nightly_cron, timezone=settings.timezone), tags=["asmis"],
            description="Pull new calls from the sources, then both agents on every transcript that has no "
                        "result yet.",
        ),
        await process_transcripts.ato_deployment(
            name="process-transcripts", tags=["asmis"],
            description="Run now, with parameters: limit, agents, transcript ids, force, date range.",
        ),
        await backfill.ato_deployment(
            name="backfill", tags=["asmis"],
            description="History in date chunks, oldest first; dry_run only estimates calls and cost.",
        ),
        await pull_transcripts.ato_deployment(
            name="pull-transcripts", tags=["asmis"],
            description="Pull new calls from ASMIS_SOURCES (Gong, object storage, folders, Zoom) now.",
        ),
        await push_crm.ato_deployment(
            name="push-crm", tags=["asmis"],
            description="Write changed deals' MEDDPICC roll-ups to ASMIS_CRM; a person's value is never overwritten.",
        ),
    ]


async def serve_deployments(settings: Settings) -> None:
    await aserve(*await build_deployments(settings))
