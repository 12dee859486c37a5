"""Check every quote against the transcript.

The rule: a quote is grounded when, after normalising both sides (case folded, curly quotes and
dashes made plain, every run of punctuation and whitespace made one space), it is found inside one turn
of the transcript, either exactly or, to tolerate small transcription differences, as a span of that
turn with the same number of words whose similarity (difflib ratio over the characters) is at least
0.85, the window starting or ending on the quote's own first or last word.
Quotes shorter than two words are too weak to prove anything and are not grounded. A quote joined from
pieces with an ellipsis is grounded when every piece is.

A grounded quote takes the speaker and start time of the turn it was found in: the transcript is the
authority on who said what, when.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import accumulate
from typing import Any

from lib.agents.schemas import Evidence

FUZZY_RATIO = 0.85
MIN_WORDS = 2
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# For ASCII text the same rule as _NON_WORD, as a table (several times faster than the regex), with
# str.split() collapsing the runs. Newlines are kept: split() treats them as spaces, and normalise_all
# cuts its joined texts apart on them.
_ASCII_NON_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum() and c != "\n"})
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


def normalise(text: str) -> str:
    folded = text.translate(_PLAIN).casefold()
    if folded.isascii():
        return " ".join(folded.translate(_ASCII_NON_WORD).split())
    return _NON_WORD.sub(" ", folded).strip()


def normalise_all(texts: list[str]) -> list[str]:
    """normalise() over many texts: one translate over all of them joined costs a fraction of one per text."""
    joined = "\n".join(texts)
    folded = joined.translate(_PLAIN).casefold()
    if not folded.isascii() or folded.count("\n") != len(texts) - 1:
        return [normalise(t) for t in texts]
    return [" ".join(line.split()) for line in folded.translate(_ASCII_NON_WORD).split("\n")]


def format_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True)
class _Turn:
    speaker: str | None
    start: str | None


class TranscriptIndex:
    """The transcript's turns, normalised once, for many quote look-ups.

    The normalised turns are kept as one string, a newline between turns (normalised text has none), so
    an exact look-up is one substring search and can never match across two turns. Built on the first
    look-up, not when made: an agent makes it before its LLM call and first looks up after the reply,
    so the work is off the path from a claimed transcript to its request."""

    def __init__(self, turns: list[dict[str, Any]]) -> None:
        self._source: list[dict[str, Any]] | None = turns

    def _build(self) -> None:
        turns, self._source = self._source or [], None
        self._turns: list[dict[str, Any]] = []
        texts: list[str] = []
        for turn, norm in zip(turns, normalise_all([str(t.get("text", "")) for t in turns]), strict=True):
            if norm:
                self._turns.append(turn)
                texts.append(norm)
        self._texts = texts
        self._offsets = [0, *accumulate(len(t) + 1 for t in texts)][:-1]
        self._text = "\n".join(texts)
        self._spaced = f" {self._text.replace(chr(10), ' ')} "
        self._words: dict[int, tuple[str, ...]] = {}
        self._names = {normalise(str(s)) for s in {t.get("speaker") for t in self._turns} if s}

    @property
    def names(self) -> set[str]:
        """The speakers' names, normalised."""
        if self._source is not None:
            self._build()
        return self._names

    def mentions(self, name: str) -> bool:
        """True when the name is a speaker or appears in what was said."""
        if self._source is not None:
            self._build()
        norm = normalise(name)
        return bool(norm) and (norm in self.names or f" {norm} " in self._spaced)

    def find(self, quote: str) -> _Turn | None:
        if self._source is not None:
            self._build()
        pieces = [normalise(p) for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if not pieces or sum(len(p.split()) for p in pieces) < MIN_WORDS:
            return None
        found = [self._find_piece(p) for p in pieces]
        first = found[0]
        if first is None or None in found:
            return None
        turn = self._turns[first]
        return _Turn(turn.get("speaker"), format_ms(turn.get("start_ms")))

    def _find_piece(self, piece: str) -> int | None:
        """The position of the first turn that holds the piece."""
        if (at := self._text.find(piece)) >= 0:
            return bisect_right(self._offsets, at) - 1
        words = piece.split()
        if len(words) < 4:  # fuzzy matching on very short quotes would ground almost anything
            return None
        for i, text in enumerate(self._texts):
            if (turn_words := self._words.get(i)) is None:
                turn_words = self._words[i] = tuple(text.split())
            if _fuzzy_contains(turn_words, words):
                return i
        return None


def _fuzzy_contains(haystack: tuple[str, ...], needle: list[str]) -> bool:
    """A same-length window that starts or ends on the quote's own first or last word and is close
    enough to it; the anchor keeps this cheap on long turns."""
    n = len(needle)
    target = " ".join(needle)
    for start in range(len(haystack) - n + 1):
        if haystack[start] != needle[0] and haystack[start + n - 1] != needle[-1]:
            continue
        window = " ".join(haystack[start:start + n])
        if SequenceMatcher(None, window, target, autojunk=False).ratio() >= FUZZY_RATIO:
            return True
    return False


@dataclass
class GroundingReport:
    kept: int = 0
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # for the re-ask only; never stored

    @property
    def offered(self) -> int:
        return self.kept + self.dropped

    @property
    def dropped_share(self) -> float:
        return self.dropped / self.offered if self.offered else 0.0

    def ground(self, index: TranscriptIndex, evidence: list[Evidence], where: str) -> list[Evidence]:
        """Keep the grounded quotes (speaker and time taken from the transcript), count the rest."""
        kept = []
        for item in evidence:
            turn = index.find(item.quote)
            if turn is None:
                self.dropped += 1
                self.warnings.append(f"{where}: dropped a quote not found in the transcript")
                self.rejected.append(item.quote)
                continue
            self.kept += 1
            kept.append(Evidence(quote=item.quote.strip(), speaker=turn.speaker or item.speaker,
                                 start_time=turn.start))
        return kept
