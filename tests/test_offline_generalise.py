"""Rules added while tuning on evals/tune/, each checked on calls of our own wording."""

from __future__ import annotations

from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.llm.offline import OfflineProvider


def _turns(*lines: tuple[str, str]) -> list[dict[str, object]]:
    return [{"speaker": s, "start_ms": i * 5000, "text": t} for i, (s, t) in enumerate(lines)]


def _map(turns: list[dict[str, object]]) -> StakeholderMap:
    out = OfflineProvider().extract(StakeholderMap, turns)
    assert isinstance(out, StakeholderMap)
    return out


def test_id_only_speakers_take_the_names_they_introduce_themselves_by() -> None:
    people = _map(_turns(
        ("Speaker 1001", "Hi all, I'm Dana Fields, I look after the account for Quanto."),
        ("Speaker 2002", "Thanks Dana. Victor Osei, I run the warehouse in Leeds."),
        ("Speaker 1001", "Victor, what does a bad week look like?"),
        ("Speaker 2002", "Honestly we lose two days a week to manual picking errors."),
    )).people
    assert {"Dana Fields", "Victor Osei"} <= {p.name for p in people}
    assert not any(p.name.startswith("Speaker") for p in people)


def test_a_pronoun_that_opens_a_cue_is_the_person_last_named() -> None:
    people = _map(_turns(
        ("Sam Reyes", "Who would approve a purchase like this?"),
        ("Lena Park", "Priya. Priya Natarajan, our CFO. She approves capex, so it goes to her."),
        ("Lena Park", "I'll take this to the leadership team myself, you can count on me."),
    )).people
    roles = {p.name: p.role for p in people}
    assert roles.get("Priya Natarajan") == "economic_buyer"
    assert roles.get("Lena Park") == "champion"


def test_an_economic_buyer_known_only_by_title_is_named_by_it() -> None:
    turns = _turns(
        ("Sam Reyes", "How does this get approved?"),
        ("Lena Park", "It goes to the COO. Claims is her budget, and she has the final say."),
    )
    people = _map(turns).people
    assert [p.name for p in people if p.role == "economic_buyer"] == ["COO"]
    meddpic = OfflineProvider().extract(MeddpicAnalysis, turns)
    assert isinstance(meddpic, MeddpicAnalysis) and meddpic.economic_buyer.status != "missing"


def test_interjections_are_not_people_and_accented_names_are() -> None:
    people = _map(_turns(
        ("Raúl Ortega", "Sorry, Inés Romero, she's our VP of Finance, she signs anything over fifty thousand."),
        ("Mia Chen", "Got it, thanks."),
    )).people
    names = {p.name for p in people}
    assert "Inés Romero" in names and "Sorry" not in names


def test_without_a_budget_cue_the_most_senior_buyer_title_is_the_likely_economic_buyer() -> None:
    turns = _turns(
        ("Sam Reyes", "Thanks for the time today. What is slowing the team down?"),
        ("Lena Park", "Our CFO, Omar Haddad, asked me to look at this because we lose two days a month to manual close."),
    )
    people = _map(turns).people
    assert [p.name for p in people if p.role == "economic_buyer"] == ["Omar Haddad"]
    meddpic = OfflineProvider().extract(MeddpicAnalysis, turns)
    assert isinstance(meddpic, MeddpicAnalysis) and meddpic.economic_buyer.status == "partial"
