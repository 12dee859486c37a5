"""Stakeholders merged across a deal's calls: the side and role most calls agree on, the latest known
title, influence and sentiment; the deal's economic buyer is a budget holder when one was named as such.

A deal role the MEDDPICC evidence gives a buyer (the champion or economic buyer element identified on a
call whose summary names them) is that person's role, whatever the stakeholder maps voted; the functional
role most calls gave them (user, technical evaluator, ...) is kept beside it, so the grid, the stakeholder
map, the CSV and the CRM fields name the same person."""

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
DEAL_ROLES = ("economic_buyer", "champion")
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
    role_override: str | None = None  # set when the deal-level pick (evidence, budget title) differs from the vote

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

    @property
    def functional_role(self) -> str:
        """The role most calls gave them other than a deal role (user, technical evaluator, ...)."""
        return self.most_agreed("role", exclude=DEAL_ROLES)

    def names(self) -> list[str]:
        """The ways the calls wrote this person's name, the natural full name first."""
        return list(dict.fromkeys([self.name, *(natural_name(p["name"]) for _, p in self.seen)]))

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
            functional_role=self.functional_role,
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
    assign_deal_roles(people, calls)
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


def assign_deal_roles(people: list[PersonTrack], calls: list[DealCall]) -> None:
    """The buyer the identified champion / economic buyer evidence names holds that role; anyone else the
    votes gave it keeps their functional role instead. Nobody named: the votes stand."""
    taken: set[int] = set()
    for role in ("economic_buyer", "champion"):
        holder = evidence_holder(people, calls, role)
        if holder is None or id(holder) in taken:
            continue
        taken.add(id(holder))
        for person in people:
            if person is holder:
                person.role_override = role
            elif person.role == role:
                person.role_override = person.functional_role


def evidence_holder(people: list[PersonTrack], calls: list[DealCall], element: str) -> PersonTrack | None:
    """Of the buyers named first in the element's summary on calls where it is identified: for the economic
    buyer a budget holder (CFO, VP Finance, ...) if one is among them; then the one named on most calls, a tie
    going to the latest. For the champion, failing a name, the one buyer who speaks all of a call's quotes.
    `calls` are oldest first."""
    buyers = [p for p in people if p.side == "buyer"]
    identified = [c.meddpic[element] for c in calls
                  if c.meddpic and c.meddpic.get(element, {}).get("status") == "identified"]
    named = [n for n in (first_named(buyers, found.get("summary") or "") for found in identified) if n is not None]
    if element == "champion" and not named:
        for found in identified:
            speakers = {id(p): p for item in found.get("evidence", [])
                        for p in buyers if item.get("speaker") and natural_name(item["speaker"]) in p.names()}
            if len(speakers) == 1:
                named.append(next(iter(speakers.values())))
    if element == "economic_buyer" and any(p.budget_holder() for p in named):
        named = [p for p in named if p.budget_holder()]
    if not named:
        return None
    counts = Counter(id(p) for p in named)
    top = max(counts.values())
    return next(p for p in reversed(named) if counts[id(p)] == top)


def first_named(buyers: list[PersonTrack], text: str) -> PersonTrack | None:
    """The buyer whose name (full, as a call wrote it, or a first name only they have) comes first in text."""
    firsts = Counter(p.name.split()[0] for p in buyers if p.name)
    best: tuple[int, PersonTrack] | None = None
    for person in buyers:
        names = [n for n in person.names() if n]
        if person.name and firsts[person.name.split()[0]] == 1:
            names.append(person.name.split()[0])
        for name in names:
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), person)
    return best[1] if best else None
