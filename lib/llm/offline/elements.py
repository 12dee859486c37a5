"""Sentences that speak to one MEDDPICC element, found by the words buyers and sellers use for it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lib.llm.offline.patterns import DATE, ICASE, NUMBER_WORDS
from lib.llm.offline.quantities import Quantity, find_quantities
from lib.llm.offline.text import Rule, Sentence, rule

_NUMERIC = re.compile(r"[\d$€£]")
NUMBER_TOKENS = frozenset(w for phrase in NUMBER_WORDS for w in phrase.split() if w not in ("a", "of"))

CRITERIA = rule(
    r"\b(?:must[- ]haves?|must (?:have|support|be|integrate|work)|needs? to (?:integrate|support|have|be|work|"
    r"handle|scale|sync)|has to (?:integrate|support|have|work|handle|pass|be (?!completed|done|signed|reviewed|approved|finished))|requirements?|criteria|"
    r"non-negotiable|deal[- ]?breakers?|important (?:to|for) us|what matters|key factors?|top priorit(?:y|ies)|"
    r"looking for (?:a|something|an?)\b|SOC ?2|ISO ?27001|GDPR|HIPAA|SSO|SAML|audit trail|easy to use|"
    r"ease of use|user[- ]friendly|certified|compliance|evaluate (?:vendors|you|options) on|scorecard|"
    r"(?:won't|wouldn't|will not) (?:get )?adopt\w*|without (?:us )?writing custom code|"
    r"(?:we'd|we would|I'd|I would|we'll|we will) (?:judge|score|compare|evaluate|weigh)|what (?:I|we) need from you|"
    r"(?:the|a|our) (?:big|biggest|main|key|real) (?:thing|question|concern|requirement|test) (?:for (?:us|me)|is)|"
    r"deal[- ]?killer|killed the last vendor|has to be able to|we need (?:it|something|a system|a tool|one) (?:that|to)|"
    r"(?:it|this|that) (?:has|needs) to (?:work|run|cope|handle)|whether it (?:fixes|works|solves|handles|scales|"
    r"pays)|(?:that|this|what) matters|compare every|(?:not going to|won't|doesn't|don't) care about|"
    r"(?:she|he|they|we|I) (?:really |only |mostly )?cares? about|"
    # The buyer framing how they will judge: 'here's how I'm going to look at this', 'I'd want to see that live',
    # 'it has to push the logs into ...', 'whether the techs will use it', 'nothing else matters'
    r"how (?:I'm|I am|we're|we are|I'll|we'll|I will|we will) (?:going to )?(?:look at|judge|evaluate|score|weigh) "
    r"(?:this|it|you|the (?:options|vendors|proposals?))|"
    r"(?:it|this|the (?:system|tool|app|platform|product)) (?:has|needs) to (?!go\b|get\b|be\b|come\b)[a-z]+|"
    r"whether (?:it|they|the [\w-]+|our [\w-]+) (?:will |would |can )?(?:integrates?|fits?|connects?|syncs?|use|adopt)\b|"
    r"nothing else matters|the only thing that matters)",
    "must needs need has requirement requirements criteria non negotiable deal breaker breakers dealbreaker important "
    "matters key top priority priorities looking soc soc2 iso iso27001 gdpr hipaa sso saml audit easy ease user "
    "certified compliance evaluate scorecard adopt adopted adoption writing we'd we would i'd i'll we'll judge score "
    "compare weigh need big biggest main real killer killed able it this that d ll whether matters every care "
    "cares here how look judge evaluate score weigh want see system tool app platform product integrates integrate fits "
    "fit connects connect syncs sync use adopt nothing only")
PROCESS = rule(
    r"\b(?:decision by|decide by|decision (?:date|deadline)|make (?:a|the|our) (?:final )?decision|"
    r"decision[- ]making|steering committee|buying committee|committee|evaluation|shortlist|short-list|"
    r"pilot|proof of concept|POC|trial|timeline|go[- ]live|go live|roll(?:ing)? (?:it |this )?out|rollout|"
    r"board (?:meeting|approval)|present (?:this|it|the results?|to)|recommendation|approval process|"
    r"vendor selected|select(?:ing)? a vendor|selection|final (?:call|decision|say)|business case|"
    r"budget cycle|implement (?:during|in|by)|"
    r"(?:goes|go|has to go|needs to go|take it|bring it) (?:to|up to|in front of) (?:the |our )?(?:board|committee|"
    r"exec(?:utive)? team|leadership|management|CFO|COO|CEO|cabinet)|(?:exec(?:utive)? team|leadership team|board|"
    r"committee) (?:meets|meeting|reviews?)|sign(?:s)? off first|the order is|(?:before|once|after) (?:we|she|he|they|"
    r"(?-i:[A-Z][a-z]+)) (?:decides?|signs?|commits?|approves?)|steps between now and|get (?:it|this) (?:done|signed|approved) (?:before|by|this)|"
    r"(?:judgement|judgment|opinion|view|input|vote|recommendation) carries (?:a lot of |real |some |the most )?weight|"
    r"decid(?:e|es|ed|ing)|decision)\b",
    "decision decide decisions making committee evaluation shortlist short pilot proof poc trial timeline go live "
    "roll rollout board present recommendation approval vendor select selecting selection final business budget "
    "implement goes go has needs take bring exec executive leadership committee meets sign signs order before once "
    "steps get decide decides decided deciding after carries")
PAPER = rule(
    r"\b(?:MSA|master (?:services|subscription) agreement|DPA|data processing (?:agreement|addendum)|"
    r"security (?:review|questionnaire|assessment|package)|vendor (?:onboarding|setup|registration|"
    r"assessment|risk)|set (?:you|them|us) up as a vendor|legal(?: team)? (?:review|will|needs|reviews)|"
    r"redlines?|procurement|purchase order|(?-i:PO)|signatures?|DocuSign|order form|SOW|"
    # A contract as paperwork, not as the buyer's own business ('we lost three contracts', 'contract value')
    r"contracts? (?:review|redlines?|terms|draft|language|signature|negotiation|amendment|auto-renews?)|"
    r"(?:sign|signed|signing|review|reviewed|reviewing|redline|send|sent|draft|negotiate|execute|countersign)"
    r" (?:the |a |our |your |this |that )?contracts?|auto-renew\w*|notice (?:clause|period)|"
    r"(?:cooperative|framework|state|purchasing|master|existing) (?:contract|agreement)|standard (?:terms|agreement|"
    r"contract|paper)|solicitors?|(?:outside|our|in-house|external) counsel|"
    r"statement of work|NDA|terms and conditions|payment terms|net[- ]?(?:30|45|60)|W-9|"
    r"certificate of insurance|paperwork|InfoSec review)\b",
    "msa master dpa data security vendor set legal redline redlines procurement purchase po signature signatures "
    "docusign contract contracts order sow statement nda terms payment net net30 net45 net60 w certificate "
    "paperwork infosec auto renew renews renewal notice cooperative framework state purchasing master existing "
    "standard solicitor solicitors outside counsel in house external")
PAIN = rule(
    r"\b(?:struggl\w+|pain(?:ful)?|manual(?:ly)?|by hand|spreadsheets?|churn\w*|"
    r"los(?:e|ing|t) (?:\w+ )?(?:customers|accounts|deals|revenue|money|time|visibility)|"
    r"takes? (?:us )?(?:too long|forever)|way too long|too long|costing us|frustrat\w+|bottleneck|broken|"
    r"break(?:s|ing)?|wast\w+|slow|error[- ]prone|mistakes|headache|nightmare|can't (?:track|tell|keep up)|"
    r"no visibility|lack of|miss(?:ing|ed)? (?:our|the|early|deadlines|discounts|targets|forecast)|"
    r"burn(?:ing|ed)? out|attrition|turnover|embarrassing|nobody trusts|don't trust|refunds?|late (?:payment )?"
    r"fees|duplicate|clean up|chasing|problem|challenge|headcount|short on|short-staffed|understaffed|furious|"
    r"upset|complain\w*|angry|killing us|hurting|behind on|backlog|overtime|fell over|falls over|re-?keying|"
    r"embarrass\w*|downtime|outages?|(?:start|started|starts|arrive|arrived|ran|running) late|(?:went|was|were) down|"
    r"fines|penalt(?:y|ies)|write-?offs?|wrote off|bleed\w*)\b",
    "struggle struggled struggling struggles pain painful manual manually hand spreadsheet spreadsheets churn churned "
    "churning lose losing lost forever long costing frustrated frustrating frustration bottleneck broken "
    "break breaks breaking waste wasted wasting wastes slow error mistakes headache nightmare track tell keep "
    "visibility lack miss missing missed burn burning burned attrition turnover embarrassing nobody trust refunds "
    "refund late duplicate "
    "clean chasing problem challenge headcount short staffed understaffed furious upset complain complaints "
    "complaining complained angry killing hurting behind backlog overtime fell falls rekeying re keying embarrassed "
    "embarrassing embarrassment embarrass downtime outage outages start started starts arrive arrived ran running went "
    "was were fines penalty penalties write writeoff writeoffs off wrote bleed bleeding bleeds")
_NOT_A_METRIC = re.compile(r"\b(?:pilot|trial|POC|call|meeting|kickoff|demo|review|questionnaire|questions|"
                           r"notice (?:period|to)|(?:days'|weeks'|months') notice|implementation|syncs?|contract|"
                           r"procurement|legal|redlines?|signature|installation|(?:meeting|board) minutes|"
                           r"minutes (?:of|from) the|minutes (?:at the end|for (?:questions|next steps|Q&A)|left))\b", ICASE)
# Deal terms are not business metrics: prices, discounts, fees, caps, refunds, contract values.
_COMMERCIAL = re.compile(r"\b(?:price|priced|pricing|proposal|proposed|quote|quoted|discount|(?<!late )(?<!payment )"
                         r"fees?|term|terms|"
                         r"cap|caps|capped|renewal(?! rates?)|refund|list|subscription|(?<!of )contract value|"
                         r"per (?:seat|user|employee|"
                         r"license|month)|a year on|we'd be at|bid|offer|waive|waived|commit|commitment|"
                         r"insurance|liability)\b", ICASE)
_TIMEFRAME = re.compile(r"(?<!close )(?<!live )(?<!done )(?<!ramp )\b(?:in|within|over|for|after|during|every|"
                        r"the first|the next|the last)\s+(?:the\s+)?(?:first\s+|next\s+|last\s+)?$", ICASE)
_RATE = re.compile(r"\s(?:a|per|each|every)\s(?:day|night|shift|week|month)$", ICASE)
_THRESHOLD = re.compile(r"\b(?:over|above|more than|under|below|up to|exceeds?)\s+(?:about\s+)?$", ICASE)
_OUTCOME = re.compile(r"(?:each way|one way|on average|give or take|round trip|from when|we\'re at|it\'s taking)\b|\b(?:takes?|took|spend|spent|wast\w+|los[et]|losing|sav\w+|cut|reduc\w+|faster|slower|"
                      r"close|ramp|onboard\w*|live|turnaround|cycle|time|shave|down to|get to|goal|target|from|"
                      r"dropped|drop|went|under|today|currently|now|average|payback|pays for itself|productivity|"
                      r"downtime|outages?|delays?|late|(?:last|this) (?:year|quarter|month)|it was|we were at)\b",
                      ICASE)


@dataclass(frozen=True)
class Found:
    sentence: Sentence
    span: tuple[int, int]
    score: float


def cue_sentences(sentences: list[Sentence], cue: Rule, sides: dict[str, str],
                  buyer_only: bool = False) -> list[Found]:
    """Statements (not questions) that use the cue, the buyer's own words scoring higher."""
    found = []
    for sentence in sentences:
        if cue.triggers.isdisjoint(sentence.words):
            continue
        side = sides.get(sentence.speaker or "", "unknown")
        matches = list(cue.regex.finditer(sentence.text))
        if not matches or sentence.is_question or (buyer_only and side == "seller") or len(sentence.text.split()) < 3:
            continue
        score = len({m.group().lower() for m in matches}) + (1 if side == "buyer" else 0)
        score += 1 if cue is PROCESS and DATE.search(sentence.text) else 0
        found.append(Found(sentence, matches[0].span(), score))
    return found


