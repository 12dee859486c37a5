"""Turns cut into sentences, each one an exact substring of its turn: the unit every rule reads and
every quote is taken from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lib.agents.schemas import Evidence

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$€£])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Corp|Ltd|Co|approx|e\.g|i\.e)\.$", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:-|–|—)\s+")
MAX_QUOTE = 240  # a sentence longer than this is quoted by the clause that matched
_MIN_QUOTE_WORDS = 3


@dataclass(frozen=True)
class Sentence:
    text: str
    speaker: str | None
    start_time: str | None
    turn: int  # index of the turn it came from
    position: int  # index among all sentences of the transcript

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")

    def evidence(self, span: tuple[int, int] | None = None) -> Evidence:
        """This sentence as a quote, or the clause around `span` when the sentence is too long."""
        quote = self.text if span is None or len(self.text) <= MAX_QUOTE else self._clause(span)
        return Evidence(quote=quote, speaker=self.speaker, start_time=self.start_time)

    def _clause(self, span: tuple[int, int]) -> str:
        start, end = 0, len(self.text)
        for brk in _CLAUSE_BREAK.finditer(self.text):
            if brk.end() <= span[0]:
                start = brk.end()
            elif brk.start() >= span[1]:
                end = brk.start()
                break
        clause = self.text[start:end].strip()
        return clause if len(clause.split()) >= _MIN_QUOTE_WORDS else self.text


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
            sentences.append(Sentence(piece, speaker, start, index, len(sentences)))
    return sentences


def _pieces(text: str) -> list[str]:
    pieces, start = [], 0
    for brk in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text, 0, brk.start()):
            pieces.append(text[start:brk.start()])
            start = brk.end()
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]
