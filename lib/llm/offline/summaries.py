"""Short summaries built only from what was found: names, titles, numbers and the words used."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import islice

from lib.llm.offline.elements import Found
from lib.llm.offline.roles import Profile
from lib.llm.offline.text import Rule

_LEADING_JOINER = re.compile(r"^(?:and|so|but|then|also|or)\s+", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s(?:and|but|so|because|which)\s|\s[-–—]\s")


def list_phrase(items: Sequence[str], limit: int) -> str:
    items = list(dict.fromkeys(items))[:limit]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def who(speakers: Sequence[str | None]) -> str:
    names = [s for s in dict.fromkeys(speakers) if s]
    return f" (raised by {list_phrase(names, 3)})" if names else ""


def named(profile: Profile) -> str:
    title = profile.person.title
    return f"{profile.person.name} ({title})" if title else profile.person.name


def economic_buyer_summary(profile: Profile) -> str:
    return f"{named(profile)} holds the budget or the final sign-off."


def champion_summary(profile: Profile, strong: bool) -> str:
    if strong:
        return f"{named(profile)} is advocating for us internally."
    return f"{named(profile)} is positive and has offered some help, but has not yet committed to sell internally."


def keyword_summary(label: str, found: list[Found], cue: Rule, dates: re.Pattern[str] | None) -> str:
    """'Criteria raised: needs to support SSO with Okta; ... (raised by Tom Becker)', in the call's words."""
    ranked = sorted(found, key=lambda f: (-f.score, f.sentence.position))[:3]
    snippets = [snippet(f.sentence.text, m.span()) for f in sorted(ranked, key=lambda f: f.sentence.position)
                for m in cue.finditer(f.sentence)]
    summary = f"{label}: " + "; ".join(list(dict.fromkeys(snippets))[:4]) + who([f.sentence.speaker for f in found])
    when = [m.group() for f in found for m in dates.finditer(f.sentence.text)] if dates else []
    return summary + (f"; dates: {list_phrase(when, 4)}." if when else ".")


def snippet(text: str, span: tuple[int, int], max_words: int = 10) -> str:
    """The clause around a match, cut to a few words from the match on. The clause breaks of a
    sentence are found once (`_breaks`) and only the few words shown are read, so the many matches a
    long unpunctuated caption sentence holds cost each a look-up, not a rescan of the sentence."""
    starts, ends = _breaks(text)
    before = bisect_right(ends, span[0])
    start = ends[before - 1] if before else 0
    after = bisect_left(starts, span[1])
    end = starts[after] if after < len(starts) else len(text)
    tail = _clause_end(text, start, end)
    lead = len(list(islice(_WORD.finditer(text, start, span[0]), 4)))
    if lead > 3 and len(list(islice(_WORD.finditer(text, start, tail), max_words + 1))) > max_words:
        begin = span[0]
        if start < begin < tail and not text[begin - 1].isspace() and not text[begin].isspace():
            begin = _word_end(text, begin, tail)
        words = [m.group() for m in islice(_WORD.finditer(text, begin, tail), max_words)]
    else:
        words = [m.group() for m in islice(_WORD.finditer(text, start, tail), max_words)]
    return _LEADING_JOINER.sub("", " ".join(words))


_WORD = re.compile(r"\S+")


@lru_cache(maxsize=16)
def _breaks(text: str) -> tuple[list[int], list[int]]:
    """Where each clause break of `text` starts and ends, in order."""
    found = [(m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(text)]
    return [a for a, _ in found], [b for _, b in found]


def _clause_end(text: str, start: int, end: int) -> int:
    """Where `text[start:end].strip().rstrip(".!?")` ends."""
    while end > start and text[end - 1].isspace():
        end -= 1
    while end > start and text[end - 1] in ".!?":
        end -= 1
    return end


def _word_end(text: str, begin: int, tail: int) -> int:
    """The end of the word `begin` falls inside (that word counts as one of the lead's)."""
    match = _WORD.match(text, begin, tail)
    return match.end() if match else begin
