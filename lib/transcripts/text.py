"""Plain-text transcripts: one `Name: text` line per turn, optionally prefixed `[hh:mm:ss]` or `[mm:ss]`
(parentheses work too), or `Name (00:06): text`.

A line without a speaker label continues the previous turn (wrapped paragraphs); text before the first
label becomes a turn without a speaker. Lines are not merged across labels: a writer who starts a new
`Name:` line meant a new turn.

Optional header lines at the very top, before any turn, describe the call (`header.py` has them all):
    # Title: Northwind discovery call
    # Date: 2025-03-04T15:00:00-05:00      (ISO 8601, or as people write it: `Date: March 3, 2026`)
    # Deal: NW-2025-014                     (also `# Deal-Id:`)
    Participants: Lena Park (AE, Northwind), Bob Stone (CFO, Kestrel Foods)
Other `# Key: value` header lines land in `metadata` under the lower-cased key.
"""

from __future__ import annotations

import re

from lib.transcripts.header import Header, read_header
from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.turns import build_turns, check_turn_count, require_turns, split_speaker

_BARE_CLOCK = re.compile(r"^\s*[\[(]?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?[\])]?\s*$")
_STAMP = re.compile(r"^\s*[\[(](?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?[\])]\s*(?P<rest>.*)$")


def parse_text(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    header = read_header(text.split("\n"), warnings)
    return transcript_from("txt", line_turns(header.body), header, warnings)


def transcript_from(format: str, turns: list[Turn], header: Header, warnings: list[str], *,
                    merge: bool = False) -> ParsedTranscript:
    return ParsedTranscript(format=format, turns=require_turns(build_turns(turns, merge=merge)),
                            metadata=header.metadata, occurred_at=header.occurred_at,
                            participants=header.participants, warnings=warnings)


def line_turns(lines: list[str]) -> list[Turn]:
    """A line that is only a time (`00:05:00`, `[12:30]`) dates the labelled lines below it. An
    unlabelled line continues the turn above: its pieces are collected and joined once per turn."""
    turns: list[Turn] = []
    open_turn: tuple[str | None, int | None] | None = None
    parts: list[str] = []
    clock: int | None = None

    def close() -> None:
        if open_turn is not None:
            turns.append(Turn(speaker=open_turn[0], start_ms=open_turn[1], end_ms=None, text=" ".join(parts)))
            check_turn_count(len(turns))

    for line in lines:
        bare = _BARE_CLOCK.match(line)
        if bare:
            clock = _ms(bare.groups())
            continue
        start_ms, rest = split_stamp(line)
        speaker, said = split_speaker(rest)
        start_ms = clock if start_ms is None and speaker is not None else start_ms
        if speaker is None and open_turn is not None:
            parts.append(said)
        elif speaker is not None or said:
            close()
            open_turn, parts = (speaker, start_ms), [said]
    close()
    return turns


def split_stamp(line: str) -> tuple[int | None, str]:
    match = _STAMP.match(line)
    if not match:
        return None, line
    return _ms(match.groups()[:3]), match["rest"]


def _ms(parts: tuple[str | None, ...]) -> int:
    hours, minutes, seconds = (int(part or 0) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000
