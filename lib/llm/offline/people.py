"""Who is on the call and who is talked about: speakers, people named in person-shaped contexts, their
titles, and every later mention of them (by full name, unique first name, or pronoun)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lib.llm.offline.patterns import (
    C_LEVEL,
    DEPARTMENT_WORDS,
    DEPARTMENTS,
    ICASE,
    NAME,
    NAME_TOKEN,
    NOT_NAMES,
    TITLE,
    TITLE_WORDS,
)
from lib.llm.offline.text import TOKEN, RuleSet, Sentence, rule

_N = rf"(?-i:(?P<name>{NAME}))"
_FULL_NAME = rf"{NAME_TOKEN}\s{NAME_TOKEN}"
_POS = r"(?P<pos>our|my|their|your|the)"
# Contexts that only fit a person: creating one from them is safe.
_INTRODUCTIONS = RuleSet((
    rule(rf"\b{_POS}\s+(?:new\s+|own\s+)?(?P<title>{TITLE}),?\s+{_N}\b", TITLE_WORDS),
    rule(rf"\b(?P<pos>my|our|your)\s+(?:colleague|boss|manager|teammate|counterpart|co-?worker),?\s+{_N}\b",
         "colleague boss manager teammate counterpart coworker co"),
    rule(rf"{_N},\s+(?:who(?:'s| is)\s+)?(?:one of\s+)?{_POS}\s+(?P<title>{TITLE})", TITLE_WORDS),
    # 'Gloria Pham, she's been our router forever': a full name then 'she' or 'he' is a person
    rule(rf"(?-i:(?P<name>{_FULL_NAME})),\s+(?:she|he)(?:'s|\s+is|\s+was|\s+has|\s+runs|\s+leads|\s+does)\b",
         "she he"),
    # 'Keoni Akana, CFO, yes.': a full name then a title, no possessive
    rule(rf"(?-i:(?P<name>{_FULL_NAME})),\s+(?P<title>{TITLE})(?=[,.;!?]|\s+(?:and|of|at|here|there)\b|$)", TITLE_WORDS),
    rule(rf"{_N}(?:\s+[a-z]+){{1,3}},\s+one of\s+{_POS}\s+(?P<title>{TITLE})", TITLE_WORDS),
    rule(rf"{_N}\s+(?:is|was|'s|has been)\s+(?:one of\s+)?(?:{_POS}|a|an)\s+(?:new\s+|current\s+)?(?P<title>{TITLE})",
         TITLE_WORDS),
    rule(rf"{_N}\b[^.;]{{0,30}}?,\s+(?:he|she)(?:'s| is)\s+{_POS}\s+(?P<title>{TITLE})", TITLE_WORDS),
    rule(rf"{_N},\s+(?:he|she)\s+(?:runs|leads|heads up|manages|owns)\s+(?:the\s+)?(?:(?-i:[A-Z]+)\s)?"
         rf"(?P<dept>{DEPARTMENTS})\b", "runs leads heads manages owns"),
    rule(rf"{_N}\s+(?:from|in|on|over in|who runs|who leads|runs|leads)\s+(?:the\s+)?(?:(?P<pos>our|your|their)\s+)?"
         rf"(?P<dept>{DEPARTMENTS})(?:\s+team)?\b", DEPARTMENT_WORDS),
    rule(r"\b(?:reports?|reporting)\s+(?:in)?to\s+" + _N, "report reports reporting"),
    rule(r"\b(?:loop(?:ing|ed)?|bring(?:ing)?|brought|pull(?:ing)?)\s+in\s+" + _N,
         "loop looping looped bring bringing brought pull pulling"),
    rule(r"\b(?:introduce you to|make the case to|spoke (?:to|with)|check(?:ed)? with|follow up with|run (?:it|this|that) "
         r"by|(?:call|meeting|time|chat|sync) with|take (?:it|this|that|the [\w-]+(?: [\w-]+)?) to)\s+" + _N,
         "introduce case spoke check checked follow run call meeting time chat sync take"),
    rule(rf"{_N}\s+(?:has to|needs to|will have to|would have to|must)\s+(?:sign|approve)", "sign approve"),
    rule(rf"{_N}\s+(?:signs|approves|owns|said|says|mentioned|told|thinks|decides|controls)\b",
         "signs approves owns said says mentioned told thinks decides controls"),
    rule(rf"{_N}\s+(?:will|'ll|would)\s+(?:make the (?:final )?(?:call|decision)|sign|approve|weigh in)",
         "make sign approve weigh"),
    # An answer that is only a full name: 'Who signs? / Ines. Ines Carvalho, ...' or 'Maribel Santos.'
    rule(rf"^(?-i:(?P<name>{_FULL_NAME}))[.!]?$", ""),
))
_BARE_NAME = len(_INTRODUCTIONS.rules) - 1  # the last rule: a sentence that is only a full name
_SELF_TITLES = RuleSet((
    rule(rf"\bI(?:'m| am)\s+(?:(?-i:[A-Z][a-z]+),?\s+)?(?:the|a|an|one of the|our|your)\s+(?P<title>{TITLE})",
         TITLE_WORDS),
    rule(rf"\bI(?:'m| am)\s+(?-i:[A-Z][a-z]+),\s+(?P<title>{TITLE})", TITLE_WORDS),
    rule(rf"\b[Aa]s (?:the|our) (?P<title>{TITLE}),", TITLE_WORDS),
    rule(rf"\bI\s+(?:run|head(?: up)?|lead|manage|own|oversee)\s+(?:the\s+|our\s+)?(?P<dept>{DEPARTMENTS})\b",
         "run head lead manage own oversee"),
    rule(rf"\bI(?:'m| am)\s+(?:on|in)\s+(?:the\s+)?(?P<dept>{DEPARTMENTS})(?:\s+team)?\b", DEPARTMENT_WORDS),
    rule(rf"\bI\s+(?:handle|look after|cover)\s+(?P<dept>{DEPARTMENTS})\b", "handle look cover"),
))
_LEADS = re.compile(r"\bI\s+(?:run|head|lead|manage|own|oversee)\b", ICASE)
_PLURAL_ROLE = re.compile(r"(?:engineer|manager|executive|consultant|architect|analyst|lead|director|rep)s$", ICASE)
_GENERIC_SPEAKER = re.compile(r"^(?:speaker|spk|participant|unknown|guest)[\s_-]*\w*$", re.IGNORECASE)
_ACRONYM = re.compile(r"^[A-Z&]{2,}$|[a-z][A-Z]")


@dataclass
class Mention:
    sentence: Sentence
    pos: str | None  # the possessive it was introduced with: our / my / your / their / the


@dataclass
class Person:
    name: str
    is_speaker: bool
    title: str | None = None
    title_from: Sentence | None = None
    introductions: list[Mention] = field(default_factory=list)
    title_only: bool = False  # 'the COO', never named: kept only if the call gives them a role

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class Directory:
    """Everyone found, with a single compiled pattern that finds their later mentions."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self._by_alias = _aliases(people)
        alternatives = sorted(self._by_alias, key=len, reverse=True)
        self._pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b") \
            if alternatives else None
        self._first_words = frozenset(w for alias in alternatives for w in TOKEN.findall(alias.lower())[:1])
        self._seen: dict[str, list[tuple[Person, int]]] = {}

    def get(self, name: str) -> Person | None:
        return self._by_alias.get(name)

    def mentioned(self, sentence: Sentence) -> list[tuple[Person, int]]:
        """People named in the sentence, with where."""
        if self._pattern is None or self._first_words.isdisjoint(sentence.words):
            return []
        if sentence.text not in self._seen:
            self._seen[sentence.text] = [(self._by_alias[m.group()], m.start())
                                         for m in self._pattern.finditer(sentence.text)]
        return self._seen[sentence.text]


