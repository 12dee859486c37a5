"""Quantities in a sentence (money, percentages, durations, counts of business things), and a
canonical key for each so that '$600K' and '$600,000' compare equal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lib.llm.offline.patterns import COUNT, CURRENCY_CODE, DURATION, MONEY, NUMBER_WORDS, PERCENT, RATIO

Kind = Literal["money", "percent", "ratio", "duration", "count"]
_BY_KIND: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("money", MONEY), ("percent", PERCENT), ("ratio", RATIO), ("duration", DURATION), ("count", COUNT),
)
_WORD_NUMBER = "(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_FIRST_NUMBER = re.compile(rf"\d[\d,]*(?:\.\d+)?|\b{_WORD_NUMBER}(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?\b",
                           re.IGNORECASE)
_START = re.compile(rf"[$€£]|\b{CURRENCY_CODE}\s?(?=\d)|\b(?-i:R)(?=\s?\d)|(?<![\w.,])\d|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b",
                    re.IGNORECASE)
_DIGIT_START = re.compile(rf"[$€£]|\b{CURRENCY_CODE}\s?(?=\d)|\b(?-i:R)(?=\s?\d)|(?<![\w.,])\d")
_SCALE = re.compile(r"\d\s?(k|m|mm|bn|b)\b|\b(thousand|million|billion|grand)\b", re.IGNORECASE)
_HUNDRED = re.compile(r"\s+hundred\b", re.IGNORECASE)
_MULTIPLIER = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
               "billion": 1e9, "grand": 1e3}


@dataclass(frozen=True)
class Quantity:
    text: str
    kind: Kind
    span: tuple[int, int]

    @property
    def key(self) -> tuple[float, Kind]:
        return quantity_key(self.text, self.kind)


def find_quantities(text: str, spelled: bool = True) -> list[Quantity]:
    """Non-overlapping quantities, the earlier kind winning a tie (money before percent before ...).
    The patterns are tried only where a number or a currency sign starts, which is fast; `spelled=False`
    says the caller knows there are no numbers written as words."""
    found: list[Quantity] = []
    for start in (m.start() for m in (_START if spelled else _DIGIT_START).finditer(text)):
        if found and start < found[-1].span[1]:
            continue
        for kind, pattern in _BY_KIND:
            match = pattern.match(text, start)
            if match:
                found.append(Quantity(match.group().strip(), kind, match.span()))
                break
    return found



def quantity_key(text: str, kind: Kind) -> tuple[float, Kind]:
    """The first number in `text`, scaled ('40k' is 40000), with its kind."""
    match = _FIRST_NUMBER.search(text)
    if match is None:
        return 0.0, kind
    raw = match.group().lower()
    if raw[0].isdigit():
        value = float(raw.replace(",", ""))
    else:  # 'forty-two' is forty plus two; 'a couple of' is one entry
        value = float(NUMBER_WORDS.get(raw) or sum(NUMBER_WORDS[w] for w in re.split(r"[- ]", raw)))
    if _HUNDRED.match(text, match.end()):  # 'four hundred grand' is 400 thousand
        value *= 100
    if kind == "ratio":  # 'one in eight' is an eighth
        second = _FIRST_NUMBER.search(text, match.end() + 1)
        divisor = quantity_key(second.group(), "count")[0] if second else 0.0
        return (value / divisor if divisor else value), kind
    scale = _SCALE.search(text)
    if scale and kind == "money":
        value *= _MULTIPLIER[(scale.group(1) or scale.group(2)).lower()]
    return value, kind

