"""The API's rate-limit headers, read: `anthropic-ratelimit-{bucket}-{limit,remaining,reset}` and
`retry-after` (https://docs.anthropic.com/en/api/rate-limits#response-headers)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
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
