"""The parsed shape every format comes out as: speaker turns plus what the file said about itself."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.transcripts.people import Participant


class BadTranscript(ValueError):
    """A format parser found the input unusable. `parse_bytes` turns it into a TranscriptError that
    names the file, so the format modules need not know the name."""


class Turn(BaseModel):
    """One speaker's uninterrupted stretch of speech. Text is whitespace-normalised to one line, so a
    turn is always one line of `ParsedTranscript.content`."""

    model_config = ConfigDict(frozen=True)

    speaker: str | None
    start_ms: int | None = Field(default=None, ge=0)
    end_ms: int | None = Field(default=None, ge=0)
    text: str

    @field_validator("speaker")
    @classmethod
    def _strip_speaker(cls, value: str | None) -> str | None:
        return (" ".join(value.split()) or None) if value is not None else None

    @field_validator("text")
    @classmethod
    def _normalise_text(cls, value: str) -> str:
        return " ".join(value.split())


class ParsedTranscript(BaseModel):
    format: str
    turns: list[Turn]
    metadata: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None
    warnings: list[str] = Field(default_factory=list)
    participants: list[Participant] = Field(default_factory=list)  # as a header or export lists them

    @property
    def content(self) -> str:
        """One line per turn, `[hh:mm:ss] Speaker: text`: the text agents read and quotes are checked
        against, and what `content_sha256` (the dedup key) is computed over."""
        return "\n".join(format_turn(turn) for turn in self.turns)

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(turn.speaker for turn in self.turns if turn.speaker))


def format_turn(turn: Turn) -> str:
    parts = []
    if turn.start_ms is not None:
        parts.append(f"[{format_clock(turn.start_ms)}]")
    if turn.speaker:
        parts.append(f"{turn.speaker}:")
    parts.append(turn.text)
    return " ".join(parts)


def format_clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
