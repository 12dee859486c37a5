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
- `download_url` answers a 302 to the file's storage URL (the download needs the bearer token; the
  storage URL does not), which serves the WebVTT.
"""

from __future__ import annotations

import base64
import secrets
from datetime import date, datetime
from typing import Any

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

    @property
    def api_url(self) -> str:
        return self.url + "/v2"

    @property
    def oauth_url(self) -> str:
        return self.url + "/oauth/token"

    def expire_tokens(self) -> None:
        self.tokens.clear()

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
        if not (auth.startswith("Bearer ") and auth.removeprefix("Bearer ") in self.tokens):
            return 401, {"code": 124, "message": "Invalid access token."}, {}
        if path.startswith("/rec/download/"):
            file_id = path.removeprefix("/rec/download/")
            if file_id not in self.files:
                return 404, {"code": 3301, "message": "This recording does not exist."}, {}
            return 302, b"", {"Location": f"{self.url}/storage/{file_id}"}
        if method == "GET" and path.startswith("/v2/users/") and path.endswith("/recordings"):
            return self._recordings(path.split("/")[3], query)
        return 404, {"code": 404, "message": "Not found"}, {}

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
