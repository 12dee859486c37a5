"""Ingest transcript files: parse, normalise, store once per content. One bad file never stops the rest.

The same content is the same call whatever its source or label: ingesting it again stores nothing new
(the other source is kept in the transcript's metadata), unless `--deal` or `--occurred-at` is given
explicitly, which updates the stored call and refreshes the deals it leaves and joins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from lib.db.transcripts import Stored, TranscriptRepository
from lib.deals.refresh import refresh_deals
from lib.errors import AsmisError, TranscriptError
from lib.models import NewTranscript
from lib.settings import Settings
from lib.transcripts import ParsedTranscript, iter_transcript_files, parse_file
from lib.transcripts.checks import is_check
from lib.transcripts.dates import is_date_warning
from lib.transcripts.sides import Team
from lib.transcripts.speakers import NO_LABELS

Outcome = Literal["ingested", "updated", "unchanged", "failed"]
MTIME_NOTE = "no date in the file: using its modification time; --occurred-at sets one"


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
                       max_bytes: int, settings: Settings | None = None,
                       seller_company: str | None = None, strict: bool = False,
                       team: Team | None = None) -> AsyncIterator[IngestResult]:
    """Yield one result per file, as each is stored, updated or refused. With `settings`, the deals an
    update moves a call out of or into (or re-dates it in) are refreshed. With `strict`, a file whose
    speaker labels look misread (`transcripts/checks.py`, or no labels at all) is refused, not stored."""
    for item in iter_transcript_files(paths):
        if isinstance(item, TranscriptError):
            yield IngestResult(item.path, "failed", item.problem)
            continue
        try:
            parsed = parse_file(item, max_bytes=max_bytes, seller_company=seller_company, team=team)
            doubtful = [w for w in parsed.warnings if is_check(w) or w == NO_LABELS]
            if strict and doubtful:
                yield IngestResult(str(item), "failed", f"refused (--strict): {doubtful[0]}")
                continue
            record = to_record(item, parsed, source=source, deal_id=deal_id, occurred_at=occurred_at)
            # Only what was asked for explicitly changes a stored call: never a date from an mtime.
            stored = await repo.store(record, deal_id=deal_id, occurred_at=occurred_at)
            if stored.outcome == "updated" and settings is not None:
                moved = {d for d in (stored.previous_deal_id, deal_id) if d}
                await refresh_deals(repo.pool, sorted(moved), settings)
        except TranscriptError as exc:
            yield IngestResult(str(item), "failed", exc.problem)
            continue
        except AsmisError as exc:
            yield IngestResult(str(item), "failed", str(exc))
            continue
        yield IngestResult(str(item), "ingested" if stored.outcome == "inserted" else stored.outcome,
                           _detail(parsed, stored, source, deal_id, occurred_at), stored.id)


def _detail(parsed: ParsedTranscript, stored: Stored, source: str, deal_id: str | None,
            occurred_at: datetime | None) -> str:
    if stored.outcome == "inserted":
        turns = f"{len(parsed.turns)} turn{'s' if len(parsed.turns) != 1 else ''}"
        # --occurred-at overrides the file's own date: what was doubtful about that date is moot
        kept = [w for w in parsed.warnings if occurred_at is None or not is_date_warning(w)]
        notes = [f"{turns}, {len(parsed.speakers)} speakers", *kept]
        return "; ".join(notes if occurred_at or parsed.occurred_at else [*notes, MTIME_NOTE])
    where = "" if stored.stored_source == source else f" from {stored.stored_source} ({source} noted in its metadata)"
    if stored.outcome == "unchanged":
        return f"already stored{where}"
    changes = []
    if deal_id is not None and deal_id != stored.previous_deal_id:
        changes.append(f"deal {stored.previous_deal_id or '(none)'} -> {deal_id}")
    if occurred_at is not None and stored.previous_occurred_at is not None and occurred_at != stored.previous_occurred_at:
        changes.append(f"occurred_at {stored.previous_occurred_at:%Y-%m-%d %H:%M} -> {occurred_at:%Y-%m-%d %H:%M}")
    return f"already stored{where}: " + ", ".join(changes)
