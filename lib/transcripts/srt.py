"""SubRip (SRT): numbered cues, `00:00:01,000 --> 00:00:04,000`, text with an optional `Name:` prefix.

Consecutive cues of one named speaker are merged into one turn, as for WebVTT: subtitle tools cut an
utterance into screen-sized pieces. Formatting tags (`<i>`, `{\\an8}`) are removed.

Hand-written rather than the `srt` package: srt 3.5 raises on a cue without its arrow (losing the whole
file) unless `ignore_errors` is set, and with a bad timestamp it silently folds the broken cue, its
number and timing line included, into the previous cue's text, which would put one person's words in
another's mouth. It also accepts cues that end before they start.
"""

from __future__ import annotations

import html
import re

from lib.transcripts.cues import CueProblems, blocks, finish, parse_cue
from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.turns import build_turns, require_turns, split_speaker

_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


def parse_srt(text: str) -> ParsedTranscript:
    warnings: list[str] = []
    problems = CueProblems()
    turns: list[Turn] = []
    for line_no, lines in blocks(text):
        cue = parse_cue(line_no, lines, problems)
        if cue is not None:
            speaker, said = split_speaker(html.unescape(_MARKUP.sub("", " ".join(cue.lines))))
            turns.append(Turn(speaker=speaker, start_ms=cue.start_ms, end_ms=cue.end_ms, text=said))
    merged = build_turns(turns, merge=True)
    finish(bool(merged), problems, warnings)
    return ParsedTranscript(format="srt", turns=require_turns(merged), warnings=warnings)
