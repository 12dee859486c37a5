"""The metadata block at the top of a text or Markdown transcript, in the spellings people use:

    # Discovery call: Kestrel Foods          (a first heading is the title)
    **Date:** March 3, 2026                  (also `Date:`, `# Date:`, `__Date__:`, YAML front matter)
    **Call ID:** KF-0303
    **Participants:**                        (or `Attendees`; a list below, or inline, comma-separated)
    - Lena Park (Account Executive, Northwind)
    - Bob Stone (CFO, Kestrel Foods)

Known keys: title, date (and time), call id, deal, participants/attendees. Other `# Key: value` lines
land in metadata under the lower-cased key, as they always did. The header ends at the first line that
is none of these; headings and horizontal rules in it are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.transcripts.dates import parse_header_date
from lib.transcripts.people import Participant, parse_participants
from lib.transcripts.turns import parse_when

_FIELD = re.compile(r"^(?P<hash>#+)?[ \t]{0,4}(?P<open>\*\*|__)?[ \t]{0,4}(?P<key>[A-Za-z][\w /-]{0,30}?)[ \t]{0,4}"
                    r"(?:(?P=open)[ \t]{0,4}:|:[ \t]{0,4}(?P=open)|:)\s*(?P<value>.*)$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<text>.+)$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_DURATION = re.compile(r"^\s*(?=\d)(?:\d+h\s*)?(?:\d+m\s*)?(?:\d+s)?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+(?P<text>.+)$")
_KEYS = {
    "title": "title", "subject": "title", "meeting": "title", "call": "title", "topic": "title",
    "call id": "call_id", "call-id": "call_id", "call_id": "call_id", "meeting id": "call_id",
    "deal": "deal_id", "deal id": "deal_id", "deal-id": "deal_id", "deal_id": "deal_id", "opportunity": "deal_id",
    "date": "date", "occurred at": "date", "occurred-at": "date", "occurred_at": "date", "when": "date",
    "recorded": "date", "time": "time", "participants": "participants", "attendees": "participants",
    "duration": "duration", "company": "company", "account": "company", "location": "location",
}


@dataclass
class Header:
    metadata: dict[str, Any] = field(default_factory=dict)
    participants: list[Participant] = field(default_factory=list)
    occurred_at: datetime | None = None
    body: list[str] = field(default_factory=list)


def read_header(lines: list[str], warnings: list[str], *, markdown: bool = False, preamble: bool = False) -> Header:
    """With `markdown`, a `# Something: else` line of an unknown key is a heading, not a field. With
    `preamble` (the lines above an export's first utterance, all of them header), a bare line is the
    title, then the date, then the length (`32m 10s`), as Otter and Teams write them."""
    header = Header()
    date = time = None
    date_label = "the date line" if preamble else "header Date"
    in_front = bool(lines) and lines[0].strip() == "---"  # YAML-style front matter, as note apps write it
    index = 1 if in_front else 0
    in_people = False
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if in_front and line == "---":
            in_front = in_people = False
            continue
        if not line or _RULE.match(line):
            in_people = in_people and not _RULE.match(line)
            continue
        item = _LIST_ITEM.match(line)
        if in_people and item:
            header.participants += parse_participants(item["text"], one=True)
            continue
        in_people = False
        key, value, hashed = _field(line, in_front)
        if markdown and key not in _KEYS.values() and not in_front:
            key = None
        if key is None:
            heading = _HEADING.match(line)
            text = heading["text"].rstrip("# \t") if heading else ""
            if text and "title" not in header.metadata and not _is_section(text):
                header.metadata["title"] = _plain(text)
            if heading:
                continue
            if preamble:
                date = _bare_line(line, header, date)
                continue
            index -= 1
            break
        if key == "participants":
            header.participants += parse_participants(value) if value else []
            in_people = not value
        elif key == "date":
            date, date_label = value, f"'# {line.lstrip('#').split(':')[0].strip()}'" if hashed else date_label
        elif key == "time":
            time = value
        elif key in _KEYS.values() or hashed:
            header.metadata[key] = value
        else:
            index -= 1
            break
    header.body = lines[index:]
    if date:
        header.occurred_at = _when(date, time, warnings, date_label)
    return header


def _bare_line(line: str, header: Header, date: str | None) -> str | None:
    """One unlabelled preamble line: the title, the date or the length; returns the date so far."""
    if _DURATION.match(line):
        header.metadata["duration"] = line
    elif "title" not in header.metadata:
        header.metadata["title"] = _plain(line)
    elif date is None and any(char.isdigit() for char in line):
        return line
    return date


def _when(date: str, time: str | None, warnings: list[str], label: str) -> datetime | None:
    """ISO 8601 as it always was (`parse_when`); anything else, or a date with a separate `Time:`,
    through the date parser."""
    try:
        datetime.fromisoformat(date.strip())
    except ValueError:
        return parse_header_date(f"{date} {time or ''}", warnings, label)
    return parse_header_date(f"{date} {time}", warnings, label) if time else parse_when(date, warnings, label)


def _field(line: str, any_key: bool) -> tuple[str | None, str, bool]:
    """(normalised key, value, kept whatever its key) for a known key, or any `# Key: value` line (any
    `key: value` line in front matter)."""
    match = _FIELD.match(line)
    if not match:
        return None, "", False
    raw = match["key"].strip().lower()
    key = _KEYS.get(raw)
    hashed = bool(match["hash"]) or any_key
    if key is None and not hashed:
        return None, "", False
    return key or raw.replace(" ", "_").replace("-", "_"), _plain(match["value"]), hashed


def _is_section(text: str) -> bool:
    return _plain(text).casefold() in ("transcript", "notes", "call notes", "summary", "conversation")


def _plain(text: str) -> str:
    return re.sub(r"(\*\*|__|`)", "", text).strip().strip("\"'").strip()
