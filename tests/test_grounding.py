from __future__ import annotations

import random
import string

from lib.agents.grounding import _NON_WORD, _PLAIN, GroundingReport, TranscriptIndex, normalise, normalise_all
from lib.agents.meddpic import ground_meddpic, meddpic_confidence
from lib.agents.schemas import (
    MEDDPIC_ELEMENTS,
    Evidence,
    MeddpicAnalysis,
    MeddpicElement,
    Stakeholder,
    StakeholderMap,
)
from lib.agents.stakeholder import ground_stakeholders, stakeholder_confidence

TURNS = [
    {"speaker": "Dana Whitfield", "start_ms": 65_000, "end_ms": 70_000,
     "text": "As CFO, I own the budget — it's $250,000 — and I sign off on this."},
    {"speaker": "Priya Raman", "start_ms": 125_000, "end_ms": None,
     "text": "Honestly, our spreadsheets are killing us; onboarding takes six weeks."},
]
INDEX = TranscriptIndex(TURNS)


def test_normalise_folds_case_punctuation_and_quotes() -> None:
    assert normalise("It’s  $250,000 —  OK!") == "it s 250 000 ok"


def test_the_ascii_fast_path_follows_the_same_rule_as_the_unicode_one() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "’“”—–éßİ_"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert normalise(text) == _NON_WORD.sub(" ", text.translate(_PLAIN).casefold()).strip(), repr(text)
    for _ in range(200):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(1, 5))]
        assert normalise_all(texts) == [normalise(t) for t in texts], repr(texts)


def test_a_quote_is_found_within_one_turn_never_across_two() -> None:
    # The end of Dana's turn and the start of Priya's, joined: said by nobody.
    assert INDEX.find("I sign off on this honestly our spreadsheets") is None
    assert INDEX.find("onboarding takes six weeks").speaker == "Priya Raman"  # type: ignore[union-attr]


def test_exact_quote_is_grounded_and_takes_speaker_and_time_from_the_transcript() -> None:
    report = GroundingReport()
    kept = report.ground(INDEX, [Evidence(quote="I own the budget", speaker="Someone Else")], "x")
    assert kept == [Evidence(quote="I own the budget", speaker="Dana Whitfield", start_time="00:01:05")]
    assert (report.kept, report.dropped) == (1, 0)


def test_small_transcription_differences_are_tolerated_but_inventions_are_not() -> None:
    report = GroundingReport()
    kept = report.ground(INDEX, [
        Evidence(quote="our spreadsheet is killing us, onboarding takes six weeks"),  # one word differs
        Evidence(quote="we will definitely buy your product this quarter"),
        Evidence(quote="budget"),  # a single word proves nothing
        Evidence(quote="I own the budget ... I sign off on this"),
    ], "x")
    assert [k.quote for k in kept] == ["our spreadsheet is killing us, onboarding takes six weeks",
                                       "I own the budget ... I sign off on this"]
    assert report.dropped == 2 and len(report.rejected) == 2 and report.dropped_share == 0.5


def _element(status: str, *quotes: str) -> MeddpicElement:
    return MeddpicElement.model_validate(
        {"status": status, "summary": "s", "evidence": [{"quote": q} for q in quotes]})


def _analysis(**elements: MeddpicElement) -> MeddpicAnalysis:
    values = {name: elements.get(name, _element("missing")) for name in MEDDPIC_ELEMENTS}
    return MeddpicAnalysis.model_validate(values)


def test_meddpic_downgrades_unsupported_elements_and_adds_gaps() -> None:
    analysis = _analysis(economic_buyer=_element("identified", "I own the budget", "I sign off on this"),
                         identified_pain=_element("identified", "a quote nobody said out loud"),
                         champion=_element("partial"))
    grounded, report = ground_meddpic(analysis, INDEX)
    assert grounded.economic_buyer.status == "identified"
    assert grounded.identified_pain.status == "partial" and grounded.identified_pain.evidence == []
    assert grounded.champion.status == "missing"
    assert {g.element for g in grounded.gaps} == set(MEDDPIC_ELEMENTS) - {"economic_buyer"}
    assert report.dropped == 1


