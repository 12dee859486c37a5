"""Short summaries built only from what was found: names, titles, numbers and the words used."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    """The clause around a match, cut to a few words from the match on."""
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, span[0])), default=0)
    end = min((m.start() for m in _CLAUSE_BREAK.finditer(text, span[1])), default=len(text))
    lead = len(text[start:span[0]].split())
    words = text[start:end].strip().rstrip(".!?").split()
    if len(words) > max_words and lead > 3:
        words = words[lead:]
    return _LEADING_JOINER.sub("", " ".join(words[:max_words]))
