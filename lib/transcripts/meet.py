"""Google Meet-style transcripts (the Google Doc Meet saves, downloaded as text):

    Kestrel pricing (2026-03-03 14:02 GMT) - Transcript
    Attendees
    Bob Stone, Ivy Chen, Lena Park
    Transcript
    00:00:00

    Lena Park: Thanks for joining.
    Bob Stone: Glad to.
    00:05:00
    ...
    Meeting ended after 00:31:07

A bare `hh:mm:ss` line marks the time of the lines below it; each `Name: text` line is a turn with that
time. The title (without ` - Transcript`) is the call's title; a date in it sets `occurred_at`; the
attendees are the participants.
"""

from __future__ import annotations

import re

from lib.transcripts.dates import parse_header_date
from lib.transcripts.header import Header
from lib.transcripts.models import ParsedTranscript
from lib.transcripts.people import Participant, split_outside_parens
from lib.transcripts.text import line_turns, transcript_from

_TITLE = re.compile(r"^(?P<title>.*?)\s*[-–—]\s*Transcript\s*$", re.IGNORECASE)
_CLOCK_LINE = re.compile(r"^\s*(?P<clock>\d{1,2}:\d{2}:\d{2})\s*$")
_ENDED = re.compile(r"^\s*Meeting ended after\s+(?P<clock>[\d:]+)", re.IGNORECASE)
_DATE_IN_TITLE = re.compile(r"\((?P<when>[^()]{6,60})\)\s*$")
MAX_TITLE = 300  # a title line longer than this is not Meet's, and is never searched
_GMT = re.compile(r"\b(?:GMT|UTC)(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?\b")
_SECTIONS = ("attendees", "transcript")


def looks_like_meet(text: str) -> bool:
    """The `... - Transcript` title and a bare time line; or, without the title, an `Attendees` line."""
    lines = text.split("\n")
    head = [line.strip() for line in lines[:12] if line.strip()]
    clocks = sum(1 for line in lines if _CLOCK_LINE.match(line))
    titled = bool(head) and len(head[0]) <= MAX_TITLE and bool(_TITLE.match(head[0]))
    return clocks >= 1 and (titled or any(line.casefold() == "attendees" for line in head[:3]))


def parse_meet(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    lines = text.split("\n")
    header = Header()
    index = _read_title(lines, header, warnings)
    body: list[str] = []
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if line.casefold() == "attendees" and index < len(lines):
            header.participants = [Participant(name) for name in split_outside_parens(lines[index])]
            index += 1
        elif line.casefold() in _SECTIONS or not line:
            continue
        elif (ended := _ENDED.match(line)) is not None:
            header.metadata["duration"] = ended["clock"]
        else:  # a bare time dates the labelled lines below it (`text.line_turns`)
            body.append(line)
    return transcript_from("meet", line_turns(body), header, warnings)


def _read_title(lines: list[str], header: Header, warnings: list[str]) -> int:
    for index, line in enumerate(lines):
        match = _TITLE.match(line.strip()) if len(line) <= MAX_TITLE else None
        if match:
            title = match["title"]
            when = _DATE_IN_TITLE.search(title)
            if when and any(char.isdigit() for char in when["when"]):
                header.occurred_at = parse_header_date(_gmt(when["when"]), warnings, "title date")
                title = title[: when.start()].strip()
            header.metadata["title"] = title
            return index + 1
        if line.strip():
            return index
    return len(lines)


def _gmt(value: str) -> str:
    """`GMT+1` as an ISO offset: dateutil reads `GMT+1` the POSIX way, one hour the wrong side."""
    def offset(m: re.Match[str]) -> str:
        return f"{m['sign']}{int(m['hours']):02d}:{m['minutes'] or '00'}"
    return _GMT.sub(offset, value)
