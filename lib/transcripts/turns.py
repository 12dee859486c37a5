"""Helpers the format parsers share: building turns from raw pieces, merging, speaker prefixes, dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from lib.transcripts.dates import NO_ZONE, NOT_ISO
from lib.transcripts.models import BadTranscript, Turn

# A speaker label looks like a name, not a sentence: a few capitalised words ("Speaker 2" and name
# particles allowed), so "So the plan is: ..." stays text. "Budget: $250,000" still reads as a label;
# no rule tells those apart, and transcripts almost never start a line that way.
_NAME = r"[^\W\d_][\w.'’&()\- ]{0,58}"
SPEAKER_PREFIX = re.compile(rf"^(?P<speaker>{_NAME}?)\s*:(?:\s+|$)(?P<text>.*)$", re.DOTALL)
_MAX_NAME_WORDS = 6
M = TypeVar("M", bound=BaseModel)
_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "der", "di", "du", "la", "le", "van", "von"})


def split_speaker(text: str) -> tuple[str | None, str]:
    """`"Anna Ruiz: hello"` -> `("Anna Ruiz", "hello")`; text without a label -> `(None, text)`."""
    match = SPEAKER_PREFIX.match(text.strip())
    if not match or not looks_like_name(match["speaker"]):
        return None, text.strip()
    return match["speaker"].strip(), match["text"]


def looks_like_name(label: str) -> bool:
    words = label.split()
    return 0 < len(words) <= _MAX_NAME_WORDS and all(
        word[0].isupper() or word[0].isdigit() or word in _PARTICLES for word in words)


MAX_TURNS = 100_000  # per file: a two-hour call has a few thousand; more is a broken or hostile file


def build_turns(turns: Iterable[Turn], *, merge: bool) -> list[Turn]:
    """Drop turns left empty after normalising; with `merge`, join consecutive turns of one named
    speaker (captions split one utterance into many cues). A run of one speaker's cues is joined once,
    so a one-speaker file of 180,000 cues costs what its length costs, not its length squared."""
    result: list[Turn] = []
    run: list[Turn] = []
    for turn in turns:
        if not turn.text:
            continue
        if merge and run and turn.speaker and run[-1].speaker == turn.speaker:
            run.append(turn)
            continue
        if run:
            result.append(merge_run(run))
            check_turn_count(len(result))
        run = [turn]
    if run:
        result.append(merge_run(run))
    return result


def check_turn_count(count: int) -> None:
    if count > MAX_TURNS:
        raise BadTranscript(f"more than {MAX_TURNS:,} speaker turns, the limit per file")


def merge_turns(first: Turn, second: Turn) -> Turn:
    return merge_run([first, second])


def merge_run(run: list[Turn]) -> Turn:
    """One turn from consecutive turns of one speaker: the first start, the latest end (cues out of
    order never make a turn that ends before it starts), the texts joined once."""
    if len(run) == 1:
        return run[0]
    start = next((t.start_ms for t in run if t.start_ms is not None), None)
    ends = [t.end_ms for t in run if t.end_ms is not None]
    end = max(ends) if ends else None
    if start is not None and end is not None and end < start:
        end = None
    return Turn(speaker=run[0].speaker, start_ms=start, end_ms=end, text=" ".join(t.text for t in run))


def require_turns(turns: list[Turn], why: str = "") -> list[Turn]:
    if not turns:
        raise BadTranscript("no speaker turns found" + (f" ({why})" if why else ""))
    return turns


def parse_when(value: object, warnings: list[str], field: str) -> datetime | None:
    """ISO 8601 to an aware datetime. A missing zone is taken as UTC and a bad value is ignored, each
    with a warning: when a call happened is useful, never worth refusing the transcript over."""
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(str(value).strip())
    except ValueError:
        warnings.append(f"ignored {field} {str(value)[:40]!r}{NOT_ISO}")
        return None
    if when.tzinfo is None:
        warnings.append(f"{field}{NO_ZONE}")
        when = when.replace(tzinfo=UTC)
    return when


def validate(model: type[M], document: object, what: str) -> M:
    """Validate, reporting the first problem as `turns[3].text: Field required`."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise BadTranscript(f"not a valid {what}: {where.lstrip('.') or 'document'}: {error['msg']}{more}") from exc
