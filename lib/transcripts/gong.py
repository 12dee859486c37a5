"""Gong call transcripts, as the Gong API exports them (`format="gong"`):

    {
      "callTranscripts": [{"callId": "7782342274025937895",
                           "transcript": [{"speakerId": "6432345678555530067", "topic"?: "Pricing",
                                           "sentences": [{"start": 460230, "end": 462343, "text": "..."}]}]}],
      "parties"?: [{"speakerId": "6432345678555530067", "name": "Maya Chen", "title"?: "Account Executive",
                    "affiliation"?: "Internal", "emailAddress"?: "maya@acme.io"}],
      "metaData"?: {"title"?: "Northwind pricing", "started"?: "2025-03-04T15:00:00Z"},
      "context"?: [{"system": "Salesforce", "objects": [{"objectType": "Opportunity", "objectId": "0065g00000AbCdE"}]}]
    }

Speakers are named from `parties` when listed there, else `Speaker <speakerId>`. Each monologue is a
turn (sentences joined, start of the first, end of the last); consecutive monologues of one speaker,
which Gong splits at topic changes, are merged. `start`/`end` are milliseconds. One call per file:
an export holding several calls is refused rather than silently cut to the first.

CRM context (as Gong's extensive call data carries it): the call's Opportunity id becomes its deal id,
unless `asmis ingest --deal` names one. A call linked to several opportunities takes the first, with a
warning.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lib.transcripts.models import BadTranscript, ParsedTranscript, Turn
from lib.transcripts.people import Participant
from lib.transcripts.turns import build_turns, parse_when, require_turns, validate
from lib.words import count


class _Sentence(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class _Monologue(BaseModel):
    speakerId: str | int
    topic: str | None = None
    sentences: list[_Sentence]


class _Call(BaseModel):
    callId: str | int
    transcript: list[_Monologue]


class _Party(BaseModel):
    speakerId: str | int | None = None
    name: str | None = None
    title: str | None = None
    affiliation: str | None = None
    emailAddress: str | None = None


class _Meta(BaseModel):
    title: str | None = None
    started: str | None = None


class _CrmObject(BaseModel):
    objectType: str | None = None
    objectId: str | int | None = None


class _Context(BaseModel):
    system: str | None = None
    objects: list[_CrmObject] = []


class _Export(BaseModel):
    callTranscripts: list[_Call]
    parties: list[_Party] = []
    metaData: _Meta | None = None
    context: list[_Context] = []


def parse_gong(document: dict[str, Any]) -> ParsedTranscript:
    export = validate(_Export, document, "Gong transcript export")
    if len(export.callTranscripts) > 1:
        raise BadTranscript(f"Gong export holds {len(export.callTranscripts)} calls; "
                            "split it into one file per call")
    if not export.callTranscripts:
        raise BadTranscript("no speaker turns found (callTranscripts is empty)")
    call = export.callTranscripts[0]
    warnings: list[str] = []
    names = {str(p.speakerId): p.name.strip() for p in export.parties if p.speakerId is not None and p.name}
    turns = build_turns((_turn(m, names) for m in call.transcript), merge=True)
    unnamed = {str(m.speakerId) for m in call.transcript} - names.keys()
    if export.parties and unnamed:
        warnings.append(f"{count(len(unnamed), 'speaker')} not named in parties; shown as 'Speaker <id>'")
    meta = export.metaData or _Meta()
    metadata = _metadata(export, call) | _deal(export, warnings)
    return ParsedTranscript(format="gong", turns=require_turns(turns), metadata=metadata,
                            occurred_at=parse_when(meta.started, warnings, "metaData.started"),
                            participants=_participants(export.parties), warnings=warnings)


def _participants(parties: list[_Party]) -> list[Participant]:
    """Gong's `affiliation` (Internal / External / Unknown) is the side; an Unknown party's side comes
    from the e-mail domain of the Internal ones (`people.with_sides`)."""
    tags = {"internal": "seller", "external": "buyer"}
    return [Participant(name=p.name.strip(), title=p.title, email=(p.emailAddress or "").lower() or None,
                        tag=tags.get((p.affiliation or "").casefold())) for p in parties if p.name and p.name.strip()]


def _turn(monologue: _Monologue, names: dict[str, str]) -> Turn:
    sentences = monologue.sentences
    speaker = names.get(str(monologue.speakerId), f"Speaker {monologue.speakerId}")
    return Turn(speaker=speaker, start_ms=sentences[0].start if sentences else None,
                end_ms=sentences[-1].end if sentences else None, text=" ".join(s.text for s in sentences))


def _deal(export: _Export, warnings: list[str]) -> dict[str, Any]:
    """The deal id from the first Opportunity in the call's CRM context."""
    found = [(c.system, str(o.objectId)) for c in export.context for o in c.objects
             if (o.objectType or "").casefold() == "opportunity" and o.objectId not in (None, "")]
    if not found:
        return {}
    distinct = {object_id for _, object_id in found}
    if len(distinct) > 1:
        warnings.append(f"call is linked to {len(distinct)} opportunities; its deal id is the first")
    system, object_id = found[0]
    return {"deal_id": object_id, "crm_system": system} if system else {"deal_id": object_id}


def _metadata(export: _Export, call: _Call) -> dict[str, Any]:
    metadata: dict[str, Any] = {"call_id": str(call.callId)}
    if export.metaData and export.metaData.title:
        metadata["title"] = export.metaData.title
    if export.parties:
        metadata["participants"] = [
            {"speaker_id": None if p.speakerId is None else str(p.speakerId), "name": p.name,
             "title": p.title, "affiliation": p.affiliation} for p in export.parties]
    topics = [m.topic for m in call.transcript if m.topic]
    if topics:
        metadata["topics"] = list(dict.fromkeys(topics))
    return metadata
