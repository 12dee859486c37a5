"""Gong's public API v2 as a source: calls listed by `started` window, transcripts and parties plus CRM
context fetched by call id in batches, every endpoint paged by `records.cursor`.

What Gong does that this handles: a window with no calls answers 404 ("No calls found corresponding to
the provided filters"), an empty page; 3 requests a second (paced) and a 429 with Retry-After beyond that
(`SourceHTTP`); calls listed late and transcripts later than their calls (the pull's lookback and its
pending items); ids of up to 20 digits (kept as text); `started` with an offset such as -07:00.

Each fetched call is turned into the Gong export shape (`callTranscripts`, `parties`, `metaData`,
`context`) and parsed by `lib/transcripts/gong.py`, the parser `asmis ingest` uses for Gong exports.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from lib.errors import SourceError
from lib.intake.http import OverHTTP, SourceHTTP
from lib.intake.items import Fetched, Listed
from lib.intake.sources import SourceSpec
from lib.settings import Settings

DEFAULT_BASE_URL = "https://api.gong.io"
VERSION = "gong-v2"  # a Gong call's transcript does not change once there: stored is final
_HINT = "check GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET (and GONG_API_BASE_URL, your company's Gong API host)"


class GongSource(OverHTTP):
    refetch_by_id = True

    def __init__(self, spec: SourceSpec, settings: Settings, *, access_key: str, secret: str,
                 base_url: str = DEFAULT_BASE_URL, rate: float | None = None) -> None:
        self.spec = spec
        self.batch = settings.gong_transcript_batch
        self.pages = 0
        self.http = SourceHTTP(spec.url, base_url.rstrip("/"), rate=rate or settings.gong_requests_per_second,
                               retries=settings.pull_http_retries,
                               retry_after_max=settings.pull_retry_after_max_seconds,
                               auth=httpx.BasicAuth(access_key, secret))

    @classmethod
    def from_env(cls, spec: SourceSpec, settings: Settings) -> GongSource:
        key, secret = os.environ.get("GONG_ACCESS_KEY", ""), os.environ.get("GONG_ACCESS_KEY_SECRET", "")
        if not key or not secret:
            raise SourceError(f"{spec.url}: GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET must be set", source=spec.url)
        return cls(spec, settings, access_key=key, secret=secret,
                   base_url=os.environ.get("GONG_API_BASE_URL") or DEFAULT_BASE_URL)

    async def list_items(self, since: datetime, until: datetime) -> list[Listed]:
        params: dict[str, str] = {"fromDateTime": since.isoformat(), "toDateTime": until.isoformat()}
        if self.spec.arg:
            params["workspaceId"] = self.spec.arg
        listed = []
        async for call in self._pages("GET", "/v2/calls", "calls", params=params):
            listed.append(_listed(call))
        return listed

    async def fetch(self, items: list[Listed]) -> AsyncIterator[Fetched]:
        for start in range(0, len(items), self.batch):
            chunk = items[start:start + self.batch]
            ids = [item.external_id for item in chunk]
            transcripts = {str(t["callId"]): t async for t in self._pages(
                "POST", "/v2/calls/transcript", "callTranscripts", body={"filter": {"callIds": ids}})}
            ready = [i for i in ids if transcripts.get(i, {}).get("transcript")]
            extensive = {}
            if ready:
                selector = {"context": "Extended", "exposedFields": {"parties": True}}
                extensive = {str(c.get("metaData", {}).get("id")): c async for c in self._pages(
                    "POST", "/v2/calls/extensive", "calls",
                    body={"filter": {"callIds": ready}, "contentSelector": selector})}
            for item in chunk:
                transcript = transcripts.get(item.external_id)
                if item.external_id not in ready or transcript is None:
                    yield Fetched(item, None)
                    continue
                yield _export(item, transcript, extensive.get(item.external_id, {}))

    async def _pages(self, method: str, path: str, key: str, *, params: dict[str, str] | None = None,
                     body: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every record of every page: the cursor is a query parameter on GET, a body field on POST."""
        cursor: str | None = None
        while True:
            if method == "GET":
                query = {**(params or {}), **({"cursor": cursor} if cursor else {})}
                response = await self.http.request("GET", path, params=query, ok=(200, 404))
            else:
                payload = {**(body or {}), **({"cursor": cursor} if cursor else {})}
                response = await self.http.request("POST", path, json=payload, ok=(200, 404))
            if response.status_code == 404:
                return  # "No calls found corresponding to the provided filters": an empty page
            if response.status_code != 200:
                raise self.http.refuse(response, f"{method} {path}", _HINT)
            page = _json(response, self.spec.url, path)
            self.pages += 1
            for record in page.get(key) or []:
                yield record
            cursor = (page.get("records") or {}).get("cursor")
            if not cursor:
                return

    def by_id(self, external_id: str) -> Listed:
        """A pending call outside the listing window, fetched by its id alone."""
        return Listed(external_id=external_id, version=VERSION, name=f"gong-{external_id}.json")

    async def aclose(self) -> None:
        await self.http.aclose()


def _json(response: httpx.Response, source: str, path: str) -> dict[str, Any]:
    try:
        page = response.json()
    except ValueError:
        raise SourceError(f"{source}: {path} answered something that is not JSON", source=source) from None
    if not isinstance(page, dict):
        raise SourceError(f"{source}: {path} answered an unexpected shape", source=source)
    return page


def _listed(call: dict[str, Any]) -> Listed:
    call_id = str(call["id"])  # up to 20 digits: text, never a float
    started = call.get("started")
    when = datetime.fromisoformat(started) if isinstance(started, str) and started else None
    return Listed(external_id=call_id, version=VERSION, name=f"gong-{call_id}.json", occurred_at=when,
                  title=call.get("title"))


def _export(item: Listed, transcript: dict[str, Any], call: dict[str, Any]) -> Fetched:
    """The Gong export shape `lib/transcripts/gong.py` parses, from the API's three replies."""
    meta = call.get("metaData") or {}
    export = {
        "callTranscripts": [{"callId": item.external_id, "transcript": transcript.get("transcript") or []}],
        "parties": [{"speakerId": p.get("speakerId"), "name": p.get("name"), "title": p.get("title"),
                     "affiliation": p.get("affiliation")} for p in call.get("parties") or []],
        "metaData": {"title": meta.get("title") or item.title,
                     "started": meta.get("started") or (item.occurred_at.isoformat() if item.occurred_at else None)},
        "context": call.get("context") or [],
    }
    extra = {"gong_url": meta.get("url")} if meta.get("url") else {}
    return Fetched(item, json.dumps(export).encode("utf-8"), metadata=extra)
