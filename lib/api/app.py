"""The FastAPI app: one asyncpg pool opened in the lifespan, the routers under /v1, errors as problem
documents, bodies capped. `create_app` is what `asmis api serve` runs and what tests and benchmarks build."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from lib.api.pages import install_pages
from lib.api.problems import Guard, install_handlers
from lib.api.routes import calls, deals, health, prompts, runs
from lib.api.runs import BackgroundRuns
from lib.api.webhooks import routes as webhooks
from lib.api.webhooks.work import WebhookWork
from lib.db import open_database
from lib.settings import Settings

MAX_BODY = 1024 * 1024
DESCRIPTION = """Calls, their analyses, deal roll-ups and prompt versions of an ASMIS installation.

Every endpoint but `/v1/health` and `/v1/ready` takes an API key (`asmis api keys create NAME`) as
`Authorization: Bearer KEY`; a `write` key may also store and activate prompts and start runs.
Errors are `application/problem+json` documents (RFC 9457)."""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_database(settings) as pool:
            app.state.pool = pool
            app.state.runs = BackgroundRuns(pool)
            app.state.webhooks = WebhookWork(pool, settings, app.state.runs)
            try:
                yield
            finally:
                await app.state.webhooks.close()
                await app.state.runs.close()

    app = FastAPI(title="ASMIS API", version=version("asmis"), description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/v1/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    install_handlers(app)
    for module in (health, calls, deals, prompts, runs, webhooks):
        app.include_router(module.router, prefix="/v1")
    install_pages(app)
    app.add_middleware(Guard, max_body=MAX_BODY, limits=dict.fromkeys(webhooks.PATHS, webhooks.MAX_WEBHOOK_BODY))
    return app