def find_people(sentences: list[Sentence], products: set[str]) -> Directory:
    people = [Person(speaker, True) for speaker in _speakers(sentences)]
    for index, sentence in enumerate(sentences):
        for position, match in _INTRODUCTIONS.matches(sentence):
            if position == _BARE_NAME and not any(s.is_question for s in sentences[max(0, index - 3):index]):
                continue  # a bare name is a person only as an answer ('Who signs? / Ines. Ines Carvalho.')
            # 'Sorry, Guillermo Ortega, he's our VP': a refused name is looked for again just after it
            found: re.Match[str] | None = match
            while found is not None and not _introduce(people, found, sentence, products):
                found = _INTRODUCTIONS.rules[position].regex.search(sentence.text, found.start("name") + 1)
    speakers = {p.name: p for p in people if p.is_speaker}
    for sentence in sentences:
        if sentence.speaker in speakers:
            _self_title(speakers[sentence.speaker], sentence)
    return Directory(people + _titled_only(sentences, people))


# Capitalised, the senior offices an institution has one of: 'the Provost', 'our Chancellor'
_OFFICES = r"Provost|Chancellor|Vice[- ]Chancellor|Superintendent|Bursar|Treasurer|Comptroller"
_TITLE_REFERENCE = re.compile(rf"\b(?:the|our|their|your)\s+(?P<title>(?-i:{C_LEVEL}|{_OFFICES}))"
                              r"(?!\s*,?\s+(?-i:[A-Z]))(?!'s office)\b", ICASE)


