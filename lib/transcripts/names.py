"""Anonymous speakers (`Speaker A`, `SPEAKER_01`, `spk_0`, a Gong speaker id) named where the call names
them: a speaker who introduces themself in one of their first turns (`this is Sofia Grant`, `I'm Ben
Adler, head of operations at Kestrel`) becomes that person, with the title and company they gave. A
name two speakers claim names neither. Whoever stays anonymous is listed in `metadata.unnamed_speakers`
so the stakeholder map says the person is unnamed instead of listing `Speaker A` as a person.
"""

from __future__ import annotations

import re
from typing import Any

from lib.transcripts.models import Turn
from lib.transcripts.people import Participant

ANONYMOUS = re.compile(r"^(?:speaker[ _-]?\w{1,3}|spk_\d{1,3}|unknown speaker|\d{6,24})$", re.IGNORECASE)
_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_INTRO = re.compile(
    rf"\b(?:this is|I'm|I am|my name is|my name's|it's)\s+(?P<name>{_WORD}(?:\s+{_WORD}){{0,2}})"
    r"(?:\s*,\s*(?:the\s+|a\s+)?(?P<title>[a-zA-Z][\w &/-]{1,50}?)\s+(?:at|with|from|over at)\s+"
    r"(?P<company>[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3}))?(?=[\s.,;!?]|$)")
_NOT_NAMES = frozenset({"here", "happy", "glad", "good", "great", "fine", "sure", "sorry", "just", "calling", "not",
                        "so", "really", "looking", "on", "back", "excited", "thrilled", "okay", "ok", "well", "all",
                        "the", "going", "hoping", "trying", "still", "also", "pleased", "joining", "monday", "friday"})
_FIRST_TURNS = 3


def name_speakers(turns: list[Turn], metadata: dict[str, Any]) -> tuple[list[Turn], list[Participant]]:
    """Turns with self-introduced anonymous speakers renamed, and those people as participants."""
    claims: dict[str, list[tuple[str, str | None, str | None]]] = {}
    seen: dict[str, int] = {}
    for turn in turns:
        speaker = turn.speaker
        if not speaker or not ANONYMOUS.match(speaker) or seen.get(speaker, 0) >= _FIRST_TURNS:
            continue
        seen[speaker] = seen.get(speaker, 0) + 1
        if speaker in claims:
            continue
        match = _INTRO.search(turn.text[:400])
        if match and match["name"].split()[0].casefold() not in _NOT_NAMES:
            claims[speaker] = [(match["name"], match["title"], match["company"])]
    by_name: dict[str, list[str]] = {}
    for speaker, found in claims.items():
        by_name.setdefault(found[0][0], []).append(speaker)
    rename = {s: found[0][0] for s, found in claims.items() if len(by_name[found[0][0]]) == 1}
    people = [Participant(name=name, title=title, company=company.rstrip(".") if company else None)
              for name, title, company in (claims[s][0] for s in rename)]
    named = [t.model_copy(update={"speaker": rename[t.speaker]}) if t.speaker in rename else t for t in turns]
    unnamed = list(dict.fromkeys(t.speaker for t in named if t.speaker and ANONYMOUS.match(t.speaker)))
    if unnamed:
        metadata["unnamed_speakers"] = unnamed
    if rename:
        metadata["named_from_intros"] = rename
    return named, people
