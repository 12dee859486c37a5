"""Names for speakers a transcript labels only by an id ('Speaker 5120948837261604418', 'spk_2'): what
they say of themselves ('I'm Noah Feldman', 'Omar Qadiri, I run operations'), else the name another
speaker addresses them by just before they speak ('Omar, you mentioned finance.'), when the votes agree."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace

from lib.llm.offline.patterns import NAME, NAME_TOKEN, NOT_NAMES
from lib.llm.offline.text import Sentence

GENERIC_SPEAKER = re.compile(r"^(?:speaker|spk|participant|unknown|guest|caller)[\s_-]*\w*$", re.IGNORECASE)
_FULL = rf"{NAME_TOKEN}\s{NAME_TOKEN}"
_SELF = (
    re.compile(rf"\b(?:I'm|I am|this is|my name is|it's)\s+(?P<name>{_FULL})\b(?!\s+(?:from|at|with|in)\b)?"),
    re.compile(rf"^(?:(?:hi|hey|hello|morning|yes|yeah|sure)[,!.]?\s+(?:\w+[,!.]\s+)*)?(?P<name>{_FULL}),\s+I\b",
               re.IGNORECASE),
    re.compile(rf"^(?P<name>{_FULL}) here\b"),
)
_ADDRESS = re.compile(rf"^(?:(?:so|and|okay|ok|great|thanks)[,]?\s+)?(?P<name>{NAME}),\s+(?!I\b)", re.IGNORECASE)


def name_speakers(sentences: list[Sentence]) -> list[Sentence]:
    """The sentences with each id-only speaker renamed, where a name can be told."""
    generic: set[str | None] = {s.speaker for s in sentences if s.speaker and GENERIC_SPEAKER.match(s.speaker)}
    if not generic:
        return sentences
    names = _self_named(sentences, generic)
    for speaker, name in _addressed(sentences, generic - set(names)).items():
        if name not in names.values() and not any(n.split()[0] == name for n in names.values()):
            names[speaker] = name
    if not names:
        return sentences
    return [replace(s, speaker=names[s.speaker]) if s.speaker in names else s for s in sentences]


def _self_named(sentences: list[Sentence], generic: set[str | None]) -> dict[str, str]:
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        if sentence.speaker not in generic or sentence.speaker is None:
            continue
        for pattern in _SELF:
            match = pattern.search(sentence.text)
            if match and match.group("name").split()[0] not in NOT_NAMES:
                votes[sentence.speaker][match.group("name")] += 1
                break
    return _winners(votes)


def _addressed(sentences: list[Sentence], generic: set[str | None]) -> dict[str, str]:
    """A turn that opens by naming someone, answered next by another id-only speaker: a vote for that name."""
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    turns: list[list[Sentence]] = []
    for sentence in sentences:
        if not turns or turns[-1][0].turn != sentence.turn:
            turns.append([])
        turns[-1].append(sentence)
    for asked, answer in zip(turns, turns[1:], strict=False):
        matches = [m for m in (_ADDRESS.match(s.text) for s in asked) if m]
        speaker = answer[0].speaker
        if (matches and speaker in generic and speaker and speaker != asked[0].speaker
                and matches[-1].group("name").split()[0] not in NOT_NAMES):
            votes[speaker][matches[-1].group("name")] += 1
    return _winners(votes)


def _winners(votes: defaultdict[str, Counter[str]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for speaker, counter in votes.items():
        (best, n), *rest = counter.most_common()
        if not rest or rest[0][1] < n:
            names[speaker] = best
    taken = Counter(names.values())
    return {speaker: name for speaker, name in names.items() if taken[name] == 1}
