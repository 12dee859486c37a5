"""Ingest transcript files: parse, normalise, store once per content. One bad file never stops the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from lib.db.transcripts import TranscriptRepository
from lib.errors import AsmisError, TranscriptError
from lib.models import NewTranscript
from lib.transcripts import ParsedTranscript, iter_transcript_files, parse_file

Outcome = Literal["ingested", "unchanged", "failed"]


@dataclass(frozen=True)
class IngestResult:
    path: str
    outcome: Outcome
    detail: str
    transcript_id: int | None = None


def to_record(path: Path, parsed: ParsedTranscript, *, source: str, deal_id: str | None,
              occurred_at: datetime | None) -> NewTranscript:
    """occurred_at comes from the flag, then the file's own metadata, then the file's mtime."""
    when = occurred_at or parsed.occurred_at or datetime.fromtimestamp(path.stat().st_mtime, UTC)
    metadata = {**parsed.metadata, "parser": parsed.format, "file_name": path.name,
                "parse_warnings": parsed.warnings}
    return NewTranscript(
        source=source,
        external_id=str(parsed.metadata.get("call_id") or path.name),
        deal_id=deal_id or parsed.metadata.get("deal_id"),
        title=parsed.metadata.get("title") or path.stem,
        format=parsed.format,
        occurred_at=when,
        content=parsed.content,
        content_sha256=parsed.content_sha256,
        turns=[turn.model_dump() for turn in parsed.turns],
        speakers=parsed.speakers,
        metadata=metadata,
    )


async def ingest_paths(repo: TranscriptRepository, paths: Iterable[Path], *, source: str,
                       deal_id: str | None = None, occurred_at: datetime | None = None,
                       max_bytes: int, seller_company: str | None = None) -> AsyncIterator[IngestResult]:
    """Yield one result per file, as each is stored or refused."""
    for item in iter_transcript_files(paths):
        if isinstance(item, TranscriptError):
            yield IngestResult(item.path, "failed", item.problem)
            continue
        try:
            parsed = parse_file(item, max_bytes=max_bytes, seller_company=seller_company)
            record = to_record(item, parsed, source=source, deal_id=deal_id, occurred_at=occurred_at)
            transcript_id, inserted = await repo.add(record)
        except TranscriptError as exc:
            yield IngestResult(str(item), "failed", exc.problem)
            continue
        except AsmisError as exc:
            yield IngestResult(str(item), "failed", str(exc))
            continue
        detail = f"{len(parsed.turns)} turn{'s' if len(parsed.turns) != 1 else ''}, {len(parsed.speakers)} speakers"
        if parsed.warnings:
            detail += "; " + "; ".join(parsed.warnings)
        yield IngestResult(str(item), "ingested" if inserted else "unchanged",
                           detail if inserted else "already ingested", transcript_id)
