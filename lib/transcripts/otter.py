"""Otter-style text exports: a line with the speaker's name, two or more spaces and the time, then what
they said on the lines below, until the next such line:

    Lena Park  0:02
    Thanks for joining, everyone.

    Bob Stone  1:15
    Happy to be here.

Times are `m:ss` or `h:mm:ss` from the start of the call. A header above the first speaker line (title,
date, participants; see `header.py`) is read; the `Transcribed by otter.ai` line at the end is dropped.
Teams' .docx transcripts use the same shape (with one space allowed), so `docx.py` reads them with
`speaker_blocks` too.
"""

from __future__ import annotations

import re

from lib.transcripts.header import read_header
from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.text import transcript_from
from lib.transcripts.turns import looks_like_name

_CLOCK = r"(?P<clock>(?:\d{1,2}:)?\d{1,2}:\d{2})"
SPEAKER_LINE = re.compile(rf"^(?P<name>\S[^\t]{{0,60}}?)(?: {{2,}}|\t[ \t]*){_CLOCK}\s*$")
LOOSE_SPEAKER_LINE = re.compile(rf"^(?P<name>\S.{{0,60}}?)\s+{_CLOCK}\s*$")
MAX_SPEAKER_LINE = 100  # a name (at most 61 characters), spaces and a time
_TRAILER = re.compile(r"^\s*transcribed by\s+\S*otter\.ai\S*\s*$", re.IGNORECASE)


def looks_like_otter(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    hits = sum(1 for line in lines[:400] if _speaker(line, SPEAKER_LINE))
    return hits >= 2 or (hits == 1 and len(lines) <= 6)


def parse_otter(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    lines = [line for line in text.split("\n") if not _TRAILER.match(line)]
    first = next((i for i, line in enumerate(lines) if _speaker(line, SPEAKER_LINE)), len(lines))
    header = read_header(lines[:first], warnings, preamble=True)
    return transcript_from("otter", speaker_blocks(lines[first:], SPEAKER_LINE), header, warnings)


def speaker_blocks(lines: list[str], pattern: re.Pattern[str]) -> list[Turn]:
    """`Name  0:02` opens a turn; the lines below it, up to the next such line, are its text."""
    turns: list[Turn] = []
    speaker: tuple[str, int] | None = None
    said: list[str] = []
    for line in lines:
        found = _speaker(line, pattern)
        if found:
            if speaker:
                turns.append(Turn(speaker=speaker[0], start_ms=speaker[1], text=" ".join(said)))
            speaker, said = found, []
        elif line.strip():
            said.append(line.strip())
    if speaker:
        turns.append(Turn(speaker=speaker[0], start_ms=speaker[1], text=" ".join(said)))
    return turns


def _speaker(line: str, pattern: re.Pattern[str]) -> tuple[str, int] | None:
    line = line.strip()
    if len(line) > MAX_SPEAKER_LINE or not line[-1:].isdigit():  # cheap: most lines are not these
        return None
    match = pattern.match(line)
    if not match or not looks_like_name(match["name"].strip()):
        return None
    return match["name"].strip(), clock_ms(match["clock"])


def clock_ms(clock: str) -> int:
    parts = [int(float(p)) if "." not in p else float(p) for p in clock.split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return int(round(seconds * 1000))
