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


# --- rules added while tuning on evals/tune2/ ---------------------------------------------------------

def _roles(*lines: tuple[str, str]) -> dict[str, str]:
    return {p.name: p.role for p in _map(_turns(*lines)).people}


def test_money_that_is_someones_to_move_names_the_economic_buyer() -> None:
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. Who else should see this?"),
        ("Lena Park", "Tariq Bello, our operations manager, will want the numbers."),
        ("Lena Park", "The capital for this is his to release."),
    )
    assert roles.get("Tariq Bello") == "economic_buyer"
    # near miss: a task that is someone's to do is not money
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. Who else should see this?"),
        ("Lena Park", "Tariq Bello, our operations manager, will want the numbers."),
        ("Lena Park", "The rollout plan is his to write."),
    )
    assert roles.get("Tariq Bello") != "economic_buyer"


def test_owning_the_line_item_or_the_say_so_names_the_economic_buyer() -> None:
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. How does a purchase like this happen?"),
        ("Lena Park", "Tariq Bello, our operations manager, controls the warehouse automation line item."),
    )
    assert roles.get("Tariq Bello") == "economic_buyer"
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. How does a purchase like this happen?"),
        ("Lena Park", "Tariq Bello, our operations manager, sees every order. Nothing moves here without Tariq's say-so."),
    )
    assert roles.get("Tariq Bello") == "economic_buyer"
    roles = _roles(  # near miss: his say on the colour scheme is no one's money
        ("Sam Reyes", "Thanks for the time today. How does a purchase like this happen?"),
        ("Lena Park", "Tariq Bello, our operations manager, sees every order. He has opinions on the colour scheme."),
    )
    assert roles.get("Tariq Bello") != "economic_buyer"
    # near miss: owning a process, not where the money sits
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. How does a purchase like this happen?"),
        ("Lena Park", "Tariq Bello, our operations manager, owns the warehouse picking process."),
    )
    assert roles.get("Tariq Bello") != "economic_buyer"


def test_the_speakers_own_ledger_names_them_the_economic_buyer() -> None:
    for line in ("The freight software money is mine to move.", "Honestly, it sits on my P&L.",
                 "I control that spend, nobody else.", "Whether we renew is my call."):
        roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                       ("Lena Park", line))
        assert roles.get("Lena Park") == "economic_buyer", line
    # near misses: a phone call, a line on a form
    for line in ("Sorry, that was my call dropping.", "I control the shipping schedule myself."):
        roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                       ("Lena Park", line))
        assert roles.get("Lena Park") != "economic_buyer", line


def test_a_senior_office_known_only_by_title_can_hold_the_money() -> None:
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. Who approves this?"),
        ("Lena Park", "Anything over fifty thousand goes to the Chancellor, and that budget is hers."),
    )
    assert roles.get("Chancellor") == "economic_buyer"
    # a lower-case office mentioned in passing gives no one
    roles = _roles(
        ("Sam Reyes", "Thanks for the time today. Who approves this?"),
        ("Lena Park", "The chancellor's newsletter mentioned the project last spring."),
    )
    assert "Chancellor" not in roles and "chancellor" not in roles


def test_advocacy_already_done_or_promised_marks_a_champion() -> None:
    for line in ("I went to bat for this tool with the leadership team last spring.",
                 "I've already drafted the business case for you.",
                 "I'm the one who'll carry it through the committee.",
                 "I'll get the plant managers on board before the review."):
        roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                       ("Lena Park", "We lose two days a week to manual picking errors."),
                       ("Lena Park", line))
        assert roles.get("Lena Park") == "champion", line
    # near misses: a bat in a story, a case that is a legal one
    for line in ("My son went to the bat cave exhibit.", "I've already closed the support case."):
        roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                       ("Lena Park", "We lose two days a week to manual picking errors."),
                       ("Lena Park", line))
        assert roles.get("Lena Park") != "champion", line


def _meddpic(*lines: tuple[str, str]) -> MeddpicAnalysis:
    out = OfflineProvider().extract(MeddpicAnalysis, _turns(*lines))
    assert isinstance(out, MeddpicAnalysis)
    return out


