"""`POST /v1/webhooks/zoom` and `POST /v1/webhooks/gong`: no API key (the vendor's signature is the
authentication), the raw body verified before it is parsed, answered at once; the work goes on in the
background (`work.py`). A refused request is 401 and stores nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request

from lib.api.deps import SettingsDep
from lib.api.problems import Problem
from lib.api.webhooks.verify import Refused, url_validation, verify_gong, verify_zoom
from lib.api.webhooks.work import WebhookWork, gong_job, zoom_jobs

log = logging.getLogger("asmis.api.webhooks")
router = APIRouter(tags=["webhooks"])
MAX_WEBHOOK_BODY = 5 * 1024 * 1024
PATHS = ("/v1/webhooks/zoom", "/v1/webhooks/gong")
TRANSCRIPT_COMPLETED = "recording.transcript_completed"
_REFUSED: dict[int | str, dict[str, Any]] = {401: {"description": "The signature, timestamp or JWT does not hold; nothing is stored"}}


def _work(request: Request) -> WebhookWork:
    return request.app.state.webhooks


def _parsed(body: bytes, vendor: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, f"the {vendor} webhook's body is not JSON") from None
    if not isinstance(data, dict):
        raise Problem(400, f"the {vendor} webhook's body is not a JSON object")
    return data


def _refuse(vendor: str, exc: Refused) -> Problem:
    log.warning("%s webhook refused: %s", vendor, exc)
    return Problem(401, f"{vendor} webhook refused: {exc}")


@router.post("/webhooks/zoom", summary="Zoom event subscription: a call's transcript is ready",
             responses={**_REFUSED, 404: {"description": "Zoom webhooks are off: ZOOM_WEBHOOK_SECRET_TOKEN is not set"}})
async def zoom_webhook(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Signed by Zoom (`x-zm-signature`, `x-zm-request-timestamp`). Answers `endpoint.url_validation`;
    takes `recording.transcript_completed` (each transcript file stored once, then analysed); any other
    event is answered and ignored."""
    if settings.zoom_webhook_secret_token is None:
        raise Problem(404, "Zoom webhooks are off: ZOOM_WEBHOOK_SECRET_TOKEN is not set on this API")
    secret = settings.zoom_webhook_secret_token.get_secret_value()
    body = await request.body()
    try:
        verify_zoom(secret, body, request.headers.get("x-zm-request-timestamp"),
                    request.headers.get("x-zm-signature"))
    except Refused as exc:
        raise _refuse("zoom", exc) from None
    event = _parsed(body, "zoom")
    name = event.get("event")
    if name == "endpoint.url_validation":
        token = (event.get("payload") or {}).get("plainToken")
        if not isinstance(token, str) or not token:
            raise Problem(400, "endpoint.url_validation without payload.plainToken")
        return url_validation(secret, token)
    if name != TRANSCRIPT_COMPLETED:
        return {"status": "ignored", "event": str(name)[:100]}
    try:
        jobs = zoom_jobs(event)
    except ValueError as exc:
        raise Problem(400, f"{TRANSCRIPT_COMPLETED}: {exc}") from None
    await _work(request).accept(jobs)
    return {"status": "accepted", "items": len(jobs)}


@router.post("/webhooks/gong", summary="Gong automation rule: a call is ready",
             responses={**_REFUSED, 404: {"description": "Gong webhooks are off: GONG_WEBHOOK_PUBLIC_KEY is not set"}})
async def gong_webhook(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Signed by Gong (an RS256 JWT in `Authorization`: expiry, `webhook_url`, `body_sha256`). The call
    (`callData.metaData.id`) is fetched through the Gong API, stored once and analysed; `isTest` is
    verified and answered, nothing stored."""
    if not settings.gong_webhook_public_key:
        raise Problem(404, "Gong webhooks are off: GONG_WEBHOOK_PUBLIC_KEY is not set on this API")
    body = await request.body()
    try:
        verify_gong(settings.gong_webhook_public_key, body, request.headers.get("authorization"),
                    settings.api_public_url)
    except Refused as exc:
        raise _refuse("gong", exc) from None
    payload = _parsed(body, "gong")
    if payload.get("isTest") is True:
        return {"status": "test", "items": 0}
    try:
        job = gong_job(payload)
    except ValueError as exc:
        raise Problem(400, f"gong webhook: {exc}") from None
    await _work(request).accept([job])
    return {"status": "accepted", "items": 1}
