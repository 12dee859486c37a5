"""Microsoft Teams transcripts downloaded as Word (.docx), read with python-docx.

Teams writes a title, the date and the length, then one block per utterance, in one of two shapes:

    Kestrel Foods pricing                     Kestrel Foods pricing
    March 3, 2026, 2:00PM                     March 3, 2026, 2:00PM
    32m 10s                                   0:0:3.120 --> 0:0:8.400
                                              Lena Park
    Lena Park   0:03                          Thanks for joining.
    Thanks for joining.
                                              0:0:8.900 --> 0:0:11.000
    Bob Stone   0:09                          Bob Stone
    Happy to be here.                         Happy to be here.

(newer: name and time on one line; older: a `start --> end` line, the name, the text). `Lena Park
started transcription` lines are dropped. A .docx in neither shape is read as a text document: its
paragraphs go through the same detection as a .txt file.

The archive is checked before python-docx opens it: at most 2,000 entries, and no more than 20 times
the size limit once uncompressed, so a small file cannot expand into gigabytes.
"""

from __future__ import annotations

import io
import re
import zipfile

from lib.transcripts.header import read_header
from lib.transcripts.models import BadTranscript, ParsedTranscript, Turn
from lib.transcripts.otter import LOOSE_SPEAKER_LINE, MAX_SPEAKER_LINE, clock_ms, speaker_blocks
from lib.transcripts.text import transcript_from
from lib.transcripts.turns import looks_like_name

MAX_ENTRIES = 2000
EXPANSION = 20
_ARROW = re.compile(r"^\s*(?P<start>\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d+)?)\s*-->\s*(?P<end>\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d+)?)\s*$")
_TRANSCRIPTION = re.compile(r"\b(?:started|stopped) transcription\s*$", re.IGNORECASE)


def docx_lines(data: bytes, max_bytes: int) -> list[str]:
    """The document's paragraphs as lines (a line break inside a paragraph makes two)."""
    _check_archive(data, max_bytes)
    import docx  # python-docx; imported here so the text formats do not pay for lxml

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, its own package errors
        raise BadTranscript(f"not a readable Word document ({type(exc).__name__})") from exc
    return [line for text in paragraphs for line in text.replace("\r", "\n").split("\n")]


def looks_like_teams(lines: list[str]) -> bool:
    """A timing line, or two `Name  0:03` lines (one could be a heading that ends in a time)."""
    return any(_ARROW.match(line) for line in lines) or sum(1 for line in lines if _speaker_line(line)) >= 2


def parse_teams_docx(lines: list[str]) -> ParsedTranscript:
    warnings: list[str] = []
    lines = [line for line in lines if not _TRANSCRIPTION.search(line)]
    first = next((i for i, line in enumerate(lines) if _ARROW.match(line) or _speaker_line(line)), len(lines))
    header = read_header(lines[:first], warnings, preamble=True)
    body = lines[first:]
    turns = _arrow_blocks(body) if _ARROW.match(body[0]) else speaker_blocks(body, LOOSE_SPEAKER_LINE)
    return transcript_from("teams-docx", turns, header, warnings, merge=True)  # Teams splits long utterances


def _speaker_line(line: str) -> bool:
    line = line.strip()
    if len(line) > MAX_SPEAKER_LINE or not line[-1:].isdigit():
        return False
    match = LOOSE_SPEAKER_LINE.match(line)
    return bool(match) and looks_like_name(match["name"].strip())  # type: ignore[index]


def _arrow_blocks(lines: list[str]) -> list[Turn]:
    """`start --> end`, then the speaker's name, then the text, to the next timing line."""
    turns: list[Turn] = []
    block: list[str] = []
    timing: re.Match[str] | None = None

    def flush() -> None:
        if timing is None:
            return
        speaker = block[0] if len(block) > 1 and looks_like_name(block[0]) else None
        said = block[1:] if speaker else block
        turns.append(Turn(speaker=speaker, start_ms=clock_ms(timing["start"].replace(",", ".")),
                          end_ms=clock_ms(timing["end"].replace(",", ".")), text=" ".join(said)))

    for line in lines:
        match = _ARROW.match(line)
        if match:
            flush()
            timing, block = match, []
        elif line.strip():
            block.append(line.strip())
    flush()
    return turns


def _check_archive(data: bytes, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise BadTranscript("not a Word document (.docx is a zip archive; this file is not one)") from exc
    if len(entries) > MAX_ENTRIES:
        raise BadTranscript(f"Word document has {len(entries):,} parts, more than {MAX_ENTRIES:,}")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > EXPANSION * max_bytes:
        raise BadTranscript(f"Word document unpacks to {unpacked:,} bytes, more than {EXPANSION}x the size limit")