def _rivals(line: str) -> list[str]:
    found = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."), ("Lena Park", line))
    return [e.quote for e in found.competition.evidence] if found.competition.status != "missing" else []


def test_rivals_named_in_the_words_of_an_evaluation_are_competitors() -> None:
    for line, rival in (("We shortlisted Freightly, Haulix and Cargoro last month.", "Haulix"),
                        ("Honestly, the other platform we're considering, Haulix, is cheaper.", "Haulix"),
                        ("Haulix is also on our shortlist.", "Haulix"),
                        ("Freightly has already been in to pitch, and Haulix and Cargoro have both asked for demos.",
                         "Cargoro"),
                        ("Haulix's engine scored higher on the routing test.", "Haulix"),
                        ("We're also seeing Haulix on Thursday for a demo.", "Haulix")):
        quotes = _rivals(line)
        assert quotes and any(rival in q for q in quotes), line
    # near misses: a team on a list of attendees, a city that did well
    assert _rivals("Our finance team is on the invite list for Thursday.") == []
    assert _rivals("We are seeing growth in the north this quarter.") == []


def test_a_vendor_trialled_years_ago_is_only_partial_competition() -> None:
    past = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                    ("Lena Park", "Three years ago we trialled Haulix at two depots and dropped it."))
    assert past.competition.status == "partial"
    now = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                   ("Lena Park", "We trialled Haulix at two depots this autumn, and it is still in the running."))
    assert now.competition.status == "identified"


def _figures(line: str) -> list[str]:
    from lib.llm.offline.elements import metric_quantities
    from lib.llm.offline.text import split_sentences
    return [q.text for s in split_sentences([{"speaker": "Lena Park", "text": line}]) for q in metric_quantities(s)]


def test_figures_in_more_shapes_are_metrics() -> None:
    assert _figures("Scrap costs us something like three hundred grand a year.") == ["three hundred grand"]
    assert _figures("Last quarter we paid GBP 42,000 in penalties.") == ["GBP 42,000"]
    assert _figures("Dispatchers stay three hours a night after close.") == ["three hours a night"]
    assert _figures("A third of our appointments are rebooked.") == ["A third of our appointments"]
    assert _figures("We had sixty-two appointments cancelled that week.") == ["sixty-two appointments"]
    assert _figures("Last year it was 240 hours.") == ["240 hours"]
    assert _figures("Nine hours of downtime in the busiest week.") == ["Nine hours"]
    assert _figures("Our member renewal rate fell to 71%.") == ["71%"]
    assert _figures("Returns run at four percent of contract value.") == ["four percent"]
    # near misses: deal terms and meeting lengths stay out
    assert _figures("The renewal is 9% higher than last year.") == []
    assert _figures("We can take 5% off the contract value.") == []
    assert _figures("Let's book the workshop for two hours.") == []


def test_on_a_churn_call_the_vendor_trying_to_keep_the_account_is_the_seller() -> None:
    people = _map(_turns(
        ("Omar Diaz", "Hi Ruth, thanks for getting on."),
        ("Ruth Adeyemi", "This quarter has been rough, and I want to know what you plan to do about it."),
        ("Ruth Adeyemi", "Honestly, my team thinks we should leave, and Haulix already did a demo for us."),
        ("Jana Holm", "I hear you. What would it take to earn this back?"),
        ("Jana Holm", "I can commit to a written fix plan by Friday, and I'll join your monthly check-in."),
        ("Ruth Adeyemi", "Whether we renew is my call, and I need that plan first."),
    )).people
    sides = {p.name: p.side for p in people}
    assert sides.get("Ruth Adeyemi") == "buyer" and sides.get("Jana Holm") == "seller"
    assert {p.name: p.role for p in people}.get("Ruth Adeyemi") == "economic_buyer"


