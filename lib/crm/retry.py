"""Retries for CRM calls: a 429 waits (its Retry-After, capped) and a 5xx or a lost connection backs off,
a bounded number of times; then the CRM is reported unavailable. The CRM clients raise `Transient` for
what a retry can outlive and CrmAuthError / CrmError for what it cannot."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from lib.errors import CrmUnavailable
from lib.words import count

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Transient(Exception):  # noqa: N818 - internal signal, never leaves this package
    def __init__(self, reason: str, wait: float | None = None, policy: str | None = None) -> None:
        self.reason, self.wait, self.policy = reason, wait, policy
        super().__init__(reason)


def with_retries(call: Callable[[], T], *, crm: str, what: str, retries: int, wait_cap: float,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    for attempt in range(retries + 1):
        try:
            return call()
        except Transient as exc:
            if attempt == retries:
                raise CrmUnavailable(f"{crm}: {what}: {exc.reason} (after {count(attempt + 1, 'attempt')})") from None
            wait = min(exc.wait if exc.wait is not None else 0.5 * 2**attempt, wait_cap)
            # One line per retry with its reason and wait (the CLI prints the message, not the extras).
            logger.warning("%s: %s: %s; retry %d of %d in %.1f s", crm, what, exc.reason, attempt + 1, retries, wait,
                           extra={"crm": crm, "what": what, "reason": exc.reason, "policy": exc.policy,
                                  "wait_s": wait, "attempt": attempt + 1})
            sleep(wait)
    raise AssertionError("unreachable")


def retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class RequestPacer:
    """At most `limit` requests in any `window_s` seconds (a sliding window), kept below a CRM's documented
    limit so that a long push does not run into 429s at all (HubSpot: 100 to 190 per 10 s by plan)."""

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit, self.window_s, self.clock, self.sleep = limit, window_s, clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            while self._sent and now - self._sent[0] >= self.window_s:
                self._sent.popleft()
            if len(self._sent) >= self.limit:
                pause = self.window_s - (now - self._sent[0])
                self.sleep(pause)
                now += pause
                self._sent.popleft()
            self._sent.append(now)
