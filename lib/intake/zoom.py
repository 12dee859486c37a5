"""Zoom cloud recordings as a source: server-to-server OAuth, `GET /users/{id}/recordings` by `from`/`to`
(at most a month a request, paged by `next_page_token`), each `TRANSCRIPT` recording file (WebVTT)
downloaded with the bearer token. The meeting's `topic` and `start_time` are the title and the time.

An access token lasts an hour; a 401 (Zoom's code 124, "Invalid access token" / expired) gets one new
token and the request again. A meeting without a transcript file lists nothing; a transcript file still
being made (`status` other than `completed`) is pending.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from lib.errors import SourceError
from lib.intake.http import OverHTTP, SourceHTTP
from lib.intake.items import Fetched, Listed
from lib.intake.sources import SourceSpec
from lib.settings import Settings

DEFAULT_BASE_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"
_HINT = "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (a Server-to-Server OAuth app)"
_MONTH = timedelta(days=30)


class ZoomSource(OverHTTP):
    refetch_by_id = False

    def __init__(self, spec: SourceSpec, settings: Settings, *, account_id: str, client_id: str,
                 client_secret: str, base_url: str = DEFAULT_BASE_URL, oauth_url: str = DEFAULT_OAUTH_URL) -> None:
        self.spec = spec
        self.pages = 0
        self.user = spec.arg or "me"
        self._account_id = account_id
        self._oauth_url = oauth_url
        self._client_auth = httpx.BasicAuth(client_id, client_secret)
        self._token: str | None = None
        self.http = SourceHTTP(spec.url, base_url.rstrip("/") + "/", rate=None, retries=settings.pull_http_retries,
                               retry_after_max=settings.pull_retry_after_max_seconds)

    @classmethod
    def from_env(cls, spec: SourceSpec, settings: Settings) -> ZoomSource:
        names = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
        values = [os.environ.get(name, "") for name in names]
        if not all(values):
            raise SourceError(f"{spec.url}: {', '.join(names)} must be set", source=spec.url)
        return cls(spec, settings, account_id=values[0], client_id=values[1], client_secret=values[2],
                   base_url=os.environ.get("ZOOM_API_BASE_URL") or DEFAULT_BASE_URL,
                   oauth_url=os.environ.get("ZOOM_OAUTH_URL") or DEFAULT_OAUTH_URL)

    async def list_items(self, since: datetime, until: datetime) -> list[Listed]:
        listed = []
        start = since.date()
        while start <= until.date():
            end = min(start + _MONTH, until.date())
            async for meeting in self._meetings(start, end):
                listed.extend(transcript_items(meeting))
            start = end + timedelta(days=1)
        return list({item.external_id: item for item in listed}.values())

    async def fetch(self, items: list[Listed]) -> AsyncIterator[Fetched]:
        for item in items:
            if not item.ready:
                yield Fetched(item, None)
                continue
            response = await self._authorised("GET", item.extra["download_url"], "download a transcript")
            yield Fetched(item, response.content, metadata={k: v for k, v in item.extra.items()
                                                            if k != "download_url"})

    async def meeting_transcripts(self, meeting_uuid: str) -> list[Listed]:
        """The transcript files of one meeting, by its UUID (`GET /meetings/{uuid}/recordings`): what a
        webhook falls back to when its download token has expired."""
        response = await self._authorised("GET", f"meetings/{meeting_path(meeting_uuid)}/recordings",
                                          "read a meeting's recordings")
        return transcript_items(response.json())

    async def _meetings(self, start: date, end: date) -> AsyncIterator[dict[str, Any]]:
        token = ""
        while True:
            params = {"from": start.isoformat(), "to": end.isoformat(), "page_size": "300"}
            if token:
                params["next_page_token"] = token
            response = await self._authorised("GET", f"users/{self.user}/recordings", "list recordings",
                                               params=params)
            self.pages += 1
            page = response.json()
            for meeting in page.get("meetings") or []:
                yield meeting
            token = page.get("next_page_token") or ""
            if not token:
                return

    async def _authorised(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        """The request with the bearer token; one new token when Zoom says the old one is no good."""
        for fresh in (False, True):
            if self._token is None or fresh:
                self._token = await self._new_token()
            response = await self.http.request(method, url, ok=(200,), headers={
                "Authorization": f"Bearer {self._token}"}, **kwargs)
            if response.status_code == 200:
                return response
            if response.status_code != 401:
                break
        raise self.http.refuse(response, what, _HINT)

    async def _new_token(self) -> str:
        response = await self.http.request(
            "POST", self._oauth_url, params={"grant_type": "account_credentials", "account_id": self._account_id},
            auth=self._client_auth)
        if response.status_code != 200:
            raise self.http.refuse(response, "OAuth token request", _HINT)
        token = response.json().get("access_token")
        if not token:
            raise SourceError(f"{self.spec.url}: the OAuth reply has no access_token", source=self.spec.url)
        return str(token)

    def by_id(self, external_id: str) -> Listed:
        raise NotImplementedError("listed again by the lookback window instead")

    async def aclose(self) -> None:
        await self.http.aclose()


def meeting_path(meeting_uuid: str) -> str:
    """A meeting UUID in a URL path: Zoom asks for it encoded twice when it starts with / or holds //."""
    once = quote(meeting_uuid, safe="")
    return quote(once, safe="") if meeting_uuid.startswith("/") or "//" in meeting_uuid else once


def transcript_items(meeting: dict[str, Any]) -> list[Listed]:
    """The TRANSCRIPT files of a meeting record (the recordings API's, or a webhook event's object)."""
    when = _when(meeting.get("start_time"))
    out = []
    for file in meeting.get("recording_files") or []:
        if file.get("file_type") != "TRANSCRIPT" or not file.get("id"):
            continue
        ready = file.get("status", "completed") == "completed" and bool(file.get("download_url"))
        out.append(Listed(
            external_id=str(file["id"]), version=f"{file.get('file_size', '')}:{file.get('recording_end', '')}",
            name=f"zoom-{file['id']}.vtt", occurred_at=when, title=meeting.get("topic"),
            size=file.get("file_size"), ready=ready,
            extra={"download_url": file.get("download_url"), "zoom_meeting_id": str(meeting.get("id", "")),
                   "zoom_meeting_uuid": meeting.get("uuid")}))
    return out


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
