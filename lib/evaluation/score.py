"""Scores per label. Every label counts true positives, false positives and false negatives over the
calls that carry it, and names what each call missed. What counts (README, Evaluation):

- economic_buyer, champion: a labelled person of that role is found when the stakeholder map gives
  them that role, or the MEDDPICC element (not missing) names them; a person the map gives that role
  who is not labelled so is a false positive.
- people: every labelled person found in the stakeholder map; map people nobody labelled are false
  positives.
- competitors: a labelled competitor named in the competition element (not missing); a proper name in
  its summary that is neither labelled nor a person is a false positive.
- metrics: a labelled figure (compared by value: "18%" is "eighteen percent") in the metrics element
  (not missing); a metrics element on a call labelled with no figures is one false positive.
- status.<element>: identified and partial count as present; accuracy and a confusion table compare
  the three statuses exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lib.agents.grounding import normalise
from lib.agents.schemas import MEDDPIC_ELEMENTS, ElementStatus, MeddpicElement, StakeholderMap
from lib.evaluation.labels import CallLabels, PersonLabel
from lib.evaluation.names import Named, mentions, names_match, person_matches
from lib.evaluation.scratch import CallRun
from lib.llm.offline.quantities import find_quantities

ROLE_LABELS = ("economic_buyer", "champion")
STATUSES: tuple[ElementStatus, ...] = ("identified", "partial", "missing")


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[dict[str, str]] = field(default_factory=list)  # {"call", "item"}: labelled, not found
    extra: list[dict[str, str]] = field(default_factory=list)  # {"call", "item"}: found, not labelled
    calls: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # per call (tp, fp, fn)
    confusion: dict[str, dict[str, int]] | None = None  # status labels: labelled -> predicted -> calls

    def add(self, call: str, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn
        old = self.calls.get(call, (0, 0, 0))
        self.calls[call] = (old[0] + tp, old[1] + fp, old[2] + fn)

    @property
    def support(self) -> int:
        return self.tp + self.fp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float | None:
        if self.confusion is None:
            return None
        total = sum(n for row in self.confusion.values() for n in row.values())
        right = sum(self.confusion.get(s, {}).get(s, 0) for s in STATUSES)
        return right / total if total else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "calls": len(self.calls),
            "missed": self.missed, "false_positives": self.extra,
        }
        if self.confusion is not None:
            out["accuracy"] = None if self.accuracy is None else round(self.accuracy, 4)
            out["confusion"] = self.confusion
        return out


def label_names() -> list[str]:
    return [*ROLE_LABELS, "people", "competitors", "metrics", *(f"status.{e}" for e in MEDDPIC_ELEMENTS)]


def score_calls(runs: list[CallRun], labels: dict[str, CallLabels]) -> dict[str, LabelScore]:
    scores = {name: LabelScore() for name in label_names()}
    for name in (f"status.{e}" for e in MEDDPIC_ELEMENTS):
        scores[name].confusion = {s: dict.fromkeys(STATUSES, 0) for s in STATUSES}
    for run in runs:
        score_call(run, labels[run.file], scores)
    return scores


def score_call(run: CallRun, label: CallLabels, scores: dict[str, LabelScore]) -> None:
    people = _named(run.stakeholders)
    elements: dict[str, MeddpicElement] = {k: v for k, v in run.meddpic.elements().items()} if run.meddpic else {}
    carried = [*(("people", *ROLE_LABELS) if label.people is not None else ()),
               *(("competitors",) if label.competitors is not None else ()),
               *(("metrics",) if label.metrics is not None else ())]
    for name in carried:
        scores[name].calls.setdefault(run.file, (0, 0, 0))
    if label.people is not None:
        _score_people(run.file, label.people, people, scores["people"])
        for role in ROLE_LABELS:
            _score_role(run.file, role, label.people, run.stakeholders, elements.get(role), scores[role])
    if label.competitors is not None:
        _score_competitors(run.file, label.competitors, elements.get("competition"), people, label.people or [],
                           scores["competitors"])
    if label.metrics is not None:
        _score_metrics(run.file, label.metrics, elements.get("metrics"), scores["metrics"])
    for name, wanted in (label.meddpicc or {}).items():
        got = elements[name].status if name in elements else "missing"
        _score_status(run.file, wanted, got, scores[f"status.{name}"])


def _named(stakeholders: StakeholderMap | None) -> list[Named]:
    return [Named(p.name, p.title) for p in stakeholders.people] if stakeholders else []


def _score_people(call: str, labelled: list[PersonLabel], people: list[Named], score: LabelScore) -> None:
    left = list(people)
    for person in labelled:
        match = next((p for p in left if person_matches(person.name, p, person.title)), None)
        if match is None:
            score.add(call, 0, 0, 1)
            score.missed.append({"call": call, "item": person.name})
        else:
            left.remove(match)
            score.add(call, 1, 0, 0)
    for extra in left:
        if any(person_matches(p.name, extra, p.title) for p in labelled):
            continue  # a second mention of someone labelled (a lone first name beside the full one)
        score.add(call, 0, 1, 0)
        score.extra.append({"call": call, "item": extra.name})


def _score_role(call: str, role: str, labelled: list[PersonLabel], stakeholders: StakeholderMap | None,
                element: MeddpicElement | None, score: LabelScore) -> None:
    wanted = [p for p in labelled if p.role == role]
    given = [Named(s.name, s.title) for s in (stakeholders.people if stakeholders else []) if s.role == role]
    text = _element_text(element, quotes=False)
    for person in wanted:
        found = any(person_matches(person.name, p, person.title) for p in given) or (
            bool(text) and mentions(text, person.name))
        score.add(call, int(found), 0, int(not found))
        if not found:
            score.missed.append({"call": call, "item": person.name})
    for named in given:
        if not any(person_matches(w.name, named, w.title) for w in wanted):
            score.add(call, 0, 1, 0)
            score.extra.append({"call": call, "item": named.name})


def _element_text(element: MeddpicElement | None, quotes: bool = True) -> str:
    if element is None or element.status == "missing":
        return ""
    parts = [element.summary, *(e.quote for e in element.evidence)] if quotes else [element.summary]
    return "\n".join(parts)


def _score_competitors(call: str, labelled: list[str], element: MeddpicElement | None, people: list[Named],
                       labelled_people: list[PersonLabel], score: LabelScore) -> None:
    text = f" {normalise(_element_text(element))} "
    for name in labelled:
        found = f" {normalise(_strip_article(name))} " in text
        score.add(call, int(found), 0, int(not found))
        if not found:
            score.missed.append({"call": call, "item": name})
    known = [*labelled, *(p.name for p in people), *(p.name for p in labelled_people)]
    for proper in proper_names(element.summary if element and element.status != "missing" else ""):
        if not any(_overlaps(proper, k) for k in known):
            score.add(call, 0, 1, 0)
            score.extra.append({"call": call, "item": proper})


_PROPER = re.compile(r"\b[A-Z][\w&.+-]*[\w+](?:\s+[A-Z][\w&.+-]*[\w+])*")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_NOT_NAMES = frozenset({"i", "we", "they", "our", "their", "the", "crm", "ceo", "cfo", "cto", "cio", "coo", "vp",
                        "it", "ai", "api", "saas", "excel", "spreadsheets"})


def proper_names(summary: str) -> list[str]:
    """Capitalised runs in a summary, each sentence's first word left out (it is capitalised anyway)."""
    found: list[str] = []
    for sentence in _SENTENCE.split(summary):
        words = sentence.split(maxsplit=1)
        for match in _PROPER.finditer(words[1] if len(words) > 1 else ""):
            if match.group().casefold() not in _NOT_NAMES and match.group() not in found:
                found.append(match.group())
    return found


