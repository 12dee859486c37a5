"""JSON transcripts: our own documented shape, a Gong export (see `gong.py`) or speech-to-text output
(AssemblyAI, Deepgram, WhisperX, AWS Transcribe: see `stt.py`), told apart by their keys.

Our shape (`format="json"`); keys marked ? are optional, unknown keys are ignored:
    {
      "title"?: "Northwind discovery call",
      "occurred_at"?: "2025-03-04T15:00:00Z",     // ISO 8601; no zone means UTC (with a warning)
      "deal_id"?: "NW-2025-014",
      "call_id"?: "zoom-8812",                    // becomes the transcript's external id
      "turns": [
        {"speaker": "Maya Chen", "start_ms"?: 1200, "end_ms"?: 5400, "text": "Thanks for joining."}
      ]
    }
`speaker` may be null; `start_ms`/`end_ms` are milliseconds from the start of the call. Turns are kept
as written (not merged), empty ones dropped.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, model_validator

from lib.transcripts.gong import parse_gong
from lib.transcripts.models import BadTranscript, ParsedTranscript, Turn
from lib.transcripts.stt import parse_stt, stt_format
from lib.transcripts.turns import build_turns, parse_when, require_turns, validate

EXPECTED = ('expected an object with "turns" (ASMIS transcript), "callTranscripts" (Gong export), or a speech-to-text '
            'result: "utterances" (AssemblyAI), "results" (Deepgram, AWS Transcribe), "segments" (WhisperX)')


class _TurnIn(BaseModel):
    speaker: str | None
    start_ms: int | None = Field(default=None, ge=0)
    end_ms: int | None = Field(default=None, ge=0)
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> _TurnIn:
        if self.start_ms is not None and self.end_ms is not None and self.end_ms < self.start_ms:
            raise ValueError("end_ms is before start_ms")
        return self


class _TranscriptIn(BaseModel):
    title: str | None = None
    occurred_at: str | None = None
    deal_id: str | int | None = None
    call_id: str | int | None = None
    turns: list[_TurnIn]


def parse_json(text: str) -> ParsedTranscript:
    document = load_json(text)
    if not isinstance(document, dict):
        raise BadTranscript(f"unknown JSON shape: {EXPECTED}, got a {type(document).__name__}")
    if "callTranscripts" in document:
        return parse_gong(document)
    if "turns" in document:
        return _parse_own(document)
    vendor = stt_format(document)
    if vendor:
        return parse_stt(document, vendor)
    keys = ", ".join(sorted(document)[:8]) or "none"
    raise BadTranscript(f"unknown JSON shape: {EXPECTED}; found keys: {keys}")


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadTranscript(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise BadTranscript("invalid JSON: nested too deeply") from exc


def _parse_own(document: dict[str, Any]) -> ParsedTranscript:
    given = validate(_TranscriptIn, document, "ASMIS transcript JSON")
    warnings: list[str] = []
    occurred_at = parse_when(given.occurred_at, warnings, "occurred_at")
    metadata = {key: str(value) for key, value in
                (("title", given.title), ("deal_id", given.deal_id), ("call_id", given.call_id)) if value}
    turns = build_turns((Turn(**turn.model_dump()) for turn in given.turns), merge=False)
    return ParsedTranscript(format="json", turns=require_turns(turns), metadata=metadata,
                            occurred_at=occurred_at, warnings=warnings)
