"""Who a cue is about: 'Dana owns the budget' is about Dana, 'I'm sold' about the speaker, 'she signs'
about the person last named, 'the CFO has to approve' about whoever holds that title."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from lib.llm.offline.patterns import FIRST_PERSON, NEGATION, PRONOUN
from lib.llm.offline.people import Directory, Person
from lib.llm.offline.text import Rule, RuleSet, Sentence

_OWNER = re.compile(r"(?:hers|his|theirs)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[,;:]|\s(?:and|but|so|because)\s")


@dataclass(frozen=True)
class Cue:
    rule: Rule
    weight: float
    about_speaker: bool = False  # the pattern itself says 'I', so it is always about the speaker
    speaker_by_default: bool = False  # about the speaker when no one else is named ('That's great.')


@dataclass(frozen=True)
class Hit:
    person: Person
    weight: float
    sentence: Sentence
    span: tuple[int, int]


Hits = dict[str, list["Hit"]]


def scan(sentences: list[Sentence], directory: Directory, families: tuple[tuple[Cue, ...], ...]) -> list[Hits]:
    """Every cue of every family in every sentence, in one pass, attributed to a person; negated cues
    ('I don't sign') are skipped. One dictionary of hits per family, by person name."""
    hits: list[defaultdict[str, list[Hit]]] = [defaultdict(list) for _ in families]
    cues = [(number, cue) for number, family in enumerate(families) for cue in family]
    rules = _rule_set(families)
    antecedent: Person | None = None
    for sentence in sentences:
        named = directory.mentioned(sentence)
        speaker = directory.get(sentence.speaker or "")
        for position, match in rules.matches(sentence):
            number, cue = cues[position]
            person = _attribute(sentence, cue, match, named, speaker, antecedent)
            if person is not None:
                hits[number][person.name].append(Hit(person, cue.weight, sentence, match.span()))
        antecedent = next((p for p, _ in reversed(named) if p is not speaker), antecedent)
    return [dict(family_hits) for family_hits in hits]


@cache
def _rule_set(families: tuple[tuple[Cue, ...], ...]) -> RuleSet:
    return RuleSet(tuple(cue.rule for family in families for cue in family))


def _attribute(sentence: Sentence, cue: Cue, match: re.Match[str], named: list[tuple[Person, int]],
               speaker: Person | None, antecedent: Person | None) -> Person | None:
    if _negated(sentence.text, match.start()):
        return None
    person = speaker if cue.about_speaker else _subject(sentence, match, named, speaker, antecedent)
    return speaker if person is None and cue.speaker_by_default else person


def _subject(sentence: Sentence, match: re.Match[str], named: list[tuple[Person, int]],
             speaker: Person | None, antecedent: Person | None) -> Person | None:
    if FIRST_PERSON.match(sentence.text, match.start()):
        return speaker
    start = _clause_start(sentence.text, match.start())
    before = [p for p, at in named if at < match.start()]
    if PRONOUN.match(sentence.text, match.start()) or _OWNER.match(sentence.text, match.start()):
        # the cue itself opens with 'she' ('she approves capex') or 'hers' ('hers to move')
        return before[-1] if before else antecedent
    if before and _position(named, before[-1]) >= start:
        return before[-1]
    if FIRST_PERSON.search(sentence.text, start, match.start()):
        return speaker
    if PRONOUN.search(sentence.text, start, match.start()):
        return before[-1] if before else antecedent
    if before:
        return before[-1]
    after = [p for p, at in named if at >= match.end()]
    return after[0] if after else None


def _position(named: list[tuple[Person, int]], person: Person) -> int:
    return max(at for p, at in named if p is person)


def _clause_start(text: str, at: int) -> int:
    starts = [m.end() for m in _CLAUSE.finditer(text, 0, at)]
    return starts[-1] if starts else 0


def _negated(text: str, at: int) -> bool:
    return NEGATION.search(text, _clause_start(text, at), at) is not None
