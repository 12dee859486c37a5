"""Secrets the doctor must never print, even partly: every value of a variable whose name says it is a
secret, and the password (or, for webhooks, the path) inside a URL-valued one. The runner scrubs them
from every line as a last line of defence; the checks themselves never put a secret in what they say."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

REDACTED = "***"
# A run of this many characters of a secret is scrubbed wherever it appears: a prefix or suffix of a
# key ("sk-ant-api03-...x7Qa") is a leak too.
WINDOW = 8
MIN_SECRET = 6  # shorter values ("1", "true") are settings, not secrets
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|AUTH|CREDENTIAL|PRIVATE|WEBHOOK|"
                          r"CONNECTION_STRING|_KEY$")
_URL_NAME = re.compile(r"_URL$|_DSN$|CONNECTION_URL|_URI$")


def secrets_in(environ: Mapping[str, str]) -> set[str]:
    """The secret values this environment holds."""
    found: set[str] = set()
    for name, value in environ.items():
        if not value:
            continue
        if "://" in value and (_URL_NAME.search(name) or _SECRET_NAME.search(name)):
            found |= _url_secrets(value, whole_path="WEBHOOK" in name)
        elif _SECRET_NAME.search(name):
            found.add(value)
    return {s for s in found if len(s) >= MIN_SECRET}


def _url_secrets(url: str, *, whole_path: bool) -> set[str]:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return {url}
    found = {password, unquote(password)} if password else set()
    if parts.query:
        found.add(parts.query)  # ?password=... or a signed URL's signature
    if whole_path and parts.path.strip("/"):
        found.add(parts.path.strip("/"))  # a webhook URL is a credential: its path is the secret
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, and every WINDOW-long run of one, replaced by ***."""
    secrets = sorted(secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for secret in secrets:
        for start in range(len(secret) - WINDOW + 1):
            piece = secret[start:start + WINDOW]
            if piece in text:
                text = text.replace(piece, REDACTED)
    return text


def redact_url(url: str) -> str:
    """scheme://user@host:port/path: no password, no query (it may carry one)."""
    try:
        parts = urlsplit(url)
        host, port, user = parts.hostname or "", parts.port, parts.username
    except ValueError:
        return "(an unreadable URL)"
    netloc = (f"{user}@" if user else "") + host + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}{parts.path}"
