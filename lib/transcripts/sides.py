"""Sides from who the team is, not from guesses: the seller's roster (`asmis team`, table `seller_team`)
and e-mail domains (`ASMIS_SELLER_DOMAINS`). A speaker or participant on the roster (full name, or a first
name only one roster person has) or with a team domain is the seller on every call, whatever else the file
suggests. The sides the file and the team settle are stored as `metadata.known_sides`; a side the
extractor infers later is a guess beside them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lib.transcripts.models import ParsedTranscript


@dataclass(frozen=True)
class Team:
    names: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()

    def has(self, name: str, email: str | None = None) -> bool:
        if email and "@" in email and email.split("@")[1].casefold() in {d.casefold().lstrip("@") for d in self.domains}:
            return True
        folded = name.casefold().split()
        if not folded:
            return False
        if any(n.casefold().split() == folded for n in self.names):
            return True
        firsts = [n for n in self.names if n.casefold().split()[: len(folded)] == folded]
        return len(folded) == 1 and len(firsts) == 1


def apply_team(parsed: ParsedTranscript, team: Team | None) -> ParsedTranscript:
    if team is None or not (team.names or team.domains):
        return parsed
    participants = [replace(p, side="seller") if team.has(p.name, p.email) else p for p in parsed.participants]
    sides = dict(parsed.metadata.get("sides") or {})
    for speaker in parsed.speakers:
        if team.has(speaker):
            sides[speaker] = "seller"
    for person in participants:
        if person.side and person.name in parsed.speakers:
            sides.setdefault(person.name, person.side)
            if person.side == "seller":
                sides[person.name] = "seller"
    metadata = dict(parsed.metadata)
    if "participants" in metadata:
        metadata["participants"] = [p.as_metadata() for p in participants]
    if sides:
        metadata["sides"] = sides
        metadata["known_sides"] = sides
    return parsed.model_copy(update={"participants": participants, "metadata": metadata})
