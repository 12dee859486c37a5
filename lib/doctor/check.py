"""The doctor's record of one check, and what every check is given."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

from lib.settings import Settings

Status = Literal["ok", "warn", "fail"]
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """What one check found; `fix` is the one thing to do about it (empty when ok)."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warn(name: str, detail: str, fix: str) -> Check:
    return Check(name, "warn", detail, fix)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


@dataclass(frozen=True)
class DoctorContext:
    settings: Settings
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    timeout: float = DEFAULT_TIMEOUT  # per group of checks; a check's own network timeouts stay below it
    send_test: bool = False  # checks that could post something (Slack) post only when this is set

    @property
    def io_timeout(self) -> float:
        """For one network call inside a check: short of the group's timeout, so the check can say which
        service did not answer before the runner gives up on the whole group."""
        return max(self.timeout * 0.8, 0.1)


CheckGroup = Callable[[DoctorContext], Awaitable[list[Check]]]


@dataclass(frozen=True)
class Group:
    """A group of checks run as one unit under one timeout; `name` and `on_timeout` make the line
    shown when it does not finish in time. `prepare` runs first, in a thread and outside the timeout:
    loading a library (the anthropic SDK takes seconds) is not a service failing to answer."""

    name: str
    run: CheckGroup
    on_timeout: str
    prepare: Callable[[DoctorContext], None] | None = None
