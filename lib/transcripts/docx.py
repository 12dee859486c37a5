"""Microsoft Teams transcripts downloaded as Word (.docx), read by a streaming XML parse.

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

The archive is checked before anything is unpacked: at most 2,000 entries, and no more than 20 times
the size limit once uncompressed, so a small file cannot expand into gigabytes. The document part is
then read as a stream (the standard library's expat, fed from the zip in chunks), never built as a
tree: at most 500,000 XML elements and the size limit in text, a document type declaration refused
outright (Word never writes one; entities are how an XML bomb expands). The text is what python-docx's
`document.paragraphs` gives: the body's own paragraphs (not those in tables), their runs and hyperlinks,
`w:tab` as a tab, a line break as a new line.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import IO
from xml.parsers import expat

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
    with _open_archive(data) as archive:
        _check_archive(archive, max_bytes)
        paragraphs = _Paragraphs(max_chars=max_bytes)
        try:
            with archive.open(_main_part(archive)) as stream:
                paragraphs.feed(stream)
        except KeyError as exc:
            raise BadTranscript("not a readable Word document (it has no word/document.xml)") from exc
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
            raise BadTranscript(f"not a readable Word document ({type(exc).__name__})") from exc
    return [line for text in paragraphs.found for line in text.replace("\r", "\n").split("\n")]


MAX_ELEMENTS = 500_000  # a two-hour Teams transcript has some 60,000
_CHUNK = 1 << 16
_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SEP = "\x01"  # between namespace and local name in expat's element names
_BODY, _P, _R, _HYPERLINK = (f"{_NS}{_SEP}{n}" for n in ("body", "p", "r", "hyperlink"))
_RUN_TEXT = {f"{_NS}{_SEP}{n}": v for n, v in (("tab", "\t"), ("ptab", "\t"), ("cr", "\n"), ("noBreakHyphen", "-"))}
_T, _BR = f"{_NS}{_SEP}t", f"{_NS}{_SEP}br"
_BR_TYPE = f"{_NS}{_SEP}type"


class _Paragraphs:
    """expat handlers that keep the text of the body's paragraphs and nothing else: memory is the text."""

    def __init__(self, max_chars: int) -> None:
        self.found: list[str] = []
        self.max_chars = max_chars
        self.chars = 0
        self.elements = 0
        self.path: list[str] = []  # element names from the root down
        self.parts: list[str] | None = None  # the open body paragraph's pieces
        self.in_text = False

    def feed(self, stream: IO[bytes]) -> None:
        parser = expat.ParserCreate(namespace_separator=_SEP)
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        try:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise BadTranscript(f"not a readable Word document (XML: {expat.ErrorString(exc.code)})") from exc

    def doctype(self, *_: object) -> None:
        raise BadTranscript("not a readable Word document (its XML declares a document type or entities)")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise BadTranscript(f"Word document has more than {MAX_ELEMENTS:,} XML elements, the limit per file")
        depth = len(self.path)
        self.path.append(name)
        if name == _P and depth == 2 and self.path[1] == _BODY:
            self.parts = []
        elif self.parts is not None and self._in_run(depth):
            if name == _T:
                self.in_text = True
            elif name == _BR:
                self._add("\n" if attrs.get(_BR_TYPE, "textWrapping") == "textWrapping" else "")
            elif name in _RUN_TEXT:
                self._add(_RUN_TEXT[name])

    def _in_run(self, depth: int) -> bool:
        """A direct child of a run that is a child of the paragraph, or of one of its hyperlinks."""
        parent = self.path[depth - 1] if depth >= 1 else ""
        if parent != _R:
            return False
        return depth == 4 or (depth == 5 and self.path[3] == _HYPERLINK)

    def end(self, name: str) -> None:
        self.path.pop()
        if name == _T:
            self.in_text = False
        elif name == _P and self.parts is not None and len(self.path) == 2:
            self.found.append("".join(self.parts))
            self.parts = None

    def text(self, data: str) -> None:
        if self.in_text and self.parts is not None:
            self._add(data)

    def _add(self, piece: str) -> None:
        self.chars += len(piece)
        if self.chars > self.max_chars:
            raise BadTranscript(f"Word document holds more than {self.max_chars:,} characters of text, the size limit")
        self.parts.append(piece)  # type: ignore[union-attr]


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


def _open_archive(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise BadTranscript("not a Word document (.docx is a zip archive; this file is not one)") from exc


def _check_archive(archive: zipfile.ZipFile, max_bytes: int) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise BadTranscript(f"Word document has {len(entries):,} parts, more than {MAX_ENTRIES:,}")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > EXPANSION * max_bytes:
        raise BadTranscript(f"Word document unpacks to {unpacked:,} bytes, more than {EXPANSION}x the size limit")


def _main_part(archive: zipfile.ZipFile) -> str:
    """The part `_rels/.rels` names as the office document, `word/document.xml` when it names none."""
    try:
        rels = archive.read("_rels/.rels") if archive.getinfo("_rels/.rels").file_size < _CHUNK else b""
    except KeyError:
        rels = b""
    found = re.search(rb'<Relationship\b[^>]*?Type="[^"]*/officeDocument"[^>]*>', rels)
    target = re.search(rb'Target="/?([^"]{1,200})"', found.group()) if found else None
    return target.group(1).decode("utf-8", "replace") if target else "word/document.xml"