def test_more_words_for_pain_and_fine_is_not_one_of_them() -> None:
    def pain(line: str) -> str:
        return _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                        ("Lena Park", line)).identified_pain.status
    assert pain("Half our crews started late twice last week and the client was embarrassed.") != "missing"
    assert pain("We wrote off a lot of stock after the scanner outage.") != "missing"
    assert pain("That's fine, the hotel is booked and the cars are sorted.") == "missing"


def test_the_buyer_framing_what_they_will_judge_on_is_decision_criteria() -> None:
    def criteria(*lines: str) -> str:
        return _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                        *[("Lena Park", line) for line in lines]).decision_criteria.status
    assert criteria("Here's how we're going to evaluate the vendors.") != "missing"
    assert criteria("The app has to show each driver's route on a phone.") != "missing"
    assert criteria("Two questions for us: whether it syncs with our ledger, and whether the drivers will use it.",
                    "If the drivers hate it, nothing else matters.") == "identified"
    # near misses: a process step, and how someone looked at a holiday
    assert criteria("It has to go to the board in March.") == "missing"
    assert criteria("I looked at the photos from the holiday.") == "missing"


def test_figures_only_the_seller_gives_are_not_the_buyers_metrics() -> None:
    seller_only = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                           ("Sam Reyes", "Our support desk answers in under four hours, and we serve 300 customers."),
                           ("Lena Park", "Okay, noted."))
    assert seller_only.metrics.status == "missing"
    buyer = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                     ("Lena Park", "We lose about 300 orders a month to picking errors."))
    assert buyer.metrics.status != "missing"


def test_speakers_the_host_thanks_by_name_at_the_start_are_the_other_side() -> None:
    people = _map(_turns(
        ("Nora Quist", "Ivo, Petra, thanks for the time."),
        ("Ivo Brandt", "Sure."),
        ("Petra Lind", "Mostly price per seat from my side."),
        ("Ivo Brandt", "We lose two days a week to manual picking errors."),
        ("Nora Quist", "Our platform would take that off your plate."),
    )).people
    sides = {p.name: p.side for p in people}
    assert sides.get("Petra Lind") == "buyer" and sides.get("Nora Quist") == "seller"
    # near miss: a name thanked late in the call, not in the opening, is left to the other cues
    late = _map(_turns(
        ("Nora Quist", "Welcome, let me share my screen."), ("Ivo Brandt", "Sure."), ("Nora Quist", "Here it is."),
        ("Ivo Brandt", "Okay."), ("Nora Quist", "And this is the dashboard."), ("Ivo Brandt", "Right."),
        ("Nora Quist", "Our platform does the rest."), ("Ivo Brandt", "Petra, thanks for the time."),
        ("Petra Lind", "Our pricing is per seat, and we offer a discount for three years."),
    )).people
    assert {p.name: p.side for p in late}.get("Petra Lind") == "seller"


def test_carrying_it_inside_in_more_words_marks_a_champion() -> None:
    for line in ("Send me the summary and I'll put it in front of the board myself.",
                 "Annual billing is the version I can sell.",
                 "I take the revised quote to the steering group on Monday."):
        status = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                          ("Lena Park", "We lose two days a week to manual picking errors."),
                          ("Lena Park", line)).champion.status
        assert status == "identified", line
    # near miss: putting something in writing is not carrying it to anyone
    status = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                      ("Lena Park", "We lose two days a week to manual picking errors."),
                      ("Lena Park", "I'll put that in writing for you.")).champion.status
    assert status != "identified"


def test_a_buyer_who_says_they_will_not_push_it_is_no_champion() -> None:
    refused = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                       ("Lena Park", "It looks great, honestly, I love the scheduling view."),
                       ("Lena Park", "But I won't be the one selling it upstairs.")).champion
    assert refused.status == "missing"
    liked = _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                     ("Lena Park", "It looks great, honestly, I love the scheduling view.")).champion
    assert liked.status == "partial"


