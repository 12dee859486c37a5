"""Dates as people write them in a header (`March 3, 2026`, `03/04/2026 2:00 PM ET`, `3 Mar 2026`), read
with python-dateutil.

Day or month first is decided from the value's own form: a part over 12 settles it; dotted dates
(`03.04.2026`) are day-first, as where that form is written; `2026-03-04` is year-month-day. A slashed
date that could be either is read month-first, with a warning naming the reading. A value without a
time zone is taken as UTC (with a warning when it has a time of day).
"""

from __future__ import annotations

import re
import warnings as pywarnings
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{2,4})\b")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\b\d{1,2}\s*(?:am|pm)\b", re.IGNORECASE)
_HOURS = {"UTC": 0, "GMT": 0, "Z": 0, "ET": -5, "EST": -5, "EDT": -4, "CT": -6, "CST": -6, "CDT": -5,
          "MT": -7, "MST": -7, "MDT": -6, "PT": -8, "PST": -8, "PDT": -7, "BST": 1, "CET": 1, "CEST": 2,
          "IST": 5.5, "AEST": 10, "AEDT": 11, "JST": 9, "SGT": 8}
MAX_VALUE = 120  # longer is not a date; and the parser's time grows with the text
TZINFOS = {name: timezone(timedelta(hours=hours)) for name, hours in _HOURS.items()}
# How a warning about a file's own date ends (here and in turns.parse_when): moot when --occurred-at
# overrides that date.
NOT_A_DATE = ": not a date"
NOT_ISO = ": not an ISO 8601 date-time"
NO_ZONE = " has no time zone; assumed UTC"
AMBIGUOUS = " could be day or month first; read as month/day/year"


def is_date_warning(warning: str) -> bool:
    return warning.endswith((NOT_A_DATE, NOT_ISO, NO_ZONE, AMBIGUOUS))


def parse_header_date(value: str, warnings: list[str], field: str) -> datetime | None:
    """An aware datetime, or None (with a warning) when the value is not a date."""
    text = value.strip().rstrip(".")
    if not text:
        return None
    if not any(char.isdigit() for char in text) or len(text) > MAX_VALUE:
        warnings.append(f"ignored {field} {text[:40]!r}{NOT_A_DATE}")
        return None
    dayfirst = _dayfirst(text, warnings, field)
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")  # an unknown zone name: dropped, then UTC below
            when = dateutil_parser.parse(text, dayfirst=dayfirst, fuzzy=True, tzinfos=TZINFOS)
    except (ValueError, OverflowError):
        warnings.append(f"ignored {field} {text[:40]!r}{NOT_A_DATE}")
        return None
    if when.tzinfo is None:
        if _HAS_TIME.search(text):
            warnings.append(f"{field}{NO_ZONE}")
        when = when.replace(tzinfo=UTC)
    return when


def _dayfirst(text: str, warnings: list[str], field: str) -> bool:
    match = _NUMERIC.search(text)
    if not match:
        return False
    first, second = int(match["a"]), int(match["b"])
    if first > 12:
        return True
    if second > 12 or match["sep"] == "-":
        return False
    if match["sep"] == ".":
        return True
    if first != second:
        warnings.append(f"{field} {match.group()!r}{AMBIGUOUS}")
    return False
