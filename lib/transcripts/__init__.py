"""Transcript files (.vtt .srt .txt .json .md .markdown .docx) to speaker turns and one normalised text.

`parse_file` / `parse_bytes` return a `ParsedTranscript`; every bad input raises `TranscriptError`
with a problem a person can act on. Decoding rules are in `decode.py`, each format in its own module
(`vtt`, `srt`, `text`, `markdown`, `otter`, `meet`, `docx`, `jsonfmt`, `gong`), which one reads a file in
`detect.py`, headers in `header.py` and `dates.py`, participants and sides in `people.py` and
`speakers.py`.
"""

from __future__ import annotations

from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.parse import SUFFIXES, OutsideFolder, iter_transcript_files, parse_bytes, parse_file

__all__ = ["SUFFIXES", "OutsideFolder", "ParsedTranscript", "Turn", "iter_transcript_files", "parse_bytes", "parse_file"]
