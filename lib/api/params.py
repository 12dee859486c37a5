"""Query and path parameters the routes share, validated so that nothing a client sends reaches the
database as a value it would refuse (a NUL byte, an id past bigint)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

MAX_ID = 2**63 - 1


def _printable(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Text = Annotated[str, AfterValidator(_printable)]
When = Annotated[datetime, AfterValidator(_utc)]
CallId = Annotated[int, Path(ge=1, le=MAX_ID, description="A call's id (a transcript id).")]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=512, description="The next_cursor of the page before.")]