# A question that asks the buyer for their criteria: what they answer next is criteria however it is worded
CRITERIA_QUESTION = rule(r"\bwhat (?:would|will|do|does) (?:you|your \w+|she|he|they) (?:need|want|have) to see\b|"
                         r"\bwhat (?:matters|counts) (?:most )?(?:to|for) (?:you|her|him|them)\b|\bhow (?:will|would|do) "
                         r"(?:you|they|she|he) (?:decide|choose|judge|evaluate|compare)\b|\bwhat (?:would|does) (?:a )?good "
                         r"(?:outcome )?look like\b", "see matters counts decide choose judge evaluate compare good")
ANSWERS = 2  # the buyer sentences after the question that count as its answer


def answers_to(sentences: list[Sentence], question: Rule, sides: dict[str, str]) -> list[Found]:
    """The buyer's statements right after a question that matches `question`, as found sentences."""
    found = []
    for index, sentence in enumerate(sentences):
        if not sentence.is_question or question.search(sentence) is None:
            continue
        asker = sides.get(sentence.speaker or "", "unknown")
        taken = 0
        for answer in sentences[index + 1:index + 1 + 2 * ANSWERS]:
            side = sides.get(answer.speaker or "", "unknown")
            if answer.speaker == sentence.speaker or side == "seller" or side == asker or answer.is_question:
                break
            if len(answer.text.split()) >= 3:
                found.append(Found(answer, (0, len(answer.text)), 2))
                taken += 1
                if taken == ANSWERS:
                    break
    return found


def metric_quantities(sentence: Sentence) -> list[Quantity]:
    """The quantities in a sentence that measure the business, not the sales process."""
    text = sentence.text
    spelled = not NUMBER_TOKENS.isdisjoint(sentence.words)
    if sentence.is_question or not (spelled or _NUMERIC.search(text)):
        return []
    commercial = _COMMERCIAL.search(text) is not None
    outcome = _OUTCOME.search(text) is not None
    return [q for q in find_quantities(text, spelled) if _is_metric(text, q, commercial, outcome)]


def _is_metric(text: str, quantity: Quantity, commercial: bool, outcome: bool) -> bool:
    start, end = quantity.span
    if quantity.kind in ("money", "percent"):
        return not commercial and not _THRESHOLD.search(text, max(0, start - 20), start)
    if _NOT_A_METRIC.search(text, max(0, start - 40), end + 30) or quantity.text.lower().startswith("half"):
        return False
    if quantity.kind == "duration":  # 'two hours a night' is a cost however the sentence runs
        return (outcome or _RATE.search(quantity.text) is not None) and not _TIMEFRAME.search(text, max(0, start - 20), start)
    return True