def test_meddpic_confidence_follows_the_documented_formula() -> None:
    full = _analysis(economic_buyer=_element("identified", "I own the budget", "I sign off on this"))
    grounded, report = ground_meddpic(full, INDEX)
    # coverage 1/8, support 1 (2 quotes), grounding 1
    assert meddpic_confidence(grounded, report) == round(1 / 8 * 1.0 * 1.0, 4)
    half = _analysis(economic_buyer=_element("identified", "I own the budget", "made up words here today"))
    grounded, report = ground_meddpic(half, INDEX)
    # coverage 1/8, support 0.5 (1 quote), grounding 0.5
    assert meddpic_confidence(grounded, report) == round(1 / 8 * 0.75 * 0.5, 4)
    assert meddpic_confidence(*ground_meddpic(_analysis(), INDEX)) == 0.0


def test_more_dropped_quotes_mean_lower_confidence() -> None:
    clean = _analysis(metrics=_element("identified", "it's $250,000", "onboarding takes six weeks"))
    noisy = _analysis(metrics=_element("identified", "it's $250,000", "onboarding takes six weeks",
                                       "ten invented words that nobody ever said at all"))
    assert meddpic_confidence(*ground_meddpic(noisy, INDEX)) < meddpic_confidence(*ground_meddpic(clean, INDEX))


def test_stakeholders_drop_invented_people_and_unsupported_claims() -> None:
    people = StakeholderMap.model_validate({"people": [
        {"name": "Dana Whitfield", "title": "CFO", "side": "buyer", "role": "economic_buyer", "influence": "high",
         "sentiment": "neutral", "evidence": [{"quote": "I sign off on this"}]},
        {"name": "Priya Raman", "side": "buyer", "role": "champion", "influence": "medium",
         "sentiment": "positive", "evidence": [{"quote": "I love this product"}]},
        {"name": "Ghost Person", "side": "buyer", "role": "blocker", "influence": "high", "sentiment": "negative"},
    ], "relationships": [
        {"source": "Priya Raman", "kind": "reports_to", "target": "Dana Whitfield",
         "evidence": [{"quote": "our spreadsheets are killing us"}]},
        {"source": "Ghost Person", "kind": "opposes", "target": "Dana Whitfield",
         "evidence": [{"quote": "I own the budget"}]},
    ]})
    grounded, report = ground_stakeholders(people, INDEX)
    assert [p.name for p in grounded.people] == ["Dana Whitfield", "Priya Raman"]
    priya: Stakeholder = grounded.people[1]
    assert (priya.role, priya.sentiment) == ("unknown", "unknown")
    assert len(grounded.relationships) == 1
    # Held up: Dana's quote and both relationship quotes (the Ghost's relationship is dropped for its
    # people, not its quote); fell: Priya's quote and the Ghost himself.
    assert (report.kept, report.dropped) == (3, 2)
    # coverage 1/2 (Priya's role is unknown now), support (min(1, 1/2) + 0) / 2, grounding 3 of 5
    coverage, support, grounding = 1 / 2, (0.5 + 0) / 2, 3 / 5
    assert stakeholder_confidence(grounded, report) == round((0.5 * coverage + 0.5 * support) * grounding, 4) == 0.225
    assert stakeholder_confidence(StakeholderMap(), GroundingReport()) == 0.0


def test_normalising_many_texts_at_once_is_normalising_each() -> None:
    from lib.agents.grounding import normalise, normalise_all

    texts = ["  Hello,   world!  ", "", "tabs\tand\r\nreturns", "---", "a  b   c", " trailing ", "Ünïcode—dash",
             "x_y z", "'quoted'  “curly” ", "\t"]
    assert normalise_all(texts) == [normalise(t) for t in texts]
    ascii_only = [t for t in texts if t.isascii() and "\n" not in t]
    assert normalise_all(ascii_only) == [normalise(t) for t in ascii_only]
    assert normalise_all(["  a  ", "b", " "]) == ["a", "b", ""]
