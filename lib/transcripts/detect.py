"""Which parser reads a file: decided by its content, the file name only breaking ties.

In order: WebVTT (`WEBVTT` first, or cue timings in a .vtt), SubRip (a number, then a timing line), JSON
(a `.json` file, or text that starts with `{`), Google Meet (a `... - Transcript` title and bare
`hh:mm:ss` lines), Otter (`Name  0:02` lines), Markdown (bold speaker labels, or headings with other
markup), and plain `Name: text` lines for everything else.
"""

from __future__ import annotations

from lib.transcripts.markdown import looks_like_markdown
from lib.transcripts.meet import looks_like_meet
from lib.transcripts.otter import looks_like_otter

TEXT_PARSERS = ("meet", "otter", "markdown", "txt")


def detect(suffix: str, text: str) -> str:
    """The parser for `text` from a file with this suffix: vtt, srt, json, meet, otter, markdown or txt."""
    head = text.lstrip().split("\n", 2)
    if head[0].startswith("WEBVTT") or (suffix == ".vtt" and "-->" in text):
        return "vtt"
    if len(head) > 1 and head[0].strip().isdigit() and "-->" in head[1]:
        return "srt"
    if suffix == ".srt" and "-->" in text:
        return "srt"
    if suffix == ".json" or head[0].startswith("{"):
        return "json"
    return detect_text(text, markdown_suffix=suffix in (".md", ".markdown"))


def detect_text(text: str, *, markdown_suffix: bool = False) -> str:
    if looks_like_meet(text):
        return "meet"
    if looks_like_otter(text):
        return "otter"
    if markdown_suffix or looks_like_markdown(text):
        return "markdown"
    return "txt"
