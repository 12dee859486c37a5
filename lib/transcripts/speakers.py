"""What every parser's output gets last: speaker labels resolved to the participants the file lists, the
side each speaker is on, and the one-turn rule.

A file in which no speaker label was found is still stored (its text can be analysed) as one turn, and
`NO_LABELS` is among its warnings: that is almost always a format we did not recognise, and it should
not pass silently into the analysis.
"""

from __future__ import annotations

from typing import Any

from lib.transcripts.models import ParsedTranscript, Turn
from lib.transcripts.people import Participant, resolve_label, role_side, with_sides

NO_LABELS = "no speaker labels found: stored as one turn"


def attribute(parsed: ParsedTranscript, seller_company: str | None) -> ParsedTranscript:
    participants = with_sides(parsed.participants, seller_company)
    names = {s: _resolved(s, participants) for s in {t.speaker for t in parsed.turns if t.speaker}}
    turns = [t.model_copy(update={"speaker": names[t.speaker]}) if t.speaker and names[t.speaker] != t.speaker else t
             for t in parsed.turns]
    metadata: dict[str, Any] = dict(parsed.metadata)
    warnings = list(parsed.warnings)
    if participants and "participants" not in metadata:
        metadata["participants"] = [p.as_metadata() for p in participants]
    if not any(turn.speaker for turn in turns):
        turns = [Turn(speaker=None, start_ms=turns[0].start_ms, end_ms=turns[-1].end_ms,
                      text=" ".join(turn.text for turn in turns))]
        metadata["speaker_labels"] = "none"
        warnings.insert(0, NO_LABELS)
    sides = speaker_sides([t.speaker for t in turns if t.speaker], participants)
    if sides:
        metadata["sides"] = sides
    return parsed.model_copy(update={"turns": turns, "metadata": metadata, "warnings": warnings,
                                     "participants": participants})


def speaker_sides(speakers: list[str], participants: list[Participant]) -> dict[str, str]:
    """A role label's side first (`REP` is the seller whatever the header says), then the participant's."""
    by_name = {p.name: p for p in participants}
    sides: dict[str, str] = {}
    for speaker in dict.fromkeys(speakers):
        side = role_side(speaker) or (by_name[speaker].side if speaker in by_name else None)
        if side:
            sides[speaker] = side
    return sides


def _resolved(label: str, participants: list[Participant]) -> str:
    found = resolve_label(label, participants) if participants else None
    return found.name if found else label
