"""A section after the dialogue that is the writer's notes, not speech: `## Call Notes`, `Key Insights:`,
`**Follow-up**`, `Next steps`, or a rule followed by bullets to the end of the file.

It is kept in `metadata.notes` (its lines, markup and all) and never becomes turns, so its bullet
labels (`**Budget**: ...`, `Pain Points: ...`) are never speakers. A section is only notes when nobody
who spoke above it speaks again inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TITLES = (r"(?:call |meeting |sales |post[- ]call |internal )?(?:notes|summary|recap)|key (?:insights|takeaways|points)|"
           r"insights|takeaways|follow[- ]?ups?|next steps|action items|action points|to[- ]?dos?|observations|"
           r"coaching notes|analysis")
_HEADING = re.compile(rf"^[ \t]{{0,4}}(?:#{{1,6}}[ \t]{{1,4}})?(?:\*\*|__)?[ \t]{{0,2}}(?:{_TITLES})[ \t]{{0,2}}:?"
                      r"[ \t]{0,2}(?:\*\*|__)?[ \t]{0,2}:?[ \t]{0,2}$", re.IGNORECASE)
_RULE = re.compile(r"^\s*(?:[-=*_~]\s*){3,}$")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+\S")


def split_notes(lines: list[str], speaker_of: Callable[[str], str | None]) -> tuple[list[str], list[str]]:
    """(dialogue lines, note lines); `speaker_of` reads a line's speaker label (None for none)."""
    said = [None if _ITEM.match(line) else speaker_of(line) for line in lines]
    last: dict[str, int] = {}
    for index, speaker in enumerate(said):
        if speaker:
            last[speaker.casefold()] = index
    latest = -1  # the last line on which anyone who has spoken so far speaks again
    for index, line in enumerate(lines):
        if latest >= 0 and latest < index and _starts_notes(lines, index):
            notes = [line.rstrip() for line in lines[index:] if line.strip() and not _RULE.match(line)]
            return lines[:index], notes
        speaker = said[index]
        if speaker:
            latest = max(latest, last[speaker.casefold()])
    return lines, []


def _starts_notes(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _HEADING.match(line):
        return True
    if not _RULE.match(line):
        return False
    rest = [x for x in lines[index + 1:] if x.strip()]
    return bool(rest) and all(_ITEM.match(x) or _HEADING.match(x) or x.lstrip().startswith("#") for x in rest)
