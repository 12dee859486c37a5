"""Deal warnings, each with a stable code a CRM rule or a dashboard can key on."""

from __future__ import annotations

from datetime import datetime, timedelta

from lib.deals.calls import DealCall, DealRules, call_label
from lib.deals.models import DealElement, DealWarning
from lib.deals.stakeholders import PersonTrack

CODES = ("no_economic_buyer", "no_champion", "competitor_named", "paper_process_not_started", "no_recent_call",
         "champion_sentiment_negative", "side_conflict")


def deal_warnings(elements: dict[str, DealElement], people: list[PersonTrack], calls: list[DealCall],
                  rules: DealRules, now: datetime) -> list[DealWarning]:
    """The warnings that hold for the deal now, in the order of CODES. `calls` are oldest first."""
    analysed = [c for c in calls if c.meddpic]
    found: list[DealWarning] = []
    for element, code, after in (("economic_buyer", "no_economic_buyer", rules.economic_buyer_calls),
                                 ("champion", "no_champion", rules.champion_calls)):
        if len(analysed) >= after and elements[element].status != "identified":
            found.append(DealWarning(code=code, message=f"no {element.replace('_', ' ')} identified after "
                                                        f"{len(analysed)} analysed calls"))
    named = [c for c in analysed if c.meddpic and c.meddpic["competition"]["status"] == "identified"]
    if named:
        found.append(DealWarning(code="competitor_named", message="a competitor is named on call "
                                 + ", ".join(call_label(c) for c in named)))
    if len(analysed) >= rules.paper_process_calls and elements["paper_process"].status == "missing":
        found.append(DealWarning(code="paper_process_not_started", message="paper process not started by the "
                                 f"latest call {call_label(analysed[-1])}"))
    if calls and now - calls[-1].occurred_at > timedelta(days=rules.stale_days):
        found.append(DealWarning(code="no_recent_call", message=f"no call since {calls[-1].occurred_at:%Y-%m-%d} "
                                 f"(more than {rules.stale_days} days)"))
    for person in people:
        turned = _turned_negative(person)
        if turned is not None:
            found.append(DealWarning(code="champion_sentiment_negative", message=f"champion {person.name} "
                                     f"turned negative on call {call_label(turned)}"))
    found += [side_conflict(person) for person in people if len({s for _, s in person.side_by_call()}) > 1]
    return found


def side_conflict(person: PersonTrack) -> DealWarning:
    """One person the calls put on both sides: the roll-up took the side most calls agree on."""
    calls = "; ".join(f"{side} on call {call_label(call)}" for call, side in person.side_by_call())
    return DealWarning(code="side_conflict", message=f"{person.name}: {calls} (the deal says {person.side})")


def _turned_negative(person: PersonTrack) -> DealCall | None:
    """The call where a buyer-side champion's sentiment became negative, if it still is."""
    if person.side != "buyer" or not person.was("champion"):
        return None
    sentiments = person.sentiments()
    if not sentiments or sentiments[-1][1] != "negative":
        return None
    for i in range(len(sentiments) - 1, 0, -1):
        if sentiments[i - 1][1] != "negative":
            return sentiments[i][0]
    return None  # negative on every call: nothing turned
