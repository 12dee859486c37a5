"""What the doctor tests share: services that misbehave the way a broken setup does, and one call that
runs a group of checks the way `asmis doctor` does (runner, timeout, scrubbing)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from lib.doctor.check import Check, DoctorContext, Group
from lib.doctor.runner import run_checks
from lib.settings import Settings


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel completes them) and never answers a byte: a hung
    service."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on: a stopped service (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_group(group: Group, *, timeout: float = 10.0, send_test: bool = False) -> list[Check]:
    """The group's checks from the environment as it is now (monkeypatched by the test)."""
    return await run_checks(DoctorContext(Settings(), timeout=timeout, send_test=send_test), [group])


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}
