"""Timed caption cues, the part WebVTT and SRT share: blank-line separated blocks, an optional
identifier line, a `start --> end` timing line, then text.

A malformed cue (no arrow, a timestamp that does not parse, an end before its start) is skipped and
counted rather than failing the file: one bad cue in a two-hour call should not lose the call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lib.transcripts.models import BadTranscript

# Hours are optional in WebVTT; SRT writes a comma before the milliseconds. Both are accepted in
# both formats, because hand-edited files mix them up.
_TIME = r"(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_MAX_DETAILS = 3


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: list[str]


@dataclass
class CueProblems:
    """Malformed cues seen so far, reported as one warning."""

    details: list[str] = field(default_factory=list)

    def add(self, line_no: int, problem: str) -> None:
        self.details.append(f"line {line_no}: {problem}")

    def warning(self) -> str | None:
        if not self.details:
            return None
        count = len(self.details)
        shown = "; ".join(self.details[:_MAX_DETAILS]) + ("; ..." if count > _MAX_DETAILS else "")
        return f"skipped {count} malformed cue{'s' if count != 1 else ''} ({shown})"


def blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line number of the block's first line, its lines) for each blank-line block."""
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            yield start, current
            current = []
    if current:
        yield start, current


def parse_cue(line_no: int, lines: list[str], problems: CueProblems) -> Cue | None:
    """The arrow sits on the first line, or the second after an identifier; anything else is not a cue."""
    arrow_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
    if arrow_at is None:
        problems.add(line_no, "no '-->' timing line")
        return None
    try:
        start_ms, end_ms = parse_timing(lines[arrow_at])
    except BadTranscript as exc:
        problems.add(line_no + arrow_at, str(exc))
        return None
    return Cue(start_ms, end_ms, lines[arrow_at + 1:])


def parse_timing(line: str) -> tuple[int, int]:
    match = _TIMING.match(line)
    if not match:
        raise BadTranscript(f"bad timestamp {line.strip()[:40]!r}")
    start_ms, end_ms = _ms(match.groups()[:4]), _ms(match.groups()[4:])
    if end_ms < start_ms:
        raise BadTranscript(f"end {line.split('-->')[1].split()[0]} before start")
    return start_ms, end_ms


def _ms(parts: tuple[str | None, ...]) -> int:
    hours, minutes, seconds, millis = (int(part or 0) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def finish(turns_found: bool, problems: CueProblems, warnings: list[str]) -> None:
    """Record the malformed-cue warning, or fail when malformed cues were all there was."""
    warning = problems.warning()
    if warning and not turns_found:
        raise BadTranscript(f"no valid cues: {warning}")
    if warning:
        warnings.append(warning)
