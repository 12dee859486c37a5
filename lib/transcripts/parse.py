"""Entry points: check the size, decode, recognise the format by content (`detect.py`), parse, resolve
speakers and sides (`speakers.py`); every refusal is a TranscriptError."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lib.errors import TranscriptError
from lib.transcripts.decode import decode
from lib.transcripts.detect import detect, detect_text
from lib.transcripts.docx import docx_lines, looks_like_teams, parse_teams_docx
from lib.transcripts.jsonfmt import parse_json
from lib.transcripts.markdown import parse_markdown
from lib.transcripts.meet import parse_meet
from lib.transcripts.models import BadTranscript, ParsedTranscript
from lib.transcripts.otter import parse_otter
from lib.transcripts.sides import Team, apply_team
from lib.transcripts.speakers import attribute
from lib.transcripts.srt import parse_srt
from lib.transcripts.text import parse_text
from lib.transcripts.vtt import parse_vtt

SUFFIXES = (".vtt", ".srt", ".txt", ".json", ".md", ".markdown", ".docx")
_PARSERS: dict[str, Callable[[str], ParsedTranscript]] = {
    "vtt": parse_vtt, "srt": parse_srt, "txt": parse_text, "json": parse_json, "markdown": parse_markdown,
    "otter": parse_otter, "meet": parse_meet}


def parse_bytes(data: bytes, *, name: str, max_bytes: int, seller_company: str | None = None,
                team: Team | None = None) -> ParsedTranscript:
    """Parse one transcript held in memory; `name` breaks ties between formats and labels errors.
    `seller_company` (ASMIS_SELLER_COMPANY) tells which listed participants are on the seller's side;
    `team` (the roster and ASMIS_SELLER_DOMAINS) puts its people there on every call."""
    suffix = _suffix(name)
    if len(data) > max_bytes:
        raise TranscriptError(name, too_large(len(data), max_bytes))
    try:
        parsed = _parse_docx(data, max_bytes) if suffix == ".docx" else _parse_text(suffix, data)
        return apply_team(attribute(parsed, seller_company), team)
    except BadTranscript as exc:
        raise TranscriptError(name, str(exc)) from exc
    except (ValueError, RecursionError) as exc:  # a parser bug must still read as a bad file, not a crash
        raise TranscriptError(name, f"could not parse as {suffix[1:]}: {exc}") from exc


def _parse_text(suffix: str, data: bytes) -> ParsedTranscript:
    text, warnings = decode(data)
    parsed = _PARSERS[detect(suffix, text)](text)
    return parsed.model_copy(update={"warnings": warnings + parsed.warnings})


def _parse_docx(data: bytes, max_bytes: int) -> ParsedTranscript:
    lines = docx_lines(data, max_bytes)
    if not any(line.strip() for line in lines):
        raise BadTranscript("empty document (no text in it)")
    if looks_like_teams(lines):
        return parse_teams_docx(lines)
    text = "\n".join(lines)
    return _PARSERS[detect_text(text)](text)


def parse_file(path: Path, *, max_bytes: int, seller_company: str | None = None,
               team: Team | None = None) -> ParsedTranscript:
    """Parse one file, checking its size before reading any of it."""
    _suffix(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise TranscriptError(path, "not a regular file")
        if size > max_bytes:
            raise TranscriptError(path, too_large(size, max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat
    except FileNotFoundError as exc:
        raise TranscriptError(path, "no such file") from exc
    except OSError as exc:
        raise TranscriptError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        return parse_bytes(data, name=path.name, max_bytes=max_bytes, seller_company=seller_company, team=team)
    except TranscriptError as exc:
        raise TranscriptError(path, exc.problem) from exc


def iter_transcript_files(paths: Iterable[Path]) -> Iterator[Path | TranscriptError]:
    """Expand folders (recursively, sorted, skipping hidden entries and other suffixes); a missing path
    or an explicitly named file of another type is yielded as an error. Each file comes once."""
    seen: set[Path] = set()
    for path in paths:
        for item in _expand(Path(path)):
            if isinstance(item, Path):
                key = item.resolve()
                if key in seen:
                    continue
                seen.add(key)
            yield item


def _expand(path: Path) -> Iterator[Path | TranscriptError]:
    if path.is_dir():
        yield from _walk(path)
    elif not path.exists():
        yield TranscriptError(path, "no such file or directory")
    elif path.suffix.lower() not in SUFFIXES:
        yield TranscriptError(path, unsupported(path.suffix))
    else:
        yield path


def _walk(root: Path) -> Iterator[Path | TranscriptError]:
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if not name.startswith(".") and path.suffix.lower() in SUFFIXES and path.is_file():
                yield path
    for error in errors:
        yield TranscriptError(error.filename or root, f"cannot read folder: {error.strerror or error}")


def _suffix(name: str | Path) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise TranscriptError(name, unsupported(suffix))
    return suffix


def too_large(size: int, limit: int) -> str:
    return f"file is {size:,} bytes, larger than the {limit:,}-byte limit"


def unsupported(suffix: str) -> str:
    return f"unsupported file type {suffix or '(no suffix)'!r}; expected one of {', '.join(SUFFIXES)}"
