"""Buyer or seller: each speaker scored by how they talk (sellers talk about 'our platform' and ask about
'your process'; buyers talk about 'our team' and ask about 'your product'), people who were talked about
taking the side of whoever introduced them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from lib.llm.offline.elements import PAIN
from lib.llm.offline.patterns import SELLER_TITLES
from lib.llm.offline.people import Directory, Person
from lib.llm.offline.text import Rule, RuleSet, Sentence, rule

Side = str  # "buyer" | "seller" | "unknown"
FIRST_SPEAKER = 2

_SELLER_CUES: tuple[tuple[Rule, float], ...] = (
    (rule(r"\b(?:our|my) (?:product|platform|solution|software|tool|app|connector|integration team|"
          r"implementation(?: team)?|onboarding team|pricing|roadmap|security package|support team|"
          r"standard (?:MSA|DPA|contract|terms|order form)|customer success team|engineers can|ROI model|demo|"
          r"proposal|legal team)\b", "our my"), 2),
    (rule(r"\b(?:customers|clients|companies) (?:your size|like you(?:rs)?|typically|usually|tend to|see)\b",
          "customers clients companies"), 3),
    (rule(r"\bwe (?:offer|provide|support|include|integrate|typically|usually see|see (?:this|that)|hear)\b",
          "offer provide support include integrate typically usually see hear"), 2),
    (rule(r"\b(?:we|I) can (?:offer|provide|include|get you|send you|set you up|do a|build that)\b", "can"), 2),
    (rule(r"\b(?:per seat|per user|per license|list price|our pricing|we charge|discount)\b",
          "per list pricing charge discount"), 2),
    (rule(r"\b(?:let me (?:show|share)|I'll show you|share my screen|demo)\b", "show share demo"), 1),
    (rule(r"\bthanks? (?:you )?(?:so much )?for (?:making|taking|jumping|hopping|joining|your time|having)\b",
          "thanks thank"), 2),
    (rule(r"\byour (?:team|process|volumes?|side|current|reps|data|environment|org|company|business|budget|"
          r"timeline|priorities|goals?|stack|CFO|CEO|COO|leadership|close|customers|onboarding)\b", "your"), 1),
    (rule(r"\b(?:walk me through|tell me (?:more )?about(?! it\b)|what does (?:that|the|your) \w+ look like|who else)\b",
          "walk tell look who"), 2),
    (rule(r"^(?:And |So )?(?:Does|Do|Is|Are|Have|Has|Would|Could)\b[^?]*\byou(?:r|'re)?\b[^?]*\?$", "?"), 1),
    (rule(r"\bI'm (?:the|an|a|one of the|your) (?:account executive|solutions? (?:engineer|consultant)|"
          r"sales (?:engineer|rep)|account manager)\b", "account solutions solution sales"), 6),
    (rule(r"\b(?:our|my) (?:proposal|price|estimate|position|standard|sensors?|gateway|largest customer|"
          r"customer reference|deal desk|integration team|webinar|view|methodology|SOC|fees|customers)\b", "our my"), 2),
    (rule(r"(?:^|[.,;]\s*)we can (?:do|agree|include|offer|provide|split|cap|give|go|get|send|share|set|build|turn|"
          r"restrict|prove|commit|connect|change|take|use|support)\b", "can"), 2),
    (rule(r"\b(?:I can (?:go to|take that back|agree|include|do)|we'd be at|we'd commit|we'll build|we'll return|"
          r"we sign|we store|we migrate|we connect|we learn|we send|we post|we process over|we retry)\b",
          "can be commit build return sign store migrate connect learn send post process retry"), 2),
    (rule(r"\b(?:\w+ )?(?:customers|clients|manufacturers|companies|teams) (?:with|like|your) [\w\s]{0,30}?"
          r"(?:typically|usually)\b", "typically usually"), 3),
    (rule(r"\b(?:welcome|thanks for (?:joining|having us|hopping on|jumping on))\b", "welcome thanks"), 1),
    (rule(r"\b(?:next steps|let me recap|to recap|proposed plan)\b", "next recap proposed"), 1),
    # A vendor keeping an unhappy customer: 'what it would take to earn this back', 'is this your decision?'
    (rule(r"\b(?:earn|win) (?:this|it|you|your (?:trust|business|confidence)) back\b|\bwhat would you need to see\b|"
          r"\bis (?:this|that|it) your (?:decision|call)\b|\bI can commit to\b|\byour (?:monthly|weekly|quarterly) "
          r"(?:check-?in|review|call)\b", "earn win see decision call commit monthly weekly quarterly"), 2),
)
_BUYER_CUES: tuple[tuple[Rule, float], ...] = (
    (rule(r"\b(?:our|my) (?:team|process|budget|CFO|CEO|COO|CTO|CIO|board|leadership|procurement|legal|"
          r"security team|IT|engineers|reps|CSMs|clerks|AP team|close|ERP|stack|current|data|auditors|busy "
          r"season|vendor|security questionnaire|staging|company|org|boss|manager|VP|director|users|agents)\b",
          "our my"), 1),
    (rule(r"\bwe (?:currently|already|have been|'ve been|struggle|lost|paid|process|tried|looked at|had a demo|"
          r"had conversations|spend|waste|can't|don't have)\b", "we"), 2),
    (rule(r"\b(?:we're|we are|I'm|I am) (?:struggling|frustrated|losing|drowning|stuck|sold|evaluating|looking at)\b",
          "struggling frustrated losing drowning stuck sold evaluating looking"), 2),
    (rule(r"\byour (?:product|platform|tool|solution|software|pricing|price|integration|connector|security|"
          r"implementation|roadmap|API|latest|standard|SOC|references|contract|proposal|quote|support|app)\b",
          "your"), 2),
    (rule(r"\b(?:do|does|can|could|will|would) (?:you|it|your \w+) (?:support|integrate|handle|work|connect|"
          r"offer|do|sync|store|scale)\b", "support integrate handle work connect offer do sync store scale"), 2),
    (rule(r"\bhow (?:does|do|would|much) (?:the|your|you|it)\b", "how"), 1),
    (rule(r"\b(?:any|a|the|another) vendor\b", "vendor"), 1),
    (rule(r"\b(?:exactly what we need|that would be huge|would be a huge win|huge for us|I'm sold)\b",
          "exactly huge sold"), 2),
    (rule(r"\b(?:I|we) (?:still |also |really |just )?(?:need|want|require)\b|\b(?:I'll|we'll|I'd|we'd) "
          r"(?:also |still )?(?:need|want|require)\b", "need want require"), 2),
    (rule(r"^(?:And |So |But )?(?:Does|Do|Can|Could|Will|Would|Is|Are)\b(?![^?]*\byou)[^?]*\?$",
          "?"), 1),
    (rule(r"\b(?:our|my) (?:purchasing|accounting|finance|operations|controller|financial|current|old|last)\b",
          "our my"), 1),
    (rule(r"\b(?:can|does|will|is) it\b[^.?]*\?|\bhow long does (?:it|implementation|the \w+) take\b|"
          r"\bwhat does it cost\b|\bwhat's the price\b", "it long cost price"), 2),
    (rule(r"\byour (?:redlines?|MSA|draft|latest|system|sensors|connector|SOC|penetration|pen test|report|"
          r"questionnaire|proposal|implementation|pricing|standard|product|platform|team's|legal team|CFO)\b", "your"), 2),
    (rule(r"\bwould save (?:me|us)\b|\bsend (?:it|them|me|the \w+) (?:to me|directly)\b|\bsend me\b|"
          r"\bget me\b|\bshow me\b", "save send get show"), 2),
    # A customer weighing leaving, or reporting another vendor's demo: 'if we're leaving', 'X did a demo for us'
    (rule(r"\b(?:we should (?:leave|switch|move)|if we(?:'re| are) leaving|whether we (?:stay|renew|leave)|"
          r"(?:we're|we are) (?:thinking about|considering) (?:leaving|switching|moving)|"
          r"(?:done|did|given|gave|run|ran) (?:us )?(?:a |their )?demo for us)\b",
          "should leaving whether thinking considering done did given gave run ran"), 3),
    (rule(r"\b(?:our|my) (?:board|CFO|CEO|COO|general counsel|legal counsel|counsel|IT team|IT group|finance team|"
          r"procurement|policy|peak season|technicians|coordinators|managers|plants?|stores|hospitals|examiners|"
          r"auditors|denial|benefits|employees|agents|reps|payers|volumes?|numbers|team leads)\b", "our my"), 2),
)

_SELLER_FAMILY = RuleSet(tuple(r for r, _ in _SELLER_CUES))
_BUYER_FAMILY = RuleSet(tuple(r for r, _ in _BUYER_CUES))


def assign_sides(directory: Directory, sentences: list[Sentence],
                 known: Mapping[str, Side] | None = None) -> dict[str, Side]:
    """`known`: sides the transcript file gave (a role label, a participant's company); they win."""
    known = known or {}
    scores = _speaker_scores(sentences)
    for person in directory.people:
        if person.title and SELLER_TITLES.search(person.title):
            scores[person.name] += 6
    _greeted(directory, sentences, scores)
    scores = _pool_colleagues(directory, scores)
    sides = {name: _side(score) for name, score in scores.items()} | dict(known)
    _ensure_both_sides(sides, {name: score for name, score in scores.items() if name not in known})
    for person in directory.people:
        if not person.is_speaker or sides.get(person.name, "unknown") == "unknown":
            sides[person.name] = _introduced_side(person, sides) if person.introductions else \
                sides.get(person.name, "unknown")
    return sides


_GREETING = rule(r"\bthanks?\b[^.?!]{0,30}?\bfor (?:the|your) time\b|\bthanks?(?: you)?(?: both| all)? for "
                 r"(?:making|taking|joining|getting on|hopping on|jumping on|having us)\b", "thanks thank")
GREETED = 3
OPENING = 6  # sentences


def _greeted(directory: Directory, sentences: list[Sentence], scores: defaultdict[str, float]) -> None:
    """'Callum, Sione, thanks for the time': the speakers a host thanks by name in the opening are on the
    other side from the host, however little they say later."""
    for sentence in sentences[:OPENING]:
        host = sentence.speaker or ""
        if not host or scores[host] == 0 or _GREETING.search(sentence) is None:
            continue
        lean = GREETED if scores[host] < 0 else -GREETED
        for person in {p.name: p for p, _ in directory.mentioned(sentence)}.values():
            if person.is_speaker and person.name != host:
                scores[person.name] += lean


def _pool_colleagues(directory: Directory, scores: defaultdict[str, float]) -> defaultdict[str, float]:
    """Speakers who introduce each other as 'our' or 'my' colleague share a side: each gets the sum of
    the group's scores, so a quiet colleague takes the side of a talkative one."""
    group = {p.name: p.name for p in directory.people if p.is_speaker}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    for person in directory.people:
        for mention in person.introductions:
            if person.is_speaker and mention.pos in ("our", "my") and mention.sentence.speaker in group:
                group[root(person.name)] = root(mention.sentence.speaker or "")
    totals: defaultdict[str, float] = defaultdict(float)
    for name in group:
        totals[root(name)] += scores[name]
    pooled = defaultdict(float, scores)
    pooled.update({name: totals[root(name)] for name in group})
    return pooled


def _speaker_scores(sentences: list[Sentence]) -> defaultdict[str, float]:
    scores: defaultdict[str, float] = defaultdict(float)
    if sentences and sentences[0].speaker:
        scores[sentences[0].speaker] += FIRST_SPEAKER  # the seller usually hosts and opens the call
    for sentence in sentences:
        if sentence.speaker:
            scores[sentence.speaker] += _cue_score(sentence)
    return scores


def _cue_score(sentence: Sentence) -> float:
    buyer_pain = 1 if PAIN.search(sentence) and not sentence.is_question else 0
    seller = sum(_SELLER_CUES[i][1] for i in _SELLER_FAMILY.candidates(sentence)
                 if _SELLER_CUES[i][0].regex.search(sentence.text))
    buyer = sum(_BUYER_CUES[i][1] for i in _BUYER_FAMILY.candidates(sentence)
                if _BUYER_CUES[i][0].regex.search(sentence.text))
    return seller - buyer - buyer_pain


def _side(score: float) -> Side:
    return "seller" if score > 0 else "buyer" if score < 0 else "unknown"


def _ensure_both_sides(sides: dict[str, Side], scores: dict[str, float]) -> None:
    """A sales call has a seller and a buyer: when every speaker leans one way, the one leaning least
    is the other side."""
    if len(scores) < 2:
        return
    ranked = sorted(scores, key=lambda name: scores[name])
    if "seller" not in sides.values():
        sides[ranked[-1]] = "seller"
    if "buyer" not in sides.values():
        sides[ranked[0]] = "buyer"


def _introduced_side(person: Person, sides: dict[str, Side]) -> Side:
    """'our CFO' takes the side of the speaker, 'your CFO' the other one; anyone else a seller names
    is, on a sales call, almost always one of the buyer's people."""
    fallback: Side = "unknown"
    for mention in person.introductions:
        speaker_side = sides.get(mention.sentence.speaker or "", "unknown")
        if speaker_side == "unknown":
            continue
        if mention.pos == "your":
            return "buyer" if speaker_side == "seller" else "seller"
        if mention.pos in ("our", "my") or speaker_side == "buyer":
            return speaker_side
        fallback = "buyer"
    return fallback
