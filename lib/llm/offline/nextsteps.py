"""Next steps: commitments to act ('I'll send the MSA by Friday'), each with an owner and a due date
when the call states them."""

from __future__ import annotations

import re

from lib.agents.schemas import NextStep
from lib.llm.offline.patterns import DATE, ICASE, NAME, NOT_NAMES
from lib.llm.offline.people import Directory
from lib.llm.offline.text import Sentence, rule

_ACTION = rule(
    r"\b(?:next steps?|follow[- ]?up|send (?:over|you|it|the|our|an?|them|that|me|him|her|along)|"
    r"get [\w\s-]{0,40}?back to you|come back|take [\w%\s-]{1,20} to|working session|"
    r"schedule|set up (?:a|an|some|the|time)|book (?:a|an|the|some|time)|calendar invite|loop in|circle back|"
    r"share (?:the|a|our)|get (?:you|that) (?:over|to you)|introduce|reach out|put together|draft|do a [\w\s-]{0,20}demo|"
    r"run a [\w\s-]{0,20}(?:demo|workshop|session|pilot))\b",
    "next step steps follow followup send get schedule set book calendar loop circle share introduce reach put draft "
    "demo run come take working")
_COMMITMENT = re.compile(r"\b(?:I'll|I will|we'll|we will|let's|let me|I can|we can|I'm going to|we're going to|"
                         r"will|'ll|going to|can you|could you)\b|\w'll\b", ICASE)
_RECAP = re.compile(r"^(?:so,?\s+)?(?:let me recap|to recap|recap|let's recap)\b|^.{0,40}\bnext steps?(?: then)?\s*:\s*",
                    ICASE)
_AGENDA = re.compile(r"^.{0,40}\b(?:next steps?|the plan is|proposed plan)(?: then)?\s*:\s*", ICASE)
_ITEM = re.compile(r",\s+(?:and\s+)?|;\s+")
_CLAUSES = re.compile(r",\s+(?:and\s+)?(?=(?:I|we|let's|let me)\b|(?-i:[A-Z][a-z]+)\s+(?:will|'ll|can)\b)|;\s+"
                      r"|\s+and\s+(?=(?:I|we|let's)\b|(?-i:[A-Z][a-z]+)\s+will\b)", ICASE)
_LEAD = r"^(?:(?:and|so|also|then|okay|great),?\s+)?"
_SELF = re.compile(_LEAD + r"(?:(?-i:[A-Z][a-z]+),\s+)?(?:I|we|let's|let me)\b", ICASE)
_NAMED_OWNER = re.compile(_LEAD + rf"(?-i:(?P<name>{NAME}))(?:\s+(?:in|from|on)\s+\w+)?\s+(?:will|'ll|can|is going to)\b",
                          ICASE)
_ONLY_TALK = re.compile(r"^(?:then |so |and )?(?:let's|let me|we should) (?:plan|talk about|discuss|cover|go over|"
                        r"recap) (?:the |our )?next steps?\W*$", ICASE)
_LISTED_OWNER = re.compile(rf"^(?:(?:and|then)\s+)?(?-i:(?P<name>{NAME}))\s+(?:will\s+|'ll\s+)?[a-z]+s?\b", ICASE)
_WORD = re.compile(r"[a-z0-9]{4,}")
MAX_STEPS = 8


def find_next_steps(sentences: list[Sentence], directory: Directory) -> list[NextStep]:
    steps: dict[str, NextStep] = {}
    for sentence in sentences:
        if sentence.is_question and not re.search(r"\b(?:can|could) you\b", sentence.text, ICASE):
            continue
        for clause, agreed in _commitments(sentence):
            step = NextStep(action=_action(clause), owner=_owner(clause, sentence, directory, agreed), due=_due(clause))
            if not any(_same(step, other) for other in steps.values()):
                steps[step.action.lower()] = step
    return list(steps.values())[:MAX_STEPS]


def _commitments(sentence: Sentence) -> list[tuple[str, bool]]:
    """Clauses that commit someone to act; every item of a 'Next steps: a, b and c' list is one
    (flagged True: agreed, but the owner is only known when the item names one)."""
    agenda = _AGENDA.match(sentence.text)
    if agenda:
        items = _ITEM.split(sentence.text[agenda.end():])
        return [(item.strip(" ,.;"), True) for item in items if len(item.split()) >= 3]
    if _ACTION.search(sentence) is None:
        return []
    return [(clause, False) for clause in _clauses(sentence.text)
            if _ACTION.regex.search(clause) and _COMMITMENT.search(clause) and not _ONLY_TALK.match(clause)]


def _same(a: NextStep, b: NextStep) -> bool:
    """The same commitment said twice ('I can send the security package today', later 'Sam will send...')."""
    words_a, words_b = set(_WORD.findall(a.action.lower())), set(_WORD.findall(b.action.lower()))
    overlap = len(words_a & words_b) / max(1, min(len(words_a), len(words_b)))
    return a.owner == b.owner and a.due == b.due and overlap >= 0.5


def _clauses(text: str) -> list[str]:
    text = _RECAP.sub("", text).strip()
    pieces, start = [], 0
    for match in _CLAUSES.finditer(text):
        pieces.append(text[start:match.start()])
        start = match.end()
    pieces.append(text[start:])
    return [p.strip(" ,.;") for p in pieces if len(p.split()) >= 3]


def _action(clause: str) -> str:
    return clause[0].upper() + clause[1:] + ("" if clause.endswith((".", "!", "?")) else ".")


def _owner(clause: str, sentence: Sentence, directory: Directory, listed: bool = False) -> str | None:
    named = (_LISTED_OWNER if listed else _NAMED_OWNER).match(clause)
    if named and named.group("name").split()[0] not in NOT_NAMES:
        person = directory.get(named.group("name")) or directory.get(named.group("name").split()[0])
        return person.name if person else named.group("name")
    if _SELF.match(clause):
        return sentence.speaker
    return None


def _due(clause: str) -> str | None:
    match = DATE.search(clause)
    return match.group() if match else None
