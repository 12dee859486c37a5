"""Does a labelled person match a name the model gave? The deal roll-up's rules (lib/deals/people.py):
a full name is an identity, honorifics and "Last, First" are tidied, and a lone first name matches the
full name it starts (either way round). A label may name someone only by title ("the CFO"): then it
matches a person given that title, or a "name" that is the title."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lib.deals.people import name_key

_ARTICLES = frozenset({"the", "our", "their", "a", "an", "its", "his", "her"})


@dataclass(frozen=True)
class Named:
    """A person as an output named them."""

    name: str
    title: str | None = None


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.findall(r"[\w'&-]+", text.casefold()) if w not in _ARTICLES)


def names_match(label: str, given: str) -> bool:
    a, b = name_key(label), name_key(given)
    if not a or not b:
        return False
    if len(a) > 1 and len(b) > 1:
        return a == b
    return a[0] == b[0]


def person_matches(label: str, person: Named, label_title: str | None = None) -> bool:
    if names_match(label, person.name):
        return True
    wanted = {w for w in (_words(label), _words(label_title or "")) if w}
    return any(w in (_words(person.title or ""), _words(person.name)) for w in wanted)


def find_person(label: str, people: Iterable[Named], label_title: str | None = None) -> Named | None:
    return next((p for p in people if person_matches(label, p, label_title)), None)


def mentions(text: str, name: str) -> bool:
    """`name` (or, for a full name, its first word) appears in `text` as whole words."""
    key = name_key(name)
    if not key:
        return False
    folded = " ".join(_words(text))
    padded = f" {folded} "
    return f" {' '.join(key)} " in padded or (len(key) > 1 and f" {key[0]} " in padded)