def test_ratios_and_rand_amounts_are_figures() -> None:
    from lib.llm.offline.quantities import find_quantities
    assert _figures("Last winter about one in six deliveries arrived damaged.") == ["one in six deliveries"]
    assert _figures("Spoilage cost us about R1,250,000 last season.") == ["R1,250,000"]
    assert [q.key for q in find_quantities("one in four orders")] == [(0.25, "ratio")]
    # near misses: a time of day, a room number, a word that starts with R
    assert find_quantities("We meet at one in the afternoon.") == []
    assert _figures("Room R2 is booked for the review.") == []


def test_the_buyers_answer_to_what_would_you_need_to_see_is_criteria() -> None:
    answered = _meddpic(("Sam Reyes", "Thanks for the time today. What would you need to see from us?"),
                        ("Lena Park", "A clear five-year cost next to the incumbent."),
                        ("Lena Park", "And a migration plan my drivers can follow.")).decision_criteria
    assert answered.status == "identified"
    # near miss: the same words with no such question before them are not read as criteria
    unasked = _meddpic(("Sam Reyes", "Thanks for the time today. Shall we look at the calendar?"),
                       ("Lena Park", "A clear five-year cost next to the incumbent."),
                       ("Lena Park", "And a migration plan my drivers can follow.")).decision_criteria
    assert unasked.status == "missing"


def test_a_step_tied_to_a_named_approver_is_decision_process() -> None:
    def process(*lines: str) -> str:
        return _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                        *[("Lena Park", line) for line in lines]).decision_process.status
    assert process("I'll raise the order once Tariq approves the figure.",
                   "If it's close, my deputy's judgement carries a lot of weight.") == "identified"
    # near misses: a past event with a name, and weight that is freight
    assert process("After Tariq left, we moved offices.", "The pallet carries a lot of weight.") == "missing"


def test_a_past_look_or_an_unnamed_rival_quote_is_partial_competition() -> None:
    def competition(line: str) -> str:
        return _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                        ("Lena Park", line)).competition.status
    assert competition("We looked at Haulix last spring, and it went nowhere.") == "partial"
    assert competition("We got a quote from Haulix a while back.") == "partial"
    assert competition("To be fair, we have another quote that comes in lower.") == "partial"
    assert competition("We're looking at Haulix this month as well.") == "identified"
    # near miss: the seller offering another quote is no rival
    assert competition("Sure, I can send another quote with the annual option.") == "missing"


def test_a_contract_counts_as_paperwork_only_as_paperwork() -> None:
    def paper(*lines: str) -> str:
        return _meddpic(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                        *[("Lena Park", line) for line in lines]).paper_process.status
    # the buyer's own business contracts are not paper process
    assert paper("We lost four contracts this year over late deliveries.",
                 "We start new contracts in April, so timing matters.") == "missing"
    # a passing mention of terms or a lawyer is partial, paperwork described is identified
    assert paper("Send your standard terms and my solicitor will glance at them.") == "partial"
    assert paper("Our counsel will redline the contract next week.",
                 "Then the PO goes through our procurement portal.") == "identified"


def test_opening_doors_and_sharing_inside_papers_marks_a_champion() -> None:
    roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                   ("Lena Park", "We lose two days a week to manual picking errors."),
                   ("Lena Park", "Here's last year's budget memo, don't share it with anyone."),
                   ("Lena Park", "And I can get you time with our COO once the numbers are ready."))
    assert roles.get("Lena Park") == "champion"
    # near miss: getting the seller a coffee and sharing a screen are not doors opened
    roles = _roles(("Sam Reyes", "Thanks for the time today. Let me show you the platform."),
                   ("Lena Park", "We lose two days a week to manual picking errors."),
                   ("Lena Park", "I can get you a coffee, and I'll share my screen with everyone."))
    assert roles.get("Lena Park") != "champion"


def test_a_contraction_after_a_name_is_not_a_person() -> None:
    people = _map(_turns(
        ("Mara Quinn", "Joel, you explain the outage. You've told the story better than I can."),
        ("Joel Brandt", "Fine. They're still angry about it, and we'd rather not repeat it. Didn't help either."),
    )).people
    names = {p.name for p in people}
    assert {"Mara Quinn", "Joel Brandt"} <= names
    assert not names & {"You've", "They're", "Didn't", "You’ve"}