def _overlaps(proper: str, known: str) -> bool:
    a, b = set(normalise(proper).split()), set(normalise(known).split())
    return bool(a & b) or names_match(proper, known)


def _strip_article(text: str) -> str:
    return re.sub(r"^(?:the|an?|their|our)\s+", "", text.strip(), flags=re.IGNORECASE)


def _score_metrics(call: str, labelled: list[str], element: MeddpicElement | None, score: LabelScore) -> None:
    text = _element_text(element)
    values = {q.key for q in find_quantities(text)}
    plain = f" {normalise(text)} "
    for figure in labelled:
        keys = {q.key for q in find_quantities(figure)}
        found = bool(keys & values) or f" {normalise(figure)} " in plain
        score.add(call, int(found), 0, int(not found))
        if not found:
            score.missed.append({"call": call, "item": figure})
    if not labelled and text:
        score.add(call, 0, 1, 0)
        score.extra.append({"call": call, "item": "a metrics element on a call with no figures"})


def _score_status(call: str, wanted: ElementStatus, got: ElementStatus, score: LabelScore) -> None:
    assert score.confusion is not None
    score.confusion[wanted][got] += 1
    present, said = wanted != "missing", got != "missing"
    score.add(call, int(present and said), int(said and not present), int(present and not said))
    if wanted != got:
        score.missed.append({"call": call, "item": f"{wanted}, got {got}"})
