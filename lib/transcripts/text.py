"""Plain-text transcripts: one `Name: text` line per turn, optionally prefixed `[hh:mm:ss]` or `[mm:ss]`
(parentheses work too).

A line without a speaker label continues the previous turn (wrapped paragraphs); text before the first
label becomes a turn without a speaker. Lines are not merged across labels: a writer who starts a new
`Name:` line meant a new turn.

Optional header lines at the very top, before any turn, describe the call:
    # Title: Northwind discovery call
    # Date: 2025-03-04T15:00:00-05:00      (ISO 8601; also `# Occurred-At:`)
    # Deal: NW-2025-014                     (also `# Deal-Id:`)
Other `# Key: value` header lines land in `metadata` under the lower-cased key.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.turns import build_turns, parse_when, require_turns, split_speaker

_STAMP = re.compile(r"^\s*[\[(](?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?[\])]\s*(?P<rest>.*)$")
_HEADER = re.compile(r"^#\s*(?P<key>[A-Za-z][\w -]*?)\s*:\s*(?P<value>.*)$")
_KEYS = {"title": "title", "deal": "deal_id", "deal-id": "deal_id", "deal id": "deal_id", "deal_id": "deal_id"}
_DATE_KEYS = ("date", "occurred-at", "occurred_at", "occurred at")


def parse_text(text: str) -> ParsedTranscript:
    lines = text.split("\n")
    metadata: dict[str, Any] = {}
    warnings: list[str] = []
    occurred_at, body = _read_header(lines, metadata, warnings)
    turns = build_turns(_turns(body), merge=False)
    return ParsedTranscript(format="txt", turns=require_turns(turns), metadata=metadata,
                            occurred_at=occurred_at, warnings=warnings)


def _read_header(lines: list[str], metadata: dict[str, Any],
                 warnings: list[str]) -> tuple[datetime | None, list[str]]:
    occurred_at = None
    for index, line in enumerate(lines):
        match = _HEADER.match(line.strip())
        if not match:
            if line.strip():
                return occurred_at, lines[index:]
            continue
        key, value = match["key"].lower(), match["value"].strip()
        if key in _DATE_KEYS:
            occurred_at = parse_when(value, warnings, f"'# {match['key']}'")
        else:
            metadata[_KEYS.get(key, key.replace(" ", "_").replace("-", "_"))] = value
    return occurred_at, []


def _turns(lines: list[str]) -> list[Turn]:
    turns: list[Turn] = []
    for line in lines:
        start_ms, rest = _split_stamp(line)
        speaker, said = split_speaker(rest)
        if speaker is None and turns:
            last = turns[-1]
            turns[-1] = Turn(speaker=last.speaker, start_ms=last.start_ms, end_ms=None, text=f"{last.text} {said}")
        elif speaker is not None or said:
            turns.append(Turn(speaker=speaker, start_ms=start_ms, end_ms=None, text=said))
    return turns


def _split_stamp(line: str) -> tuple[int | None, str]:
    match = _STAMP.match(line)
    if not match:
        return None, line
    hours, minutes, seconds = (int(part or 0) for part in match.groups()[:3])
    return ((hours * 60 + minutes) * 60 + seconds) * 1000, match["rest"]

