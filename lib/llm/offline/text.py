"""Turns cut into sentences, each one an exact substring of its turn: the unit every rule reads and
every quote is taken from."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lib.agents.schemas import Evidence

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$€£])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Corp|Ltd|Co|approx|e\.g|i\.e)\.$", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:-|–|—)\s+")
MAX_QUOTE = 240  # a sentence longer than this is quoted by the clause that matched
_MIN_QUOTE_WORDS = 3
TOKEN = re.compile(r"[a-z0-9&]+")
QUESTION = frozenset({"?"})  # added to the words of a question, so that rules can be triggered by it


@dataclass(frozen=True)
class Sentence:
    text: str
    speaker: str | None
    start_time: str | None
    turn: int  # index of the turn it came from
    position: int  # index among all sentences of the transcript
    words: frozenset[str]  # lower-case words, for the cheap test of whether a rule could match

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")

    def evidence(self, span: tuple[int, int] | None = None) -> Evidence:
        """This sentence as a quote, or the clause around `span` when the sentence is too long."""
        quote = self.text if span is None or len(self.text) <= MAX_QUOTE else self._clause(span)
        return Evidence(quote=quote, speaker=self.speaker, start_time=self.start_time)

    def _clause(self, span: tuple[int, int]) -> str:
        starts, ends = self._breaks
        before = bisect_right(ends, span[0])
        start = ends[before - 1] if before else 0
        after = bisect_left(starts, span[1])
        end = starts[after] if after < len(starts) else len(self.text)
        clause = self.text[start:end].strip()
        return clause if len(clause.split(maxsplit=_MIN_QUOTE_WORDS)) >= _MIN_QUOTE_WORDS else self.text

    @cached_property
    def _breaks(self) -> tuple[list[int], list[int]]:
        """Where each clause break starts and ends: found once, so each quote from a long sentence is
        a look-up rather than a scan from the sentence's start."""
        found = [(m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(self.text)]
        return [a for a, _ in found], [b for _, b in found]


@dataclass(frozen=True)
class Rule:
    """A pattern and the words without which it cannot match. A sentence with none of them is skipped
    without running the pattern: most rules fit few sentences, and this keeps a 40 KB call fast."""

    regex: re.Pattern[str]
    triggers: frozenset[str]

    def finditer(self, sentence: Sentence) -> Iterator[re.Match[str]]:
        if self.triggers and self.triggers.isdisjoint(sentence.words):
            return iter(())
        return self.regex.finditer(sentence.text)

    def search(self, sentence: Sentence) -> re.Match[str] | None:
        return next(self.finditer(sentence), None)


@dataclass(frozen=True)
class RuleSet:
    """Rules tried together. An index from trigger word to rule finds, in one pass over a sentence's
    words, the few rules worth running on it."""

    rules: tuple[Rule, ...]

    @cached_property
    def _index(self) -> dict[str, tuple[int, ...]]:
        index: dict[str, list[int]] = {}
        for position, item in enumerate(self.rules):
            for word in item.triggers:
                index.setdefault(word, []).append(position)
        return {word: tuple(positions) for word, positions in index.items()}

    @cached_property
    def _keys(self) -> frozenset[str]:
        return frozenset(self._index)

    @cached_property
    def _always(self) -> frozenset[int]:
        return frozenset(i for i, item in enumerate(self.rules) if not item.triggers)

    def candidates(self, sentence: Sentence) -> list[int]:
        """Positions, in order, of the rules that could match the sentence."""
        words = self._keys.intersection(sentence.words)
        if not words:
            return sorted(self._always) if self._always else []
        index = self._index
        return sorted(self._always.union(*[index[w] for w in words]))

    def matches(self, sentence: Sentence) -> list[tuple[int, re.Match[str]]]:
        return [(position, match) for position in self.candidates(sentence)
                for match in self.rules[position].regex.finditer(sentence.text)]


def rule(pattern: str, triggers: str, flags: int = re.IGNORECASE) -> Rule:
    """`triggers`: the words (space separated, lower case, as split at any non-word character) of which
    a sentence must contain at least one for `pattern` to match; empty to always run it."""
    return Rule(re.compile(pattern, flags), frozenset(triggers.split()))


def format_ms(ms: object) -> str | None:
    if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
        return None
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def split_sentences(turns: Iterable[Mapping[str, Any]]) -> list[Sentence]:
    """Every sentence of every turn, in order, stripped but otherwise verbatim."""
    sentences: list[Sentence] = []
    for index, turn in enumerate(turns):
        text = str(turn.get("text") or "")
        speaker = str(turn["speaker"]) if turn.get("speaker") else None
        start = format_ms(turn.get("start_ms"))
        for piece in _pieces(text):
            words = frozenset(TOKEN.findall(piece.lower())) | (QUESTION if piece.endswith("?") else frozenset())
            sentences.append(Sentence(piece, speaker, start, index, len(sentences), words))
    return sentences


def _pieces(text: str) -> list[str]:
    pieces, start = [], 0
    for brk in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text, max(0, brk.start() - 8), brk.start()):
            pieces.append(text[start:brk.start()])
            start = brk.end()
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]
