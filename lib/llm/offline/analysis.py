"""One pass over a transcript that both agents draw on: sentences, people and their sides and roles,
relationships, and alternatives to our offer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lib.llm.offline.competition import Alternative, find_alternatives, integration_targets, vendor_names
from lib.llm.offline.people import Directory, find_people
from lib.llm.offline.relations import Link, find_relationships
from lib.llm.offline.roles import Profile, RoleScan, assign_roles, scan_roles
from lib.llm.offline.sides import assign_sides
from lib.llm.offline.speakers import name_speakers
from lib.llm.offline.text import Sentence, split_sentences


@dataclass(frozen=True)
class Analysis:
    sentences: list[Sentence]
    directory: Directory
    sides: dict[str, str]
    profiles: list[Profile]
    roles: RoleScan
    links: list[Link]
    alternatives: list[Alternative]

    def with_role(self, role: str) -> Profile | None:
        return next((p for p in self.profiles if p.role == role), None)

    def side_of(self, speaker: str | None) -> str:
        return self.sides.get(speaker or "", "unknown")


# What the transcript file itself said about people: (name, title, side), from its participant list and
# role labels (lib/transcripts/speakers.py writes `sides` and `participants` into the metadata).
Known = tuple[tuple[str, str | None, str | None], ...]


def known_people(metadata: Mapping[str, Any]) -> Known:
    sides = metadata.get("sides") or {}
    titles = {str(p.get("name")): p.get("title") for p in metadata.get("participants") or []
              if isinstance(p, Mapping) and p.get("name")}
    names = list(dict.fromkeys([*titles, *sides]))
    return tuple((name, titles.get(name) or None, sides.get(name) or None) for name in names)


def analyse_turns(turns: Sequence[Mapping[str, Any]], known: Known = ()) -> Analysis:
    """`analyse`, remembered for the last few transcripts: the MEDDPIC and stakeholder agents ask about
    the same call one after the other."""
    key = tuple((t.get("speaker"), t.get("start_ms"), str(t.get("text") or "")) for t in turns)
    return _remembered(key, known)


@lru_cache(maxsize=8)
def _remembered(key: tuple[tuple[Any, Any, str], ...], known: Known) -> Analysis:
    return analyse([{"speaker": speaker, "start_ms": start, "text": text} for speaker, start, text in key], known)


def analyse(turns: Sequence[Mapping[str, Any]], known: Known = ()) -> Analysis:
    sentences = name_speakers(split_sentences(turns))
    vendors = vendor_names(sentences)
    companies = vendors | integration_targets(sentences)
    directory = find_people(sentences, companies)
    for person in directory.people:  # a title the file lists is kept unless the call itself gives one
        listed = next((title for name, title, _ in known if name == person.name and title), None)
        if listed and person.title is None:
            person.title = listed
    sides = assign_sides(directory, sentences, {name: side for name, _, side in known if side})
    roles = scan_roles(sentences, directory)
    profiles = [p for p in assign_roles(directory, sides, roles)
                if not p.person.title_only or p.role in ("economic_buyer", "champion", "blocker")]
    names = {part for person in directory.people for part in person.name.split()}
    alternatives = find_alternatives(sentences, names | vendors)
    return Analysis(sentences, directory, sides, profiles, roles, find_relationships(sentences, directory),
                    alternatives)
