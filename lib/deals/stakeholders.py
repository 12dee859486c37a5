"""Stakeholders merged across a deal's calls: the latest known title, role, influence and sentiment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lib.deals.calls import DealCall
from lib.deals.models import DealStakeholder
from lib.deals.people import Identity, natural_name, resolve_people

_SIDE_ORDER = {"buyer": 0, "seller": 1, "unknown": 2}


@dataclass
class PersonTrack:
    """One person over the calls that list them, oldest first."""

    identity: Identity
    name: str = ""
    seen: list[tuple[DealCall, dict[str, Any]]] = field(default_factory=list)

    def latest(self, key: str, unknown: str | None = "unknown") -> Any:
        values = [p.get(key) for _, p in self.seen if p.get(key) and p.get(key) != unknown]
        return values[-1] if values else unknown

    def sentiments(self) -> list[tuple[DealCall, str]]:
        return [(call, p["sentiment"]) for call, p in self.seen if p.get("sentiment", "unknown") != "unknown"]

    def was(self, role: str) -> bool:
        return any(p.get("role") == role for _, p in self.seen)

    def summary(self) -> DealStakeholder:
        return DealStakeholder(
            name=self.name, title=self.latest("title", None), side=self.identity[0], role=self.latest("role"),
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
    return sorted(tracks.values(), key=lambda t: (_SIDE_ORDER.get(t.identity[0], 3), t.seen[0][0].occurred_at,
                                                  t.seen[0][0].transcript_id, t.name))
