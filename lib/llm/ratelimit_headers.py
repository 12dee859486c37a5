"""The API's rate-limit headers, read: `anthropic-ratelimit-{bucket}-{limit,remaining,reset}` and
`retry-after` (https://docs.anthropic.com/en/api/rate-limits#response-headers), and OpenAI's
`x-ratelimit-*` translated into them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BUCKETS = ("requests", "input-tokens", "output-tokens")


@dataclass(frozen=True)
class BucketReport:
    """One bucket as a reply reported it."""

    limit: float
    remaining: float
    reset_in: float | None  # seconds until full; None when the header is missing or unreadable


def parse_rate_limits(headers: Mapping[str, str], now_wall: float) -> dict[str, BucketReport]:
    """The buckets a reply reports; one missing its limit or remaining, or not a number, is left out."""
    reports: dict[str, BucketReport] = {}
    for bucket in BUCKETS:
        try:
            limit = float(headers[f"anthropic-ratelimit-{bucket}-limit"])
            remaining = float(headers[f"anthropic-ratelimit-{bucket}-remaining"])
        except (KeyError, ValueError):
            continue
        if not (limit > 0 and math.isfinite(limit) and math.isfinite(remaining)):
            continue
        reset_in = _seconds_until(headers.get(f"anthropic-ratelimit-{bucket}-reset"), now_wall)
        reports[bucket] = BucketReport(limit, min(max(remaining, 0.0), limit), reset_in)
    return reports


def parse_retry_after(headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds a 429 asks to wait: `retry-after-ms`, `retry-after` in seconds or as an HTTP date."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    value = headers.get("retry-after")
    if value:
        try:
            return max(parsedate_to_datetime(value).timestamp() - now_wall, 0.0)
        except (TypeError, ValueError):
            return None
    return None


def _seconds_until(stamp: str | None, now_wall: float) -> float | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - now_wall, 0.0)


# OpenAI's headers (https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers):
# x-ratelimit-{limit,remaining,reset}-{requests,tokens}, the reset a duration such as `1s`, `6m0s` or `20ms`.
# Tokens count input and output together: they are mirrored as the input-tokens bucket.
_OPENAI_BUCKETS = {"requests": "requests", "tokens": "input-tokens"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def openai_duration(value: str | None) -> float | None:
    """`6m0s` -> 360.0; None when it is not such a duration."""
    if not value:
        return None
    parts = _DURATION.findall(value.strip())
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def openai_as_anthropic(headers: Mapping[str, str], now_wall: float) -> dict[str, str]:
    """OpenAI's rate-limit headers in the Anthropic names the pacer reads (and any retry-after as it is);
    an empty dict when the reply carried none (a local server): the pacer then stays out of the way."""
    out: dict[str, str] = {}
    for theirs, ours in _OPENAI_BUCKETS.items():
        limit, remaining = headers.get(f"x-ratelimit-limit-{theirs}"), headers.get(f"x-ratelimit-remaining-{theirs}")
        if limit is None or remaining is None:
            continue
        out[f"anthropic-ratelimit-{ours}-limit"] = limit
        out[f"anthropic-ratelimit-{ours}-remaining"] = remaining
        seconds = openai_duration(headers.get(f"x-ratelimit-reset-{theirs}"))
        if seconds is not None:
            out[f"anthropic-ratelimit-{ours}-reset"] = datetime.fromtimestamp(
                now_wall + seconds, tz=UTC).isoformat()
    for name in ("retry-after", "retry-after-ms"):
        if name in headers:
            out[name] = headers[name]
    return out


def cap_retry_after(headers: MutableMapping[str, str], cap: float) -> None:
    """Rewrite a reply's `retry-after(-ms)` to at most `cap` seconds (an HTTP date: to `cap`), before an SDK
    reads it: a server's one-hour wait parks a call for `cap` at most, and the SDK still retries."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
        if seconds > cap:
            headers[name] = f"{cap * scale:g}"
    if "retry-after" in headers:
        try:
            float(headers["retry-after"])
        except ValueError:
            headers["retry-after"] = f"{cap:g}"
