"""Opaque page cursors: the last row's keyset, base64url JSON. A client only passes them back."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from lib.api.problems import Problem


def encode_cursor(*values: Any) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """The keyset values of a cursor made by encode_cursor with these types; 422 naming `cursor` otherwise."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        out: list[Any] = []
        for kind, value in zip(kinds, values, strict=True):
            if kind is datetime:
                when = datetime.fromisoformat(value)
                if when.tzinfo is None:
                    raise ValueError
                out.append(when)
            elif kind is int and isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                out.append(value)
            elif kind is str and isinstance(value, str):
                out.append(value)
            else:
                raise ValueError
        return tuple(out)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise Problem(422, "query parameter cursor: not a cursor this API gave (pass next_cursor back as it is)",
                      errors=[{"parameter": "query parameter cursor", "message": "invalid cursor"}]) from None
