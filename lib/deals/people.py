"""One person across a deal's calls, however each call's stakeholder map wrote the name, and whatever
side each call put them on.

"Olivia", "Olivia Grant", "olivia grant" and "Grant, Olivia" are one person: a full name is an identity
whatever side or role a call gave it (the per-call extraction can put one person on the buyer side once
and the seller side once; the roll-up then takes the side most calls agree on and warns). A lone first
name joins the one full name that starts with it; when several do ("Olivia Grant" a buyer, "Olivia
Brooks" a seller), it joins the one on its own side, if there is exactly one, and otherwise stays apart
rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Identity = tuple[str, ...]  # the full name's lower-cased words

_NAME_PART = re.compile(r"[^\W\d_][\w.'’ -]*")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof"})


def natural_name(name: str) -> str:
    """'Grant, Olivia' -> 'Olivia Grant'; spacing tidied, capitalisation kept, honorifics dropped."""
    text = " ".join(name.split())
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if _NAME_PART.fullmatch(last) and _NAME_PART.fullmatch(first):  # never `=HYPERLINK("x","y")`
            text = f"{first} {last}"
    words = [w for w in text.split() if w.strip(".").casefold() not in _HONORIFICS]
    return " ".join(words) or text


def name_key(name: str) -> tuple[str, ...]:
    return tuple(w.strip(".").casefold() for w in natural_name(name).split() if w.strip("."))


def resolve_people(people: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Identity]:
    """Map each (side, name as written) to the identity of the person it names."""
    entries = {(side, name) for side, name in people}
    full_sides: dict[tuple[str, ...], set[str]] = {}
    for side, name in entries:
        key = name_key(name)
        if len(key) > 1:
            full_sides.setdefault(key, set()).add(side)
    resolved: dict[tuple[str, str], Identity] = {}
    for side, name in entries:
        key = name_key(name)
        if len(key) != 1:
            resolved[(side, name)] = key
            continue
        candidates = [k for k in full_sides if k[0] == key[0]]
        if len(candidates) > 1:
            candidates = [k for k in candidates if side in full_sides[k]]
        resolved[(side, name)] = candidates[0] if len(candidates) == 1 else key
    return resolved
