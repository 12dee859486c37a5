"""WebVTT as Zoom and Microsoft Teams write it.

Zoom numbers its cues and labels the text: `Maya Chen: Thanks for joining.` Teams uses GUID-like cue
identifiers (`8b5b.../12-0`) and voice spans: `<v Maya Chen>Thanks for joining.</v>`. Both split one
utterance over several cues, so consecutive cues of one speaker are merged into one turn (start of the
first, end of the last). `NOTE`, `STYLE` and `REGION` blocks are skipped; a title after the `WEBVTT`
signature (`WEBVTT - Pricing call`) becomes `metadata["title"]`.

Hand-written rather than webvtt-py: webvtt-py 0.6 drops a malformed cue without saying so (nothing to
count or warn about), accepts cues that end before they start, and reads text, not bytes. Our own
parser is the ~60 lines below plus `cues.py`, shared with SRT.
"""

from __future__ import annotations

import html
import re

from lib.transcripts.cues import CueProblems, blocks, finish, parse_cue
from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.turns import build_turns, require_turns, split_speaker

_SIGNATURE = re.compile(r"^WEBVTT(?:[ \t]+-?[ \t]*(?P<title>.*))?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]*>")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def parse_vtt(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    metadata: dict[str, object] = {}
    problems = CueProblems()
    turns: list[Turn] = []
    for index, (line_no, lines) in enumerate(blocks(text)):
        if index == 0:
            _read_header(lines[0], metadata, warnings)
            if lines[0].startswith("WEBVTT"):
                continue
        if lines[0].startswith(_SKIPPED_BLOCKS):
            continue
        cue = parse_cue(line_no, lines, problems)
        if cue is not None:
            speaker, said = cue_text(cue.lines)
            turns.append(Turn(speaker=speaker, start_ms=cue.start_ms, end_ms=cue.end_ms, text=said))
    merged = build_turns(turns, merge=True)
    finish(bool(merged), problems, warnings)
    return ParsedTranscript(format="vtt", turns=require_turns(merged), metadata=metadata, warnings=warnings)


def _read_header(first_line: str, metadata: dict[str, object], warnings: list[str]) -> None:
    match = _SIGNATURE.match(first_line.strip())
    if not match:
        warnings.append("no WEBVTT header; read as WebVTT because of the file name")
    elif match["title"]:
        metadata["title"] = match["title"].strip()


def cue_text(lines: list[str]) -> tuple[str | None, str]:
    """Speaker from a `<v Name>` span (Teams) or a `Name:` prefix (Zoom), and the text without markup."""
    raw = " ".join(lines)
    voice = _VOICE.search(raw)
    said = html.unescape(_TAG.sub("", raw))
    if voice:
        return voice["name"], said
    return split_speaker(said)
