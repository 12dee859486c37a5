"""The webhook checks: Zoom's secret token present, Gong's public key a readable RSA key, and the API's
public URL (what Zoom and Gong post to) answering /v1/health from this machine. Nothing set: webhooks are
off, which is fine (the nightly pull brings the calls)."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from lib.doctor.check import Check, DoctorContext, fail, ok, warn

NAME = "webhooks"


async def check_webhooks(ctx: DoctorContext) -> list[Check]:
    s = ctx.settings
    zoom, gong, public = s.zoom_webhook_secret_token, s.gong_webhook_public_key, s.api_public_url
    if zoom is None and not gong and not public:
        return [ok(NAME, "off (ZOOM_WEBHOOK_SECRET_TOKEN and GONG_WEBHOOK_PUBLIC_KEY unset); calls arrive by the pull")]
    checks = [_zoom(zoom is not None and bool(zoom.get_secret_value().strip()), public), _gong(gong, public)]
    if public:
        checks.append(await _reachable(public, ctx.io_timeout))
    return checks


def _zoom(present: bool, public: str | None) -> Check:
    if not present:
        return ok(f"{NAME} zoom", "off (ZOOM_WEBHOOK_SECRET_TOKEN unset)")
    if not public:
        return warn(f"{NAME} zoom", "the secret token is set but ASMIS_API_PUBLIC_URL is not",
                    "set ASMIS_API_PUBLIC_URL to the URL Zoom reaches this API at (the doctor then checks it)")
    return ok(f"{NAME} zoom", f"secret token set; Zoom posts to {_url(public, 'zoom')}")


def _gong(pem: str | None, public: str | None) -> Check:
    if not pem:
        return ok(f"{NAME} gong", "off (GONG_WEBHOOK_PUBLIC_KEY unset)")
    try:
        key = load_pem_public_key(pem.replace("\\n", "\n").strip().encode())
    except (ValueError, TypeError):
        return fail(f"{NAME} gong", "GONG_WEBHOOK_PUBLIC_KEY is not a PEM public key",
                    "paste the public key Gong shows for the rule's signed JWT header (-----BEGIN PUBLIC KEY-----)")
    if not isinstance(key, RSAPublicKey):
        return fail(f"{NAME} gong", "GONG_WEBHOOK_PUBLIC_KEY is not an RSA key (Gong signs with RS256)",
                    "paste the public key Gong shows for the rule's signed JWT header")
    if not public:
        return fail(f"{NAME} gong", "ASMIS_API_PUBLIC_URL is unset: every Gong request would be refused "
                    "(its JWT names the URL it was sent to)", "set ASMIS_API_PUBLIC_URL to the API's public URL")
    return ok(f"{NAME} gong", f"RSA public key ({key.key_size} bits); Gong posts to {_url(public, 'gong')}")


async def _reachable(public: str, timeout: float) -> Check:
    base = public.rstrip("/").removesuffix("/v1")
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            health = await client.get(base + "/v1/health")
    except httpx.HTTPError as exc:
        return fail(f"{NAME} url", f"{base} does not answer from this machine ({type(exc).__name__})",
                    "check ASMIS_API_PUBLIC_URL, the proxy or tunnel in front of `asmis api serve`, and DNS")
    if health.status_code != 200:
        return fail(f"{NAME} url", f"{base}/v1/health answered {health.status_code}: not this API?",
                    "point ASMIS_API_PUBLIC_URL at the ASMIS API (its /v1/health answers 200)")
    return ok(f"{NAME} url", f"{base} answers /v1/health")


def _url(public: str, vendor: str) -> str:
    return public.rstrip("/").removesuffix("/v1") + f"/v1/webhooks/{vendor}"
