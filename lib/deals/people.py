"""One person across a deal's calls, however each call's stakeholder map wrote the name.

"Olivia", "Olivia Grant", "olivia grant" and "Grant, Olivia" are one person when they are on the same
side: a full name is an identity, and a lone first name joins the one full name on that side that starts
with it (two Olivias on the buyer side keep a lone "Olivia" apart, rather than guess). A person whose
side a call could not tell joins the one matching buyer or seller, if there is exactly one. Buyers and
sellers are never merged with each other.
"""

from __future__ import annotations

from collections.abc import Iterable

Identity = tuple[str, tuple[str, ...]]  # (side, the full name's lower-cased words)

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof"})
_SIDES = ("buyer", "seller")


def natural_name(name: str) -> str:
    """'Grant, Olivia' -> 'Olivia Grant'; spacing tidied, capitalisation kept, honorifics dropped."""
    text = " ".join(name.split())
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first:
            text = f"{first} {last}"
    words = [w for w in text.split() if w.strip(".").casefold() not in _HONORIFICS]
    return " ".join(words) or text


def name_key(name: str) -> tuple[str, ...]:
    return tuple(w.strip(".").casefold() for w in natural_name(name).split() if w.strip("."))


def resolve_people(people: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Identity]:
    """Map each (side, name as written) to the identity of the person it names."""
    entries = {(side, name) for side, name in people}
    full: dict[str, set[tuple[str, ...]]] = {}
    for side, name in entries:
        key = name_key(name)
        if len(key) > 1:
            full.setdefault(side, set()).add(key)
    resolved: dict[tuple[str, str], Identity] = {}
    for side, name in entries:
        key = name_key(name)
        sides = _SIDES if side not in _SIDES else (side,)
        candidates = [(s, k) for s in sides for k in full.get(s, ()) if _same_person(key, k)]
        resolved[(side, name)] = candidates[0] if len(candidates) == 1 else (side, key)
    return resolved


def _same_person(key: tuple[str, ...], full_key: tuple[str, ...]) -> bool:
    if len(key) > 1:
        return key == full_key
    return bool(key) and full_key[0] == key[0]
