"""Roles in the deal, influence and sentiment, each from cues attributed to a person."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lib.llm.offline.attribution import Cue, Hit, scan
from lib.llm.offline.patterns import C_LEVEL, HIGH_TITLES, ICASE, MEDIUM_TITLES
from lib.llm.offline.people import Directory, Person
from lib.llm.offline.text import Sentence, rule


def _cues(*specs: tuple[str, str, float], about_speaker: bool = False, by_default: bool = False) -> tuple[Cue, ...]:
    return tuple(Cue(rule(pattern, triggers), points, about_speaker, by_default) for pattern, triggers, points in specs)


ECONOMIC_BUYER = _cues(
    (r"\bfinal (?:call|decision|say|sign-?off|approval|word|signature)\b", "final", 3),
    (r"\b(?:owns|controls|holds|has|manages|approves|approved|own|control|hold) (?:the|that|this|our)? ?budget\b",
     "budget", 3),
    (r"\bbudget (?:owner|holder|authority)\b|\bbudget is (?:his|hers|theirs)\b", "budget", 3),
    (r"\b(?:has to|needs to|must|will have to|would have to|will need to|would need to|gets? to) "
     r"(?:sign off|approve|sign)\b(?! on the \w+ side)(?! off)(?! on (?:security|legal|the (?:security|legal|technical)))",
     "sign approve", 2),
    # 'she approves capex', 'he signs anything over ...', 'she approved the budget line'
    (r"\b(?:he|she|they)(?:'s| is| has| will)?\s+(?:(?:already|also|always|ultimately|personally)\s+)?"
     r"(?:approves?|approved|signs?|signed off on) (?:the |all |our |any |every )?(?:capex|budget|spend|spending|"
     r"purchases?|contracts?|POs?|anything|everything|money|funding|budget line)\b",
     "approve approves approved sign signs signed", 3),
    (r"\bis (?:his|her|their) budget\b|\bcomes? out of (?:his|her|their) budget\b", "budget", 3),
    (r"\bsigns? (?:off on )?(?:anything|everything|the contract|the deal|the purchase|the PO|all|both|off on it)\b",
     "sign signs", 2),
    (r"\b(?:signature|signing|approval|spending) authority\b", "authority", 3),
    (rf"\b(?-i:{C_LEVEL})'s (?:approval|sign-?off|signature)\b", "approval sign signature", 2),
    (r"\b(?:purse strings|writes? the checks?|signs? the checks?)\b", "purse check checks", 3),
    (r"\bmakes? the (?:call|decision)\b", "call decision", 2),
    (r"\b(?:it's|it is) (?:his|her|their) (?:budget|call|decision)\b", "budget call decision", 3),
    # 'Anything over $150,000 goes to our CFO, Mark' / 'Contracts over $250,000 need our CEO, Andrew, to sign'
    (r"\b(?:anything|everything|contracts?|deals?|purchases?|spend|it)(?:'s)? (?:over|above|bigger|larger|more than)"
     r"\b[^.;?]{0,40}?\b(?:goes|go|needs?|requires?|has to go)\b", "over above bigger larger more", 3),
    (r"\b\w+'s approval\b", "approval", 2),
    # Where the money sits, after the person: 'the buck stops with Rafael', 'the funding sits with Gordon'
    (r"\bthe buck stops with\b|\b(?:money|budget|funding|spend)\b(?: for (?:this|it))? (?:sits|lives|rests) with\b",
     "buck money budget funding spend", 3),
    # Whose it is: 'out of Lorraine's budget', 'it needs Ingrid's sign-off'; the match starts inside the name
    # so that the name is the subject before it, and 'last year's budget' is no one's
    (r"(?<=\b(?-i:[A-Z][a-z]))[a-z]*'s (?:budget|money|sign-?off|signature|blessing|green light|say-?so)\b",
     "budget money sign signoff signature blessing green say sayso", 3),
    # A pronoun or name before: 'is hers to approve', 'she's the one who says yes', 'he green-lights every ...'
    (r"\b(?:hers|his|theirs) to (?:approve|sign(?: off)?|decide|authori[sz]e)\b", "hers his theirs", 3),
    (r"\bthe one who (?:says yes|signs|approves|decides|authori[sz]es|makes the (?:call|decision)|(?:cuts|writes|"
     r"signs) the (?:cheques?|checks?)|(?:holds|controls|owns) the (?:budget|money|purse))\b", "one", 3),
    # Money that is someone's to use: 'the money for this is hers to move', 'that line is hers'
    (r"\b(?:hers|his|theirs) to (?:move|spend|release|allocate|unlock|give|free up)\b|"
     r"\b(?:money|budget|line|line item|spend|P&L|purse) (?:is|was|stays) (?:all )?(?:hers|his|theirs)\b",
     "hers his theirs", 3),
    # Owning where the money sits: 'owns the lending technology line item', 'controls the capital line'
    (r"\b(?:owns|controls|holds|runs) (?:the|that|this|our|their) (?:[\w-]+ ){0,3}?(?:line items?|budget line|"
     r"P&L|purse strings|cost cent(?:er|re)|spend)\b", "owns controls holds runs", 3),
    (r"\b(?:he|she|they)(?:'s| is|'re| are) the (?:last|final) (?:stop|word|say|gate|sign-?off)\b",
     "last final", 3),
    (r"\b(?:green-?lights?|gives? (?:it |us )?the green light|has the last (?:word|say)|gets the last word|"
     r"cuts? the (?:cheques?|checks?)|writes? the cheques?)\b", "green greenlight greenlights light last cut cuts "
     "cheque cheques write writes", 3),
) + _cues(
    (r"\bI (?:have|own|hold|control) (?:a |the |about |roughly |around |an? )?(?:[$€£][\d,.]+\s?\w*\s)?"
     r"(?:budget\b|[$€£][\d,.]+)", "have own hold control", 2),
    (r"\b(?:I (?:can |will |'ll )?(?:approve|sign)\b(?! off on (?:the \w+ side|security|legal|the (?:security|legal|"
     r"technical)|my (?:part|side)))|needs? my signature)",
     "approve sign signature", 2),
    (r"\b(?:the )?budget is mine\b|\bit's my budget\b", "budget", 3),
    # The money is the speaker's: 'the systems money is mine to move', 'I control that spend'
    (r"\bmine to (?:move|spend|release|allocate|approve|unlock|give)\b|\b(?:money|budget|spend|line|P&L) is "
     r"(?:all )?mine\b", "mine", 3),
    (r"\bI (?:control|own|hold|run|manage) (?:that|the|this|our|all (?:the|that)) (?:[\w-]+ )?(?:spend|spending|"
     r"money|purse strings|P&L|line items?|budget line)\b", "control own hold run manage", 3),
    # Whose ledger it hits: 'it comes out of my P&L', 'it sits on my P&L', 'comes out of my line'
    (r"\b(?:comes?|coming|paid|funded) (?:out of|from) my (?:[\w-]+ )?(?:P&L|line|cost cent(?:er|re)|pocket)\b|"
     r"\b(?:sits|lives|lands) (?:on|in) my (?:[\w-]+ )?(?:P&L|budget|line|books)\b", "comes coming paid funded "
     "sits lives lands", 3),
    # The last word, in the speaker's own voice: 'whether we stay is my call', 'I'm the last stop'
    (r"\b(?:is|'s) my (?:call|decision)\b(?! (?:with|to|on the))|\bI(?:'m| am) the (?:last|final) "
     r"(?:stop|word|say|gate|sign-?off)\b", "call decision last final", 3),
    # 'It would come out of my operating budget', 'But it's my call', 'I'm the one signing'
    (r"\bcomes? out of my (?:\w+ )?budget\b|\bit's my (?:call|decision|sign-?off)\b|"
     r"\bI'm the one (?:who )?(?:signs|signing|approves|approving|decides|deciding)\b",
     "budget call decision signoff sign off one", 3),
    about_speaker=True,
)
CHAMPION = _cues(
    (r"\bI(?:'ll| will| can|'m going to| am going to|'d like to| want to) (?:make the case|push (?:for )?(?:this|it)|"
     r"champion|advocate|sell (?:this|it)|take (?:this|it|the [\w-]+(?: [\w-]+)?) to|bring (?:this|it) to|go to bat|"
     r"(?:carry|take|bring|pitch|sell|push) (?:this|it) (?:in(?:to)?|up|upstairs|internally|in front of)|"
     r"fight for (?:this|it)|"
     r"get (?:him|her|them|\w+) (?:comfortable|on board|bought in)|set up (?:a |some )?(?:[\w-]+ )?"
     r"(?:call|time|meeting|intro) with|introduce you|walk (?:him|her|them) through|follow up with|"
     r"get you (?:some )?(?:time|a meeting|a slot|an? intro\w*) with|get you in front of)",
     "case push champion advocate sell take bring bat get set introduce walk follow carry pitch fight", 3),
    (r"\bI(?:'m| am) (?:sold|a (?:big|huge) (?:fan|believer)|convinced|really excited|all in|(?:fully |completely |"
     r"totally |100% )?behind (?:this|it|you))\b", "sold fan believer convinced excited all behind", 3),
    (r"\bI(?:'ve| have) been (?:pushing|asking|advocating|lobbying|fighting) for\b|\bstake my (?:name|reputation)\b|"
     r"\bI(?:'ve| have) been (?:banging|beating|pounding) the (?:drum|table)\b",
     "pushing asking advocating lobbying fighting stake banging beating pounding", 3),
    (r"\bI(?:'ll| will)? (?:present (?:it|this|the results?|to)|(?:own|make) the recommendation|recommend)\b",
     "present recommendation recommend", 2),
    (r"\b(?:exactly what we need|this would (?:really )?help|huge for us|a huge win|love (?:this|that|it)|"
     r"best I've seen|biggest lever)\b", "exactly help huge love best biggest", 1),
    (r"\b(?:is|has been|have been|are) (?:pushing for (?:this|it)|a (?:big|huge) fan|our champion|championing|"
     r"advocating|keen on (?:this|it)|the sponsor)\b|\byou're the sponsor\b",
     "pushing fan champion championing advocating keen sponsor", 3),
    by_default=True,
) + _cues(
    # The speaker naming themself the inside seller: 'I'm the one pushing for this', 'consider me your advocate'
    (r"\bI(?:'m| am) the (?:one|person) (?:pushing|driving|asking|arguing|lobbying|fighting|championing)\b",
     "one person", 3),
    (r"\b(?:(?:count|consider|think of) me(?: in)?(?: as)?|I(?:'ll| will| can) be) (?:your|an|the) "
     r"(?:internal |inside )?(?:advocate|champion|sponsor|ally|coach|person|man|woman|guy)\b", "count consider think be", 3),
    # Carrying the deal inside, in the speaker's own words, however the sentence runs on:
    # 'I'll bundle it with the sign-offs and bring it to Ines myself', 'I'll carry this to the exec team'
    (r"\bI(?:'ll| will|'m going to| am going to)\b[^.?!]{0,80}?\b(?:(?:carry|take|bring|walk|pitch|present|get|"
     r"hand) (?:it|this|that|them|the (?:package|case|numbers|proposal|deck|business case|summary|memo))\s+"
     r"(?:in(?:to)?|to|up to|in front of|upstairs|through)|put (?:it|this|that|them|the [\w-]+) in front of)\b",
     "carry take bring walk pitch present get put hand", 3),
    # Selling it inside in the present tense: 'that's the version I can sell', 'I take the number to the exec meeting'
    (r"\b(?:the (?:version|deal|number|price|offer)|one) I can (?:sell|get through|get approved)\b|\bI (?:take|bring|"
     r"walk) (?:it|this|the [\w-]+(?: [\w-]+)?) (?:to|in front of) (?:the|our|my) (?:exec|executive|leadership|board|"
     r"committee|steering)\b", "version deal number price offer one take bring walk", 3),
    # Advocacy already done: 'I've gone to bat for this twice', 'I've already written the board paper for you'
    (r"\bI(?:'ve| have)? (?:gone|went|been going) to bat\b|\bI(?:'ve| have) (?:already |personally )?(?:written|"
     r"drafted|built|prepared|put together|pre-?wired|pre-?briefed|briefed) (?:the|a|our|my) (?:[\w-]+ )?(?:board "
     r"paper|paper|business case|case|memo|deck|committee|board)\b", "gone went going written drafted built "
     "prepared put prewired pre wired prebriefed briefed", 3),
    # The speaker as the one who carries it: 'I'm the one who'll walk it around campus'
    (r"\bI(?:'m| am) the (?:one|person) (?:who(?:'ll| will| is going to)|that(?:'ll| will)) (?:walk|take|carry|sell|"
     r"pitch|push|bring|shepherd|champion)\b", "one person", 3),
    # Bringing others round: 'I'll get the research deans on board myself', 'let me handle Tobias's side'
    (r"\bI(?:'ll| will| can|'m going to) get (?:the |our |my )?(?:[\w-]+ ){0,2}?(?:on board|bought in|onside|"
     r"comfortable)\b|\blet me (?:handle|take care of|manage|work on) (?:\w+'s|his|her|their) side\b",
     "get board bought onside comfortable handle take manage work", 3),
    (r"\b(?:count on me|I've got your back|I'm in your corner|you have my (?:support|vote)|I'll vouch)\b",
     "count got corner support vote vouch", 3),
    (r"\b(?:lands|reads|goes down|comes across|works) better (?:coming )?from me\b|\bbetter (?:coming )?from me than\b"
     r"|\bresponds better to me\b", "lands reads goes comes works better responds", 3),
    # Coaching the seller: inside information and how to win the buyer's people over
    (r"\byou didn't hear (?:this|that|it) from me\b|\bbetween (?:you and me|us)\b|\boff the record\b|"
     r"\bI'll tell you if (?:anything|something|it) (?:will|would|might|is going to) trip (?:him|her|them) up\b|"
     r"\bdon't (?:forward|share|show|send) (?:it|this|that) (?:to|with) anyone\b|"
     r"\bI'll tell you where (?:he|she|they)(?:'s| is|'re| are) going to\b|\bsend (?:it|that|them|the [\w-]+) to me "
     r"(?:first|before)\b|\bsend me the [\w-]+ before\b|\bhere's what I'll do\b|\bI'm not letting (?:it|this)\b",
     "hear between record tell send here not trip forward share show", 2),
    (r"\b(?:might|will|would|should|that'll|that would) help you (?:when|with|in front of|get)\b|"
     r"\bso you (?:can|know) (?:see )?how (?:it|this|he|she|they)\b|\bI(?:'ll| can| will) (?:also )?(?:send|share|"
     r"forward) (?:you )?(?:our|the) (?:internal|board) [\w-]+", "help so send share forward", 2),
    about_speaker=True,
)
BLOCKER = _cues(
    (r"\b(?:not convinced|skeptical|sceptical|pushing back|push(?:ed)? back|against (?:this|it|the idea)|"
     r"(?:concerned|worried|nervous) about|hesitant|veto|block(?:ing|ed)? (?:this|it)|opposes?)\b",
     "convinced skeptical sceptical back against concerned worried nervous hesitant veto blocking blocked block "
     "oppose opposes", 2),
    (r"\bdon't (?:think|see) (?:we need|the (?:need|value|point))\b", "think see", 2),
    by_default=True,
)
TECHNICAL = _cues(
    (r"\b(?:security|integrat\w*|API|architecture|SSO|SAML|SOC ?2|pen ?test|sandbox|data (?:flows?|residency)|"
     r"encryption|infrastructure|technical|questionnaire|ERP|REST|uptime|scalab\w+)\b",
     "security integrate integrates integration integrations integrated integrating api architecture sso saml soc "
     "soc2 pen pentest sandbox data encryption infrastructure technical questionnaire erp rest uptime scalable "
     "scalability", 1),
    about_speaker=True,
)
INFLUENCER = _cues((r"\b(?:weigh in|have (?:a )?say|has (?:\w+'s|his|her|their) ear|influence)\b",
                    "weigh say ear influence", 2),)
POSITIVE = _cues((r"\b(?:love|impressed|excited|exactly what we need|sold on|makes sense|really like|huge|"
                  r"helpful|promising|better than I expected|big fan|supportive|interested|great)\b",
                  "love impressed excited exactly sold sense like huge helpful promising better fan supportive "
                  "interested great", 1), by_default=True)
NEGATIVE = _cues((r"\b(?:not convinced|skeptical|concerned|worried|too expensive|pricey|pushing back|"
                  r"hesitant|frustrated with (?:you|your)|not a fit)\b",
                  "convinced skeptical concerned worried expensive pricey pushing hesitant frustrated fit", 1),
                 by_default=True)
_FAMILIES = (ECONOMIC_BUYER, CHAMPION, BLOCKER, TECHNICAL, INFLUENCER, POSITIVE, NEGATIVE)
_TECH_TITLE = re.compile(r"\b(?:IT|security|engineer\w*|architect|CTO|CIO|CISO|developer|admin\w*|infrastructure)\b", ICASE)
_LEGAL_TITLE = re.compile(r"\b(?:legal|counsel|attorney|lawyer|paralegal)\b", ICASE)
_PROCUREMENT_TITLE = re.compile(r"\b(?:procurement|purchasing|vendor management|sourcing)\b", ICASE)


@dataclass
class Profile:
    person: Person
    side: str
    role: str = "unknown"
    influence: str = "unknown"
    sentiment: str = "unknown"
    hits: list[Hit] = field(default_factory=list)  # the evidence for the role, strongest first


@dataclass
class RoleScan:
    economic_buyer: dict[str, list[Hit]]
    champion: dict[str, list[Hit]]
    blocker: dict[str, list[Hit]]
    technical: dict[str, list[Hit]]
    influencer: dict[str, list[Hit]]
    positive: dict[str, list[Hit]]
    negative: dict[str, list[Hit]]


def scan_roles(sentences: list[Sentence], directory: Directory) -> RoleScan:
    return RoleScan(*scan(sentences, directory, _FAMILIES))


def weight(hits: list[Hit] | None) -> float:
    return sum(hit.weight for hit in hits or [])


def leader(scores: dict[str, list[Hit]], candidates: list[Profile], minimum: float) -> Profile | None:
    """The candidate with the most weight for a cue family, if it reaches `minimum`."""
    ranked = sorted(candidates, key=lambda p: -weight(scores.get(p.person.name)))
    if ranked and weight(scores.get(ranked[0].person.name)) >= minimum:
        return ranked[0]
    return None


def assign_roles(directory: Directory, sides: dict[str, str], found: RoleScan) -> list[Profile]:
    profiles = [Profile(p, sides.get(p.name, "unknown")) for p in directory.people]
    buyers = [p for p in profiles if p.side != "seller"]
    deciders = [p for p in buyers if not _LEGAL_TITLE.search(p.person.title or "")
                and not _PROCUREMENT_TITLE.search(p.person.title or "")]
    economic_buyer = leader(found.economic_buyer, deciders, 2) or _senior_title(deciders)
    if economic_buyer and economic_buyer.role == "unknown":
        _give(economic_buyer, "economic_buyer", found.economic_buyer)
    champion = leader(found.champion, [p for p in buyers if p.role == "unknown" and p.side == "buyer"], 2)
    if champion:
        _give(champion, "champion", found.champion)
    for profile in buyers:
        if profile.role == "unknown":
            _other_role(profile, found)
    for profile in profiles:
        profile.sentiment = _sentiment(profile, found)
        profile.influence = _influence(profile, weight(found.economic_buyer.get(profile.person.name)) >= 2)
    return profiles


# Who usually holds the budget when no one on the call said so, most likely first.
_SENIORITY = (re.compile(r"\b(?:CFO|chief financial officer|finance director|VP,? (?:of )?finance)\b", ICASE),
              re.compile(r"\b(?:CEO|chief executive|president|owner|managing partner|managing director|founder|"
                         r"superintendent)\b", ICASE),
              re.compile(rf"\b(?-i:{C_LEVEL})\b"))


def _senior_title(deciders: list[Profile]) -> Profile | None:
    """No cue named a budget holder: the one buyer with the most senior title (a CFO before a CEO before
    another chief), the sentence that gave the title as the evidence; the status stays partial. Two of
    the same rank: no guess."""
    for tier in _SENIORITY:
        titled = [p for p in deciders if p.side == "buyer" and tier.search(p.person.title or "")]
        if len(titled) == 1 and titled[0].person.title_from is not None:
            profile, sentence = titled[0], titled[0].person.title_from
            profile.role = "economic_buyer"
            profile.hits = [Hit(profile.person, 1, sentence, (0, len(sentence.text)))]
            return profile
        if titled:
            return None
    return None


def _give(profile: Profile, role: str, scores: dict[str, list[Hit]]) -> None:
    profile.role = role
    profile.hits = sorted(scores.get(profile.person.name, []), key=lambda h: -h.weight)


def _other_role(profile: Profile, found: RoleScan) -> None:
    name, title = profile.person.name, profile.person.title or ""
    if weight(found.economic_buyer.get(name)) >= 2:  # holds some budget or sign-off, but not the final one
        _give(profile, "influencer", found.economic_buyer)
    elif weight(found.blocker.get(name)) >= 4:
        _give(profile, "blocker", found.blocker)
    elif _LEGAL_TITLE.search(title):
        profile.role = "legal"
    elif _PROCUREMENT_TITLE.search(title):
        profile.role = "procurement"
    elif weight(found.technical.get(name)) >= 3 or _TECH_TITLE.search(title):
        _give(profile, "technical_evaluator", found.technical)
    elif weight(found.influencer.get(name)) >= 2 or HIGH_TITLES.search(title):
        _give(profile, "influencer", found.influencer)
    elif profile.person.is_speaker and profile.side == "buyer":
        profile.role = "user"


def _sentiment(profile: Profile, found: RoleScan) -> str:
    if profile.side == "seller":
        return "unknown"
    name = profile.person.name
    balance = weight(found.positive.get(name)) - weight(found.negative.get(name))
    if profile.role == "champion" or balance >= 1:
        return "positive"
    if profile.role == "blocker" or balance <= -1:
        return "negative"
    return "neutral" if profile.person.is_speaker or profile.hits else "unknown"


def _influence(profile: Profile, budget_holder: bool) -> str:
    title = profile.person.title or ""
    if profile.side == "seller":
        return "unknown"
    if profile.role == "economic_buyer" or HIGH_TITLES.search(title) or budget_holder:
        return "high"
    if profile.role in ("champion", "blocker", "technical_evaluator", "legal", "procurement", "influencer") \
            or MEDIUM_TITLES.search(title):
        return "medium"
    return "low" if profile.role == "user" else "unknown"
