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
from collections.abc import Callable

from lib.transcripts.banner import read_top, second_call
from lib.transcripts.checks import turn_problems, unread_labels
from lib.transcripts.header import Header
from lib.transcripts.labels import Labels, normalise_lines, read_label, resolve_roles
from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.notes import split_notes
from lib.transcripts.people import resolve_label
from lib.transcripts.turns import build_turns, require_turns, split_speaker

_BARE_CLOCK = re.compile(r"^\s*[\[(]?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?[\])]?\s*$")
_STAMP = re.compile(r"^\s*[\[(](?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?[\])]\s*(?P<rest>.*)$")


def parse_text(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    lines = text.split("\n")
    header = read_top(lines, warnings)
    return dialogue("txt", header, warnings, first_line=len(lines) - len(header.body) + 1)


def dialogue(format: str, header: Header, warnings: list[str], *, first_line: int,
             clean: Callable[[str], str] | None = None) -> ParsedTranscript:
    """The lines below the header as turns: a trailing notes section set aside (`notes.py`), labels read
    by the grammar (`labels.py`), a second call refused, and the checks (`checks.py`) run."""
    tidy = clean or (lambda line: line)
    body, notes = split_notes(header.body, lambda line: line_speaker(tidy(line)))
    second_call(body, first_line)
    body = normalise_lines([tidy(line) for line in body], labels := Labels())
    turns = resolve_roles(line_turns(body), labels)
    named = list(header.participants)
    named += [p for p in labels.participants() if resolve_label(p.name, named) is None]
    header.participants = named
    if notes:
        header.metadata["notes"] = notes
    parsed = transcript_from(format, turns, header, warnings)
    checks = unread_labels(body, first_line) + turn_problems(parsed.turns, len(named))
    return parsed.model_copy(update={"warnings": [*parsed.warnings, *checks]}) if checks else parsed


def line_speaker(line: str) -> str | None:
    """The speaker label a line starts with, by the plain rule or the label grammar."""
    speaker = split_speaker(split_stamp(line)[1])[0]
    if speaker is not None:
        return speaker
    read = read_label(line)
    return read[1].person if read else None


def transcript_from(format: str, turns: list[Turn], header: Header, warnings: list[str], *,
                    merge: bool = False) -> ParsedTranscript:
    return ParsedTranscript(format=format, turns=require_turns(build_turns(turns, merge=merge)),
                            metadata=header.metadata, occurred_at=header.occurred_at,
                            participants=header.participants, warnings=warnings)


def line_turns(lines: list[str]) -> list[Turn]:
    """A line that is only a time (`00:05:00`, `[12:30]`) dates the labelled lines below it."""
    turns: list[Turn] = []
    clock: int | None = None
    for line in lines:
        bare = _BARE_CLOCK.match(line)
        if bare:
            clock = _ms(bare.groups())
            continue
        start_ms, rest = split_stamp(line)
        speaker, said = split_speaker(rest)
        start_ms = clock if start_ms is None and speaker is not None else start_ms
        if speaker is None and turns:
            last = turns[-1]
            turns[-1] = Turn(speaker=last.speaker, start_ms=last.start_ms, end_ms=None, text=f"{last.text} {said}")
        elif speaker is not None or said:
            turns.append(Turn(speaker=speaker, start_ms=start_ms, end_ms=None, text=said))
    return turns


def split_stamp(line: str) -> tuple[int | None, str]:
    match = _STAMP.match(line)
    if not match:
        return None, line
    return _ms(match.groups()[:3]), match["rest"]


def _ms(parts: tuple[str | None, ...]) -> int:
    hours, minutes, seconds = (int(part or 0) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000
