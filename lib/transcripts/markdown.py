"""Markdown notes and bold speaker labels: `**Lena:** Thanks for joining.`, `**REP**: ...`, `__Ivy:__ ...`,
`**Bob** (00:06): ...`, `[00:06] **Bob:** ...`.

The header (see `header.py`) gives the title, date and participants; below it, headings, horizontal
rules, list bullets and blockquote markers are dropped, bold labels become plain `Name:` labels, and the
remaining emphasis, inline code and link markup is removed, so no markup reaches the content. The
lines are then read as a plain-text transcript (`text.py`).
"""

from __future__ import annotations

import re

from lib.transcripts.banner import read_top
from lib.transcripts.models import ParsedTranscript
from lib.transcripts.text import dialogue
from lib.transcripts.turns import looks_like_name

_HEADING = re.compile(r"^\s*#{1,6}\s")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_PREFIX = re.compile(r"^\s*(?:>\s*)*(?:[-*+•]\s+|\d{1,3}[.)]\s+)?")
_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?"
# `**Name:**`, `**Name**:`, `__Name:__`, `*Name:*`, with an optional time before or after the name
# Spaces inside a label are bounded ({0,4}): unbounded runs side by side let one long line of spaces
# cost quadratic or cubic time.
_SP = r"[ \t]{0,4}"
_BOLD_LABEL = re.compile(
    rf"^(?P<stamp>{_STAMP}[ \t]{{1,4}})?(?P<mark>\*\*|__|\*|_){_SP}(?P<stamp2>{_STAMP}[ \t]{{1,4}})?"
    rf"(?P<name>[^*_:\s][^*_:\n]{{0,59}}?){_SP}(?P<after>[ \t]{_STAMP})?{_SP}"
    rf"(?::{_SP}(?P=mark)|(?P=mark){_SP}(?P<after2>{_STAMP})?{_SP}:)\s*(?P<text>.*)$")
_PLAIN_LABEL_STAMP = re.compile(
    r"^(?P<name>[^:\[\]()]{1,60}?)[ \t]{1,4}(?P<stamp>[\[(]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])])[ \t]{0,4}:"
    r"\s*(?P<text>.*)$")
# Bold markers are dropped wherever they are; single-character emphasis only around a short span, so a
# stray `*` or `_` in text stays and no pattern can scan a long line once per character.
_BOLD = re.compile(r"\*\*|__")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]{1,200}?)(?<=\S)\*(?!\w)|(?<![\w_])_(?=\S)([^_\n]{1,200}?)(?<=\S)_(?!\w)")
_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\([^)\s]{0,500}\)")
_CODE = re.compile(r"`([^`\n]{0,300})`")
_BOLD_LINE = re.compile(r"^[ \t]*(\*\*|__)[^*_:\n]{1,60}(?::(\*\*|__)|(\*\*|__)[ \t]*:)[ \t]*\S", re.MULTILINE)


def looks_like_markdown(text: str) -> bool:
    """Bold speaker labels, or a Markdown heading plus other markup."""
    return len(_BOLD_LINE.findall(text)) >= 2 or bool(
        re.search(r"^#{1,6}\s+\S", text, re.MULTILINE) and re.search(r"\*\*|^\s*[-*]\s+\S|^---\s*$", text,
                                                                    re.MULTILINE))


def parse_markdown(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    lines = text.split("\n")
    header = read_top(lines, warnings, markdown=True)
    return dialogue("markdown", header, warnings, first_line=len(lines) - len(header.body) + 1, clean=_body_line)


def _body_line(line: str) -> str:
    """Headings and rules are dropped (as blank lines, so line numbers hold), the rest cleaned."""
    return "" if _HEADING.match(line) or _RULE.match(line) else clean_line(line)


def clean_line(line: str) -> str:
    """One line of Markdown as plain text, a bold label turned into `[time] Name:`."""
    line = _PREFIX.sub("", line, count=1)
    label = _BOLD_LABEL.match(line)
    if label:
        stamp = label["stamp"] or label["stamp2"] or label["after"] or label["after2"]
        line = f"{_bracket(stamp)}{label['name'].strip()}: {label['text']}"
    else:
        plain = _PLAIN_LABEL_STAMP.match(line)
        if plain and looks_like_name(plain["name"]):
            line = f"{_bracket(plain['stamp'])}{plain['name'].strip()}: {plain['text']}"
    return strip_inline(line)


def strip_inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub("", text)
    return _EMPHASIS.sub(lambda m: m[1] if m[1] is not None else m[2], text)


def _bracket(stamp: str | None) -> str:
    return f"[{stamp.strip().strip('[]()')}] " if stamp else ""
