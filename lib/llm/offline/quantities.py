"""Quantities in a sentence (money, percentages, durations, counts of business things), and a
canonical key for each so that '$600K' and '$600,000' compare equal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lib.llm.offline.patterns import COUNT, DURATION, MONEY, NUMBER_WORDS, PERCENT

Kind = Literal["money", "percent", "duration", "count"]
_BY_KIND: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("money", MONEY), ("percent", PERCENT), ("duration", DURATION), ("count", COUNT),
)
_FIRST_NUMBER = re.compile(
    r"\d[\d,]*(?:\.\d+)?|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_SCALE = re.compile(r"\d\s?(k|m|mm|bn|b)\b|\b(thousand|million|billion)\b", re.IGNORECASE)
_MULTIPLIER = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
               "billion": 1e9}


@dataclass(frozen=True)
class Quantity:
    text: str
    kind: Kind
    span: tuple[int, int]

    @property
    def key(self) -> tuple[float, Kind]:
        return quantity_key(self.text, self.kind)


def find_quantities(text: str) -> list[Quantity]:
    """Non-overlapping quantities, the earlier kind winning a tie (money before percent before ...)."""
    found: list[Quantity] = []
    for kind, pattern in _BY_KIND:
        for match in pattern.finditer(text):
            if not any(_overlaps(match.span(), q.span) for q in found):
                found.append(Quantity(match.group().strip(), kind, match.span()))
    return sorted(found, key=lambda q: q.span)


def quantity_key(text: str, kind: Kind) -> tuple[float, Kind]:
    """The first number in `text`, scaled ('40k' is 40000), with its kind."""
    match = _FIRST_NUMBER.search(text)
    if match is None:
        return 0.0, kind
    raw = match.group().lower()
    value = float(NUMBER_WORDS[raw]) if raw in NUMBER_WORDS else float(raw.replace(",", ""))
    scale = _SCALE.search(text)
    if scale and kind == "money":
        value *= _MULTIPLIER[(scale.group(1) or scale.group(2)).lower()]
    return value, kind


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
