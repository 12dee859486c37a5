"""Never a silent merge: signs that speaker labels were misread, as warnings naming what looked wrong.

- lines that look like labels (a short prefix and a colon at the start of many lines) were not read as
  labels, so their words went to the speaker above them;
- a turn holds another speaker's label inside it;
- one speaker holds nearly all the words of a call the file says had several people on it.

Each warning starts with `CHECK`, lands in `metadata.parse_warnings` with the others, and
`asmis ingest --strict` refuses a file that has one. Warnings name line numbers and counts, never the
transcript's words.
"""

from __future__ import annotations

import re

from lib.transcripts.models import Turn
from lib.transcripts.turns import split_speaker

CHECK = "labels may be misread: "
_LOOSE = re.compile(r"^[ \t]{0,8}(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?[ \t]{0,4}[-–—]?[ \t]{0,4})?(?:\*\*|__)?"
                    r"[A-Z][^:\n]{0,40}(?:\*\*|__)?[ \t]{0,2}:(?:\*\*|__)?[ \t]+\S")
_STAMP = re.compile(r"^\s*[\[(]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]\s*")
_MIN_UNREAD = 3
_DOMINANT = 0.92
_MIN_WORDS = 150


def unread_labels(lines: list[str], first_line: int) -> list[str]:
    """Body lines shaped like labels that the parser read as text. `first_line` numbers the first one."""
    unread = [first_line + i for i, line in enumerate(lines)
              if _LOOSE.match(line) and split_speaker(_STAMP.sub("", line, count=1))[0] is None]
    labelled = sum(1 for line in lines if split_speaker(_STAMP.sub("", line, count=1))[0] is not None)
    if len(unread) < _MIN_UNREAD or len(unread) * 5 < labelled:
        return []
    return [f"{CHECK}{len(unread)} lines look like speaker labels but were not read as labels (first at line "
            f"{unread[0]}); their words went to the speaker above them"]


def turn_problems(turns: list[Turn], participants: int) -> list[str]:
    warnings = []
    speakers = {t.speaker for t in turns if t.speaker}
    inside = sum(1 for t in turns for s in speakers if f" {s}: " in f" {t.text}")
    if inside:
        warnings.append(f"{CHECK}{inside} turn{'s' if inside != 1 else ''} hold another speaker's label inside them")
    words: dict[str, int] = {}
    for turn in turns:
        if turn.speaker:
            words[turn.speaker] = words.get(turn.speaker, 0) + len(turn.text.split())
    total = sum(words.values())
    people = max(participants, len(speakers))
    if people >= 2 and total >= _MIN_WORDS and max(words.values(), default=0) >= _DOMINANT * total:
        share = round(100 * max(words.values()) / total)
        warnings.append(f"{CHECK}one speaker holds {share}% of the words of a call with {people} people on it")
    return warnings


def is_check(warning: str) -> bool:
    return warning.startswith(CHECK)
