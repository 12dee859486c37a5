"""The two vendors' proofs that a webhook is theirs, checked on the raw body before anything is parsed.

- Zoom: `x-zm-signature` is `v0=` + hex HMAC-SHA256 of `v0:{x-zm-request-timestamp}:{body}` keyed with the
  app's secret token; a timestamp more than 300 s from now is refused (a replay). The URL validation
  challenge is answered with the HMAC of its `plainToken`.
- Gong: the `Authorization` header holds an RS256 JWT signed by the key Gong shows for the rule; its
  `exp`, its `webhook_url` (this endpoint's public URL) and its `body_sha256` (hex SHA-256 of the body)
  must all hold.

A refusal is a `Refused` with a reason that names what failed and never quotes a secret or a token."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import jwt

ZOOM_WINDOW_SECONDS = 300


class Refused(Exception):
    """The request is not proven to come from the vendor (answered 401, nothing stored)."""


def zoom_hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_zoom(secret: str, body: bytes, timestamp: str | None, signature: str | None, *,
                now: float | None = None) -> None:
    if not timestamp or not signature:
        raise Refused("x-zm-signature and x-zm-request-timestamp are required")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise Refused("x-zm-request-timestamp is not a number of seconds") from None
    if stamp > 10**11:  # milliseconds (Zoom sends seconds; tolerate the other unit)
        stamp //= 1000
    if abs((now if now is not None else time.time()) - stamp) > ZOOM_WINDOW_SECONDS:
        raise Refused(f"x-zm-request-timestamp is more than {ZOOM_WINDOW_SECONDS} s from now")
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(f"v0={mac}".encode(), signature.strip().encode()):
        raise Refused("x-zm-signature does not match the body")


def url_validation(secret: str, plain_token: str) -> dict[str, str]:
    """Zoom's challenge: the token back with its HMAC-SHA256 (hex) keyed with the secret token."""
    return {"plainToken": plain_token, "encryptedToken": zoom_hmac(secret, plain_token)}


def verify_gong(public_key: str, body: bytes, authorization: str | None, public_url: str | None) -> dict[str, Any]:
    """The JWT's claims once signature, expiry, URL and body hash hold."""
    if not authorization:
        raise Refused("the Authorization header (Gong's signed JWT) is missing")
    token = authorization.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        claims: dict[str, Any] = jwt.decode(token, pem(public_key), algorithms=["RS256"],
                                            options={"require": ["exp"], "verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise Refused("the JWT has expired") from None
    except jwt.InvalidSignatureError:
        raise Refused("the JWT is not signed by GONG_WEBHOOK_PUBLIC_KEY") from None
    except (jwt.InvalidKeyError, ValueError, TypeError):
        raise Refused("GONG_WEBHOOK_PUBLIC_KEY is not an RSA public key (PEM)") from None
    except jwt.InvalidTokenError as exc:
        raise Refused(f"the JWT is not valid ({type(exc).__name__})") from None
    expected = webhook_url(public_url, "gong")
    if expected is None:
        raise Refused("ASMIS_API_PUBLIC_URL is not set: the JWT's webhook_url cannot be checked")
    if _norm(str(claims.get("webhook_url", ""))) != _norm(expected):
        raise Refused("the JWT's webhook_url is not this endpoint")
    digest = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(str(claims.get("body_sha256", "")).lower().encode(), digest.encode()):
        raise Refused("the body does not match the JWT's body_sha256")
    return claims


def webhook_url(public_url: str | None, vendor: str) -> str | None:
    """The one URL to paste into the vendor's admin page."""
    if not public_url:
        return None
    return public_url.rstrip("/").removesuffix("/v1") + f"/v1/webhooks/{vendor}"


def pem(value: str) -> str:
    """A PEM as an environment variable often holds it: on one line with literal `\\n`."""
    return value.replace("\\n", "\n").strip()


def _norm(url: str) -> str:
    return url.strip().rstrip("/").lower()
