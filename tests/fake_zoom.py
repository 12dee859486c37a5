"""A fake Zoom API (cloud recordings) and OAuth server on 127.0.0.1, written from Zoom's public docs.

- `POST /oauth/token?grant_type=account_credentials&account_id=ID`, HTTP Basic client_id:client_secret:
  `{"access_token", "token_type": "bearer", "expires_in": 3600, "scope", "api_url"}`; else 400/401
  `{"reason": "Invalid client_id or client_secret", "error": "invalid_client"}`.
- `GET /v2/users/{userId}/recordings?from=YYYY-MM-DD&to=YYYY-MM-DD&page_size=&next_page_token=` with
  `Authorization: Bearer`: `{"from", "to", "page_count", "page_size", "total_records", "next_page_token",
  "meetings": [{"uuid", "id", "host_id", "topic", "start_time", "duration", "recording_files": [{"id",
  "meeting_id", "recording_start", "recording_end", "file_type", "file_extension", "file_size",
  "download_url", "status", "recording_type"}]}]}`. `from`..`to` more than a month apart is a 400
  (code 300). An unknown or expired token: 401 `{"code": 124, "message": "Invalid access token."}`.
- `GET /v2/meetings/{meetingUUID}/recordings` (the UUID encoded twice when it starts with / or holds //):
  the meeting's record as above (`uuid`, `id`, `topic`, `start_time`, `recording_files`); else 404
  `{"code": 3301, "message": "There is no recording for this meeting."}`.
- `download_url` answers a 302 to the file's storage URL (the download needs the bearer token, or the
  `download_token` a webhook event carries, which expires; the storage URL needs neither), which serves
  the WebVTT.
- Webhooks (Zoom's event subscriptions): `recording.transcript_completed` is `{"event", "event_ts",
  "payload": {"account_id", "object": {meeting record}}, "download_token"}`, signed by the app's secret
  token (`x-zm-signature: v0=HMAC-SHA256("v0:{ts}:{body}")`, `x-zm-request-timestamp: ts` in seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

from tests.fake_http import FakeServer, Reply, Request


class FakeZoom(FakeServer):
    def __init__(self, *, account_id: str = "acct-1", client_id: str = "zoom-client",
                 client_secret: str = "zoom-secret-DO-NOT-LEAK", page_size_cap: int = 300) -> None:
        super().__init__()
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.page_size_cap = page_size_cap
        self.meetings: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self.download_tokens: set[str] = set()
        self.hang_downloads = 0.0  # seconds each download waits before it answers (a hung file server)

    @property
    def api_url(self) -> str:
        return self.url + "/v2"

    @property
    def oauth_url(self) -> str:
        return self.url + "/oauth/token"

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def download_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.download_tokens.add(token)
        return token

    def expire_download_tokens(self) -> None:
        self.download_tokens.clear()

    def meeting(self, meeting_id: int) -> dict[str, Any]:
        return next({k: v for k, v in m.items() if k != "user"} for m in self.meetings if m["id"] == meeting_id)

    def transcript_event(self, meeting_id: int, *, token: str | None = None) -> dict[str, Any]:
        """The `recording.transcript_completed` event Zoom posts for this meeting."""
        return {"event": "recording.transcript_completed", "event_ts": int(time.time() * 1000),
                "payload": {"account_id": self.account_id, "object": self.meeting(meeting_id)},
                "download_token": token if token is not None else self.download_token()}


    def add_meeting(self, meeting_id: int, *, topic: str, start_time: str, vtt: str | None,
                    user: str = "me", status: str = "completed") -> str | None:
        """A meeting with its recordings; `vtt=None`: no transcript file. Returns the transcript file id."""
        uid = base64.b64encode(secrets.token_bytes(12)).decode()
        files: list[dict[str, Any]] = [{
            "id": f"mp4-{meeting_id}", "meeting_id": uid, "recording_start": start_time,
            "recording_end": start_time, "file_type": "MP4", "file_extension": "MP4", "file_size": 1000,
            "download_url": f"{self.url}/rec/download/mp4-{meeting_id}", "status": "completed",
            "recording_type": "shared_screen_with_speaker_view"}]
        file_id = None
        if vtt is not None:
            file_id = f"tr-{meeting_id}-{secrets.token_hex(4)}"
            data = vtt.encode()
            self.files[file_id] = data
            files.append({"id": file_id, "meeting_id": uid, "recording_start": start_time,
                          "recording_end": start_time, "file_type": "TRANSCRIPT", "file_extension": "VTT",
                          "file_size": len(data), "download_url": f"{self.url}/rec/download/{file_id}",
                          "status": status, "recording_type": "audio_transcript"})
        self.meetings.append({"uuid": uid, "id": meeting_id, "host_id": "host-1", "topic": topic,
                              "start_time": start_time, "duration": 30, "user": user, "recording_files": files})
        return file_id

    def count(self, prefix: str) -> int:
        return sum(1 for _, p in self.seen() if p.startswith(prefix))

    def handle(self, request: Request) -> Reply:
        if self.hang_downloads and request.path.startswith("/rec/download/"):
            time.sleep(self.hang_downloads)
        with self._lock:
            status, payload, headers = self._answer(request.method, request.path, request.query,
                                                    request.headers.get("authorization", ""))
        if isinstance(payload, bytes):  # the WebVTT file, or a redirect's empty body
            headers = {"Content-Type": "text/vtt", **headers}
        return Reply(status, payload, headers)

    def _answer(self, method: str, path: str, query: dict[str, list[str]],
                auth: str) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and path == "/oauth/token":
            return self._token(query, auth)
        if path.startswith("/storage/"):
            return 200, self.files[path.removeprefix("/storage/")], {}
        bearer = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if path.startswith("/rec/download/") and bearer in self.download_tokens:
            return self._download(path)
        if bearer not in self.tokens:
            return 401, {"code": 124, "message": "Invalid access token."}, {}
        if path.startswith("/rec/download/"):
            return self._download(path)
        if method == "GET" and path.startswith("/v2/meetings/") and path.endswith("/recordings"):
            uid = unquote(unquote(path.removeprefix("/v2/meetings/").removesuffix("/recordings")))
            found = [m for m in self.meetings if m["uuid"] == uid]
            if not found:
                return 404, {"code": 3301, "message": "There is no recording for this meeting."}, {}
            return 200, {k: v for k, v in found[0].items() if k != "user"}, {}
        if method == "GET" and path.startswith("/v2/users/") and path.endswith("/recordings"):
            return self._recordings(path.split("/")[3], query)
        return 404, {"code": 404, "message": "Not found"}, {}

    def _download(self, path: str) -> tuple[int, Any, dict[str, str]]:
        file_id = path.removeprefix("/rec/download/")
        if file_id not in self.files:
            return 404, {"code": 3301, "message": "This recording does not exist."}, {}
        return 302, b"", {"Location": f"{self.url}/storage/{file_id}"}

    def _token(self, query: dict[str, list[str]], auth: str) -> tuple[int, Any, dict[str, str]]:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != expected:
            return 400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, {}
        if query.get("grant_type") != ["account_credentials"] or query.get("account_id") != [self.account_id]:
            return 400, {"reason": "Invalid account_id", "error": "invalid_request"}, {}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        self.tokens_issued += 1
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3599,
                     "scope": "cloud_recording:read:list_user_recordings:admin", "api_url": self.url}, {}

    def _recordings(self, user: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        since, until = date.fromisoformat(query["from"][0]), date.fromisoformat(query["to"][0])
        if (until - since).days > 31:
            return 400, {"code": 300, "message": "Date range should be within a month."}, {}
        size = min(int((query.get("page_size") or ["30"])[0]), self.page_size_cap)
        found = [m for m in self.meetings if m["user"] == user
                 and since <= datetime.fromisoformat(m["start_time"].replace("Z", "+00:00")).date() <= until]
        start = int(base64.b64decode(query["next_page_token"][0])) if query.get("next_page_token") else 0
        page = found[start:start + size]
        token = base64.b64encode(str(start + size).encode()).decode() if start + size < len(found) else ""
        return 200, {"from": since.isoformat(), "to": until.isoformat(), "page_count": -(-len(found) // size),
                     "page_size": size, "total_records": len(found), "next_page_token": token,
                     "meetings": [{k: v for k, v in m.items() if k != "user"} for m in page]}, {}


def zoom_signed(secret: str, event: dict[str, Any], *, timestamp: int | None = None,
                body: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook request as Zoom signs it."""
    data = body if body is not None else json.dumps(event).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + data, hashlib.sha256).hexdigest()
    return data, {"x-zm-signature": f"v0={mac}", "x-zm-request-timestamp": ts,
                  "content-type": "application/json", "user-agent": "Zoom Marketplace/1.0a"}

