"""One HTTP client for the source APIs (Gong, Zoom): paced, retrying 429 (after its Retry-After, capped)
and 5xx or a lost connection (a bounded number of times), and turning every failure into one SourceError
line that names the source and never carries a credential or a header."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from lib.errors import SourceError
from lib.words import count


class Pacer:
    """At most `ceil(rate)` requests in any `ceil(rate) / rate` seconds, counted from when each reply came
    back: a request may go only once the one `limit` requests before it has been answered a period ago.
    The server saw that one arrive before it answered, so however the network or this event loop delays
    a request, the server never counts more than `limit` in a period (3 in any second, for Gong at 3)."""

    def __init__(self, rate: float) -> None:
        self.limit = max(1, math.ceil(rate))
        self.period = self.limit / rate
        self._done: deque[float] = deque()  # when the latest replies came back
        self._in_flight = 0
        self._hold_until = 0.0
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._lock:
            while (wait := self._wait(time.monotonic())) > 0:
                await asyncio.sleep(wait)
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._done.append(time.monotonic())

    def _wait(self, now: float) -> float:
        while self._done and now - self._done[0] >= self.period:
            self._done.popleft()
        if self._hold_until > now:
            return self._hold_until - now
        if len(self._done) + self._in_flight < self.limit:
            return 0.0
        return self._done[0] + self.period - now if self._done else 0.01

    def hold(self, seconds: float) -> None:
        """The server asked for a pause (Retry-After): no request before it ends."""
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)


class SourceHTTP:
    def __init__(self, source: str, base_url: str, *, rate: float | None, retries: int,
                 retry_after_max: float, auth: httpx.Auth | None = None, timeout: float = 30.0) -> None:
        self.source = source
        self.pacer = Pacer(rate) if rate else None
        self.retries = retries
        self.retry_after_max = retry_after_max
        self.requests = 0
        self.throttled = 0  # 429s answered, each waited out
        self.client = httpx.AsyncClient(base_url=base_url, auth=auth, timeout=timeout, follow_redirects=True)

    async def request(self, method: str, url: str, *, ok: tuple[int, ...] = (200,),
                      **kwargs: Any) -> httpx.Response:
        """The response when its status is in `ok`; 401/403 and other 4xx raise a permanent SourceError."""
        attempt = 0
        while True:
            self.requests += 1
            try:
                async with AsyncExitStack() as stack:
                    if self.pacer:
                        await stack.enter_async_context(self.pacer.slot())
                    response = await self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise SourceError(f"{self.source}: cannot reach {self.client.base_url.host or 'the API'} "
                                      f"({type(exc).__name__})", source=self.source, retryable=True) from None
                await self._backoff(attempt)
                attempt += 1
                continue
            if response.status_code in ok:
                return response
            if response.status_code == 429:
                wait = retry_after(response)
                if wait > self.retry_after_max or attempt >= self.retries + 2:
                    raise SourceError(f"{self.source}: rate limited (HTTP 429, retry after {wait:.0f} s); "
                                      "the next pull carries on", source=self.source, retryable=True)
                self.throttled += 1
                if self.pacer:
                    self.pacer.hold(wait)
                else:
                    await asyncio.sleep(wait)
                attempt += 1
                continue
            if response.status_code >= 500:
                if attempt >= self.retries:
                    raise SourceError(f"{self.source}: the API failed (HTTP {response.status_code}) "
                                      f"after {count(attempt + 1, 'attempt')}", source=self.source, retryable=True)
                await self._backoff(attempt)
                attempt += 1
                continue
            return response  # a 4xx the caller decides about (Gong's 404 is an empty page)

    async def _backoff(self, attempt: int) -> None:
        await asyncio.sleep(min(0.2 * 4**attempt, 10.0) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter

    def refuse(self, response: httpx.Response, what: str, hint: str) -> SourceError:
        """The one line for a 4xx: which source, which request, the status, what to check."""
        if response.status_code in (401, 403):
            return SourceError(f"{self.source}: {what} refused (HTTP {response.status_code}): {hint}",
                               source=self.source)
        return SourceError(f"{self.source}: {what} failed (HTTP {response.status_code})", source=self.source)

    async def aclose(self) -> None:
        await self.client.aclose()


def retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds (a number; an HTTP date counts as 60 s); 1 s when absent."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 60.0 if value else 1.0


class OverHTTP:
    """A source that talks to an API through one SourceHTTP: its request and 429 counts are the client's."""

    http: SourceHTTP

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def throttled(self) -> int:
        return self.http.throttled
