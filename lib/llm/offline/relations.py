"""Relationships the call reveals: reporting lines, colleagues, who influences or opposes whom."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lib.llm.offline.patterns import NAME
from lib.llm.offline.people import Directory, Person
from lib.llm.offline.text import Rule, RuleSet, Sentence, rule

_N = rf"(?-i:(?P<other>{NAME}))"
_S = rf"(?-i:(?P<subject>{NAME}))"
_ME = r"\b(?P<me>I|I've|I'll|I'm)\b"
# (pattern, kind, the speaker is the source when it says 'I'/'my', reversed: the named person is the source)
_RULES: tuple[tuple[Rule, str, bool], ...] = (
    (rule(rf"{_ME}\s+(?:report|reports)\s+(?:in)?to\s+{_N}", "report reports"), "reports_to", False),
    (rule(rf"\bmy\s+(?:boss|manager|supervisor|VP|director),?\s+{_N}", "boss manager supervisor vp director"),
     "reports_to", False),
    (rule(rf"{_N}\s+is\s+my\s+(?:boss|manager|supervisor)\b", "boss manager supervisor"), "reports_to", False),
    (rule(rf"{_S}\s+reports\s+(?:in)?to\s+{_N}", "reports"), "reports_to", False),
    (rule(rf"{_N}\s+reports\s+(?:in)?to\s+me\b", "reports"), "reports_to", True),
    (rule(rf"{_ME}\s+manage\s+{_N}", "manage"), "manages", False),
    (rule(rf"{_N}\s+(?:is\s+on|works\s+on|is\s+part\s+of)\s+my\s+team\b", "team"), "reports_to", True),
    (rule(rf"\bmy\s+(?:colleague|teammate|co-?worker|counterpart),?\s+{_N}", "colleague teammate coworker co "
          "counterpart"), "works_with", False),
    (rule(rf"{_ME}(?:'ve got|\s+have)\s+{_N}\s+(?:with me|here|joining)", "got have"), "works_with", False),
    (rule(rf"{_ME}\s+work(?:s)?\s+(?:closely\s+)?with\s+{_N}", "work works"), "works_with", False),
    (rule(rf"{_N}\s+and\s+I\s+work\b", "work"), "works_with", False),
    (rule(rf"{_ME}(?:'ll|\s+will|\s+can)\s+(?:make the case to|take [\w\s-]{{0,30}}?to|get|walk|bring [\w\s-]{{0,20}}?to)"
          rf"\s+{_N}", "case take get walk bring"), "influences", False),
    (rule(rf"{_S}\s+(?:has|have)\s+{_N}'s\s+ear", "ear"), "influences", False),
    (rule(rf"{_N}\s+listens\s+to\s+{_S}", "listens"), "influences", False),
    (rule(rf"{_S}\s+(?:opposes|is\s+against|is\s+pushing\s+back\s+on|disagrees\s+with|pushed\s+back\s+on)\s+{_N}",
          "opposes against back disagrees"), "opposes", False),
)

_FAMILY = RuleSet(tuple(r for r, _, _ in _RULES))


@dataclass(frozen=True)
class Link:
    source: Person
    kind: str
    target: Person
    sentence: Sentence


def find_relationships(sentences: list[Sentence], directory: Directory) -> list[Link]:
    links: dict[tuple[str, str, str], Link] = {}
    for sentence in sentences:
        for position, match in _FAMILY.matches(sentence):
            _, kind, reverse = _RULES[position]
            link = _link(match, kind, reverse, sentence, directory)
            if link and link.source is not link.target:
                links.setdefault((link.source.name, kind, link.target.name), link)
    return list(links.values())


def _link(match: re.Match[str], kind: str, reverse: bool, sentence: Sentence, directory: Directory) -> Link | None:
    groups = match.groupdict()
    other = _person(directory, groups.get("other"))
    subject = _person(directory, groups.get("subject")) if groups.get("subject") else \
        directory.get(sentence.speaker or "")
    if other is None or subject is None:
        return None
    source, target = (other, subject) if reverse else (subject, other)
    return Link(source, kind, target, sentence)


def _person(directory: Directory, name: str | None) -> Person | None:
    if not name:
        return None
    return directory.get(name) or directory.get(name.split()[0])
