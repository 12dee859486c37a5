"""One question per missing or weak element: what a seller would ask next, using the names and numbers
the call already gave."""

from __future__ import annotations

from collections.abc import Mapping

from lib.agents.schemas import Gap, MeddpicElement, MeddpicElementName
from lib.llm.offline.analysis import Analysis


def gaps_for(elements: Mapping[str, MeddpicElement], analysis: Analysis) -> list[Gap]:
    gaps = []
    for name, item in elements.items():
        if item.status != "identified":
            gaps.append(Gap(element=_element_name(name), question=_question(name, item, analysis)))
    return gaps


def _element_name(name: str) -> MeddpicElementName:
    names: dict[str, MeddpicElementName] = {
        "metrics": "metrics", "economic_buyer": "economic_buyer", "decision_criteria": "decision_criteria",
        "decision_process": "decision_process", "paper_process": "paper_process",
        "identified_pain": "identified_pain", "champion": "champion", "competition": "competition",
    }
    return names[name]


def _question(name: str, item: MeddpicElement, analysis: Analysis) -> str:
    eb = analysis.with_role("economic_buyer")
    champion = analysis.with_role("champion")
    eb_name = eb.person.name if eb else "whoever signs off"
    questions = {
        "metrics": "If this works, what changes in numbers: how much time or money would it save, and what is "
                   "the target you would report on?",
        "economic_buyer": "Who owns the budget for this and gives the final sign-off, and could we meet them "
                          "before a decision is made?",
        "decision_criteria": f"What will you and {eb_name} judge the options on, and which requirements are "
                             "must-haves?",
        "decision_process": f"What are the steps from here to a decision, who is involved at each one, and what "
                            f"date are you working towards with {eb_name}?",
        "paper_process": "Once you decide, what does the paperwork involve (security review, legal review of the "
                         "contract, procurement setup), and how long does each step usually take?",
        "identified_pain": "What is this problem costing you today, and what happens if it is still unsolved "
                           "next quarter?",
        "champion": (f"{champion.person.name}, would you be willing to take this to {eb_name} and help us make "
                     "the case internally?") if champion else
                    f"Who on your side would benefit most from this and would help make the case to {eb_name}?",
        "competition": "What other options are you considering, including building it yourselves or keeping "
                       "things as they are?",
    }
    if name == "economic_buyer" and item.status == "partial" and item.evidence:
        return "You mentioned sign-off: who exactly has the final say on the budget, and can we meet them?"
    return questions[name]
