"""JSON answers for the hot read paths, written straight from the rows: the route still declares its
response model (the OpenAPI schema, and the schemathesis pass that holds answers to it), but a page of rows
is not validated a second time on the way out."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from starlette.responses import Response

from lib.models import json_time


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return json_time(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_response(payload: Any, status_code: int = 200) -> Response:
    body = json.dumps(payload, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json")
