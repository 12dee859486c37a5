"""Stakeholders merged across a deal's calls: the side and role most calls agree on, the latest known
title, influence and sentiment; the deal's economic buyer is a budget holder when one was named as such."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lib.deals.calls import DealCall
from lib.deals.models import DealStakeholder
from lib.deals.people import Identity, natural_name, resolve_people

_SIDE_ORDER = {"buyer": 0, "seller": 1, "unknown": 2}
KNOWN_SIDES = ("buyer", "seller")
# Titles that hold a budget: preferred over the most frequent role when picking the economic buyer.
BUDGET_TITLE = re.compile(
    r"\b(?:c[fe]o|chief (?:financial|executive) officer|(?:s|e)?vp,? (?:of )?finance|vice president,? (?:of )?"
    r"finance|finance director|director of finance|head of finance|financial controller|controller|comptroller|"
    r"treasurer|budget (?:owner|holder))\b", re.IGNORECASE)


@dataclass
class PersonTrack:
    """One person over the calls that list them, oldest first."""

    identity: Identity
    name: str = ""
    seen: list[tuple[DealCall, dict[str, Any]]] = field(default_factory=list)
    role_override: str | None = None  # set when the deal-level economic-buyer pick differs from the vote

    def latest(self, key: str, unknown: str | None = "unknown") -> Any:
        values = [p.get(key) for _, p in self.seen if p.get(key) and p.get(key) != unknown]
        return values[-1] if values else unknown

    def most_agreed(self, key: str, exclude: tuple[str, ...] = ()) -> str:
        """The known value most calls give (a tie goes to the latest of the tied); 'unknown' if none."""
        values = [p.get(key) for _, p in self.seen if p.get(key) not in (None, "", "unknown", *exclude)]
        if not values:
            return "unknown"
        counts = Counter(values)
        top = max(counts.values())
        return next(v for v in reversed(values) if counts[v] == top)

    @property
    def side(self) -> str:
        return self.most_agreed("side")

    @property
    def role(self) -> str:
        return self.role_override or self.most_agreed("role")

    def side_by_call(self) -> list[tuple[DealCall, str]]:
        return [(call, p["side"]) for call, p in self.seen if p.get("side") in KNOWN_SIDES]

    def sentiments(self) -> list[tuple[DealCall, str]]:
        return [(call, p["sentiment"]) for call, p in self.seen if p.get("sentiment", "unknown") != "unknown"]

    def was(self, role: str) -> bool:
        return any(p.get("role") == role for _, p in self.seen)

    def budget_holder(self) -> bool:
        return any(BUDGET_TITLE.search(p.get("title") or "") for _, p in self.seen)

    def summary(self) -> DealStakeholder:
        return DealStakeholder(
            name=self.name, title=self.latest("title", None), side=self.side, role=self.role,
            influence=self.latest("influence"), sentiment=self.latest("sentiment"),
            calls_seen=len({call.transcript_id for call, _ in self.seen}),
            first_seen_at=min(call.occurred_at for call, _ in self.seen))


def track_people(calls: list[DealCall]) -> list[PersonTrack]:
    """Everyone the calls' stakeholder maps list, merged; buyers first, then by first appearance."""
    listed = [(call, person) for call in calls if call.stakeholders for person in call.stakeholders["people"]]
    identities = resolve_people((p["side"], p["name"]) for _, p in listed)
    tracks: dict[Identity, PersonTrack] = {}
    for call, person in listed:
        identity = identities[(person["side"], person["name"])]
        track = tracks.setdefault(identity, PersonTrack(identity))
        track.seen.append((call, person))
        if not track.name or len(natural_name(person["name"]).split()) > len(track.name.split()):
            track.name = natural_name(person["name"])
    people = list(tracks.values())
    pick_economic_buyer(people)
    return sorted(people, key=lambda t: (_SIDE_ORDER.get(t.side, 3), t.seen[0][0].occurred_at,
                                         t.seen[0][0].transcript_id, t.name))


def pick_economic_buyer(people: list[PersonTrack]) -> None:
    """Of the buyers some call named economic buyer, those with a budget-holder title (CFO, VP Finance, ...)
    are the deal's economic buyer; one without such a title then keeps their next most agreed role."""
    named = [p for p in people if p.side == "buyer" and p.was("economic_buyer")]
    holders = [p for p in named if p.budget_holder()]
    if not holders:
        return
    for person in named:
        if person in holders:
            person.role_override = "economic_buyer"
        elif person.role == "economic_buyer":
            person.role_override = person.most_agreed("role", exclude=("economic_buyer",))