def _titled_only(sentences: list[Sentence], people: list[Person]) -> list[Person]:
    """'the COO' when no one found holds that title: a person known only by it."""
    held = {(p.title or "").casefold() for p in people}
    found: dict[str, Person] = {}
    for sentence in sentences:
        for match in _TITLE_REFERENCE.finditer(sentence.text):
            title = match.group("title")
            if title.casefold() not in held and title.casefold() not in found:
                found[title.casefold()] = Person(title, False, title=title, title_from=sentence, title_only=True)
    return list(found.values())


def _speakers(sentences: list[Sentence]) -> list[str]:
    return list(dict.fromkeys(s.speaker for s in sentences if s.speaker))


def _introduce(people: list[Person], match: re.Match[str], sentence: Sentence, products: set[str]) -> bool:
    name = _clean_name(match.group("name"))
    if name is None or name.split()[0] in products or name in products:
        return False
    person = _resolve(people, name)
    groups = match.groupdict()
    if person is None:
        person = Person(name, False)
        people.append(person)
    person.introductions.append(Mention(sentence, (groups.get("pos") or "").lower() or None))
    title = groups.get("title") or _dept_title(groups.get("dept"), "") or None
    if title and (person.title is None or person.title_from is None or groups.get("title")):
        person.title, person.title_from = _tidy_title(title), sentence
    return True


def _self_title(person: Person, sentence: Sentence) -> None:
    """A speaker's own words about their job; an explicit title beats one implied by a department."""
    if person.title_from is not None and person.title_from.speaker == person.name:
        return
    for _, match in _SELF_TITLES.matches(sentence):
        explicit = match.groupdict().get("title")
        if explicit or person.title is None:
            leads = _LEADS.search(match.group()) is not None
            person.title = _tidy_title(explicit or _dept_title(match.group("dept"), "Head of " if leads else ""))
            person.title_from = sentence
        return


def _resolve(people: list[Person], name: str) -> Person | None:
    """The person this name refers to: same full name, or a unique match on first name."""
    exact = [p for p in people if p.name.lower() == name.lower()]
    if exact:
        return exact[0]
    first = name.split()[0]
    same_first = [p for p in people if p.first_name == first]
    if len(same_first) == 1 and (len(name.split()) == 1 or len(same_first[0].name.split()) == 1):
        person = same_first[0]
        if len(name.split()) > len(person.name.split()) and not person.is_speaker:
            person.name = name  # 'Dana' then 'Dana Whitfield': keep the fuller name
        return person
    return None


def _clean_name(raw: str) -> str | None:
    tokens = [t for t in raw.split() if t not in NOT_NAMES and not _ACRONYM.search(t)]
    if not tokens or tokens[0] != raw.split()[0]:
        return None
    return " ".join(tokens)


def _dept_title(dept: str | None, prefix: str) -> str:
    if not dept:
        return ""
    return prefix + " ".join(w if w.isupper() or _ACRONYM.search(w) else w.capitalize() for w in dept.split())


def _tidy_title(title: str) -> str:
    title = title.strip().rstrip(",")
    return title[:-1] if _PLURAL_ROLE.search(title) else title


def _aliases(people: list[Person]) -> dict[str, Person]:
    aliases: dict[str, Person] = {}
    firsts = [p.first_name for p in people]
    for person in people:
        if not _GENERIC_SPEAKER.match(person.name):
            aliases[person.name] = person
            if firsts.count(person.first_name) == 1 and person.first_name not in NOT_NAMES:
                aliases[person.first_name] = person
    return aliases

