"""Alternatives to our offer: named vendors the buyer is looking at or using, an in-house build, or
staying as they are. Integration targets ('integrates with Salesforce') are not competitors."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lib.llm.offline.patterns import NOT_NAMES
from lib.llm.offline.text import RuleSet, Sentence, rule


def _product(group: str = "product") -> str:
    return rf"(?-i:(?P<{group}>[A-Z][\w.&-]*[\w](?:\s(?!I\b)[A-Z][\w.&-]*[\w])?))"


_PRODUCT = _product()
_NAMED = (
    rule(rf"\b(?:also |currently |already )?(?:evaluating|evaluated|looking at|looked at|talking to|talked to|"
         rf"speaking (?:to|with)|spoke (?:to|with)|considering|considered|trialing|trialling|piloting|testing|demoing|"
         rf"comparing)\s+(?:\w+\s+)?{_PRODUCT}",
         "evaluating evaluated looking looked talking talked speaking spoke considering considered trialing trialling "
         "piloting testing demoing comparing"),
    rule(rf"\b(?:demo|demos|call|calls|conversations?|meetings?|proposal|quote|pitch|bid|offer|POC|PoC|pilot|trial|"
         rf"evaluation|numbers|pricing|figures)\s+(?:with|from)\s+{_PRODUCT}",
         "demo demos call calls conversation conversations meeting meetings proposal quote pitch bid offer poc pilot "
         "trial evaluation numbers pricing figures"),
    # 'two systems, yours and Duetto'
    rule(rf"\byours (?:and|or|versus|vs\.?) {_PRODUCT}", "yours"),
    rule(rf"\b(?:a|an|the|their)\s+{_PRODUCT}\s+(?:quote|proposal|bid|demo|pitch|trial|pilot)\b",
         "quote proposal bid demo pitch trial pilot"),
    rule(rf"\b(?:currently|already|today we)\s+(?:use|using|on|pay for|paying for|have)\s+{_PRODUCT}",
         "currently already today"),
    rule(rf"\b(?:we|they)\s+(?:switched from|moved from|came from|are replacing|replaced)\s+{_PRODUCT}",
         "switched moved came replacing replaced"),
    rule(rf"\b(?:compared to|compared with|versus|vs\.?|instead of|rather than|cheaper than|better than|"
         rf"switch(?:ing)? (?:away )?(?:from|to)|replace|replacing|migrate off|migrating off|move off|upgrading|"
         rf"extending)\s+{_PRODUCT}",
         "compared versus vs instead rather cheaper better switch switching replace replacing migrate migrating move "
         "upgrading extending"),
    rule(rf"(?<![\w.]){_PRODUCT}(?:'s)?\s+(?:quoted|offered|came in|is cheaper|was cheaper|felt|didn't|doesn't|"
         rf"(?:is|was) (?:too|more|less|cheaper|better|worse|strong|stronger|weak|weaker|close|expensive|built)|"
         rf"pitched|proposed|reached out|sent|called|showed us|rep|sales rep|proposal|quote|pricing|offer)\b",
         "quoted offered came cheaper felt didn doesn too more less better worse strong stronger weak weaker close "
         "expensive built pitched proposed reached sent called showed rep proposal quote pricing offer"),
    # Past and present evaluations in other verbs: 'we shortlisted Cority', 'we trialled X at four offices',
    # 'we're also seeing X next week'
    rule(rf"\b(?:shortlisted|short-listed|trialled|trialed|piloted|demoed|benchmarked|(?:we're|we are) (?:also )?"
         rf"(?:seeing|meeting(?: with)?))\s+{_PRODUCT}",
         "shortlisted short listed trialled trialed piloted demoed benchmarked seeing meeting"),
    # Described as the rival: 'the other vendor we're looking at, Ocrolus', 'X is the other one on our list'
    rule(rf"\bthe other (?:vendor|option|provider|platform|tool|system|one)s? (?:we're|we are|I'm|I am) "
         rf"(?:looking at|considering|evaluating|talking to|speaking (?:to|with)|seeing)(?: is)?,?\s+{_PRODUCT}",
         "other"),
    rule(rf"(?<![\w.]){_PRODUCT}\s+(?:is|are) (?:also )?(?:on (?:the|our|my) (?:short-?)?list|the other (?:one|vendor|"
         rf"option)s?\b)", "list shortlist other"),
    # What the rival did in the evaluation: 'X has already been in to quote', 'X's team has done a demo for us',
    # 'X's model did better than our rules'
    rule(rf"(?<![\w.])(?:(?-i:(?P<also>[A-Z][\w.&-]*[\w]))(?:,\s*|\s+and\s+))?{_PRODUCT}"
         rf"(?:'s (?:team|people|reps?|sales team))?\s+(?:has|have)\s+(?:already |also |both )?"
         rf"(?:been in to (?:quote|pitch|demo|present)|(?:done|given|run) (?:us )?(?:a |their )?(?:demo|pitch|"
         rf"presentation|trial)|asked for (?:a )?(?:meetings?|demos?|calls?))\b",
         "been done given run asked"),
    rule(rf"(?<![\w.]){_PRODUCT}'s\s+(?:model|product|tool|platform|system|app|demo|engine)\s+(?:did|performed|"
         rf"scored|looked|was|came)\s+(?:better|worse|well|badly|stronger|weaker|strong|weak|higher|lower)\b",
         "did performed scored looked was came"),
)
_PAST = re.compile(r"\b(?:years? ago|months ago|used to|previously|back in (?:19|20)\d\d|dropped|gave up on|"
                   r"abandoned|stopped using|last (?:year|spring|summer|autumn|fall|winter)|a while (?:back|ago)|"
                   r"(?:where|when|and) it died|fell through|went nowhere|didn't go anywhere)\b", re.IGNORECASE)
_AND_ALSO = re.compile(rf"(?:,\s*|\s+and\s+|\s+or\s+|,\s+and\s+|,\s+or\s+){_PRODUCT}")
_IN_HOUSE = rule(r"\b(?:build(?:ing)? (?:it|this|something|our own|one)?\s*(?:in-house|ourselves|internally|"
                 r"(?:in|on top of|on) (?-i:[A-Z])\w*)|in-house (?:build|tool|solution|system|option)|internal build|"
                 r"homegrown|home-grown|our own tool)",
                 "build building house homegrown home own internal")
_STATUS_QUO = rule(r"\b(?:do(?:ing)? nothing(?! but| else)|status quo|stick with what we have|keep doing what we|"
                   r"stay(?:ing)? (?:with|on) (?:our )?(?:spreadsheets|the current|what we have))",
                   "nothing quo stick keep stay staying")
_INTEGRATION = RuleSet((
    rule(rf"\b(?:integrat\w*|sync\w*|connect\w*|plug\w*|post\w*)\s+(?:\w+\s+)?(?:with|into|to)\s+{_PRODUCT}",
         "integrate integrates integrated integrating integration integrations sync syncs synced syncing connect "
         "connects connected connector connectors connecting plug plugs post posts posted posting"),
    rule(rf"{_PRODUCT}\s+(?:integration|connector|sync|instance|org|account|admin|API|data|running|"
         rf"environment|SuiteApp|app)\b",
         "integration connector sync instance org account admin api data running environment suiteapp app"),
))
_VENDOR = RuleSet((
    rule(rf"\bhere at\s+{_product('a')}|^With\s+{_product('c')},|(?:I'm|I am|this is)\s+(?-i:[A-Z])\w+(?:\s(?-i:[A-Z])\w+)?,?"
         rf"\s+(?:from|at|with)\s+{_product('b')}|"
         rf"{_product('d')}(?:'s)?\s+(?:platform|product|team)\b(?=.*\b(?:our|we)\b)",
         "here with from at platform product team"),
))
# A rival the buyer will not name: 'I have another proposal on my desk', 'the other quote is still lower'
_UNNAMED = rule(r"\b(?:I|we)(?:'ve| have)? (?:have|got|received|had) (?:another|a competing|a rival|a cheaper|a second|"
                r"a lower) (?:proposal|quote|bid|offer)\b|\bthe other (?:proposal|quote|bid|offer) is (?:still )?"
                r"(?:lower|cheaper|better|less)\b", "another competing rival cheaper second lower other")
_ALL = RuleSet((*_NAMED, _IN_HOUSE, _STATUS_QUO, _UNNAMED))
IN_HOUSE = "an in-house build"
UNNAMED = "a rival offer not named"
STATUS_QUO = "the status quo"


@dataclass(frozen=True)
class Alternative:
    name: str
    sentence: Sentence
    span: tuple[int, int]

    @property
    def in_the_past(self) -> bool:
        """'Two years ago we trialled X': a named vendor tried before, not one in the running now."""
        return _PAST.search(self.sentence.text) is not None


def find_alternatives(sentences: list[Sentence], excluded_names: set[str]) -> list[Alternative]:
    excluded = excluded_names | integration_targets(sentences)
    found: dict[str, Alternative] = {}
    for sentence in sentences:
        for raw, span in _mentions(sentence):
            name = _strip_leading_words(raw)
            if name and not _excluded(name, excluded):
                found.setdefault(name.lower(), Alternative(name, sentence, span))
    return list(found.values())


def _mentions(sentence: Sentence) -> list[tuple[str, tuple[int, int]]]:
    hits: list[tuple[str, tuple[int, int]]] = []
    for position, match in _ALL.matches(sentence):
        if position < len(_NAMED):
            hits.append((match.group("product"), match.span()))
            if match.re.groupindex.get("also") and match.group("also"):  # 'AMOS and Ramco have both asked'
                hits.append((match.group("also"), match.span()))
            hits += _conjuncts(sentence.text, match.end())
        else:
            found = _ALL.rules[position]
            hits.append((IN_HOUSE if found is _IN_HOUSE else UNNAMED if found is _UNNAMED else STATUS_QUO, match.span()))
    return hits


def _conjuncts(text: str, at: int) -> list[tuple[str, tuple[int, int]]]:
    """'Bill.com and Tipalti': the names listed right after a named alternative."""
    hits = []
    while (match := _AND_ALSO.match(text, at)) is not None:
        hits.append((match.group("product"), match.span()))
        at = match.end()
    return hits


def vendor_names(sentences: list[Sentence]) -> set[str]:
    """The companies on the call, as they name themselves ('here at Beacon', 'With Ledgerly, ...')."""
    names: set[str] = set()
    for sentence in sentences:
        for _, match in _VENDOR.matches(sentence):
            names.add(next(g for g in match.groups() if g).split()[0])
    return names


def _strip_leading_words(name: str) -> str:
    """'And Okta' is Okta: a capitalised sentence opener is not part of a product name."""
    words = name.split()
    while words and words[0] in NOT_NAMES:
        words.pop(0)
    return " ".join(words)


def _excluded(name: str, excluded: set[str]) -> bool:
    first = name.split()[0]
    return first in NOT_NAMES or name in excluded or first in excluded or len(name) < 2


def integration_targets(sentences: list[Sentence]) -> set[str]:
    targets: set[str] = set()
    for sentence in sentences:
        targets.update(m.group("product").split()[0] for _, m in _INTEGRATION.matches(sentence))
    return targets
