"""An account's rate limits for the fake Messages API: opt-in token buckets that send the API's headers.

    fake.rate_limits = AccountBuckets(input_tokens=40_000, window_s=6)   # "per minute" scaled to 6 s

Like the API's (https://docs.anthropic.com/en/api/rate-limits), each limit is a token bucket refilled
continuously at `limit / window_s` up to `limit`. A request is admitted when every bucket can pay for it:
requests and input tokens are taken on arrival, output tokens when the reply is sent (a bucket in debt
refuses new requests until it has refilled). Input tokens are those the API counts toward its limit:
uncached input plus cache writes (cache reads are free). A refused request gets a 429 rate_limit_error
with `retry-after` (fractional seconds, so a scaled-down window stays precise). Every reply, 429s
included, carries `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`
for the buckets that are set, `reset` being the RFC 3339 time the bucket is full again.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class _Bucket:
    limit: float
    rate: float  # units per second
    level: float
    at: float

    def refill(self, now: float) -> None:
        self.level = min(self.limit, self.level + self.rate * (now - self.at))
        self.at = now

    def seconds_until(self, amount: float) -> float:
        return max(0.0, (min(amount, self.limit) - self.level) / self.rate)


@dataclass
class BucketTotals:
    admitted: int = 0
    refused: int = 0
    charged: dict[str, int] = field(default_factory=lambda: {"requests": 0, "input-tokens": 0, "output-tokens": 0})
    first_admitted_at: float | None = None


class AccountBuckets:
    """The account's limits per window (None: unlimited). Thread-safe: the fake's loop and tests read it."""

    def __init__(self, *, requests: int | None = None, input_tokens: int | None = None,
                 output_tokens: int | None = None, window_s: float = 60.0) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        now = time.monotonic()
        limits = {"requests": requests, "input-tokens": input_tokens, "output-tokens": output_tokens}
        self.window_s = window_s
        self._buckets = {name: _Bucket(float(limit), limit / window_s, float(limit), now)
                         for name, limit in limits.items() if limit is not None}
        self._lock = threading.Lock()
        self.totals = BucketTotals()

    @property
    def limits(self) -> dict[str, float]:
        return {name: b.limit for name, b in self._buckets.items()}

    def take(self, input_tokens: int) -> float | None:
        """Admit a request (None) or refuse it: the seconds until the buckets could pay for it."""
        cost = {"requests": 1.0, "input-tokens": float(input_tokens), "output-tokens": 1.0}
        with self._lock:
            now = time.monotonic()
            wait = 0.0
            for name, bucket in self._buckets.items():
                bucket.refill(now)
                wait = max(wait, bucket.seconds_until(cost[name]))
            if wait > 0:
                self.totals.refused += 1
                return wait
            for name in ("requests", "input-tokens"):
                if name in self._buckets:
                    self._buckets[name].level -= cost[name]
            self.totals.admitted += 1
            self.totals.charged["requests"] += 1
            self.totals.charged["input-tokens"] += input_tokens
            if self.totals.first_admitted_at is None:
                self.totals.first_admitted_at = now
            return None

    def settle(self, output_tokens: int) -> None:
        """Charge a reply's output tokens as it is sent."""
        with self._lock:
            self.totals.charged["output-tokens"] += output_tokens
            if (bucket := self._buckets.get("output-tokens")) is not None:
                bucket.refill(time.monotonic())
                bucket.level -= output_tokens

    def headers(self) -> dict[str, str]:
        with self._lock:
            now, wall = time.monotonic(), time.time()
            headers: dict[str, str] = {}
            for name, bucket in self._buckets.items():
                bucket.refill(now)
                full_at = datetime.fromtimestamp(wall + bucket.seconds_until(bucket.limit), UTC)
                headers[f"anthropic-ratelimit-{name}-limit"] = str(int(bucket.limit))
                headers[f"anthropic-ratelimit-{name}-remaining"] = str(max(0, math.floor(bucket.level)))
                headers[f"anthropic-ratelimit-{name}-reset"] = full_at.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z")
            return headers
