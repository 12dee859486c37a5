"""Speaker labels as people write them, read by one grammar rather than a list of cases:

    [00:21] Prospect (Dan Wu – Finance VP): ...     a time, a role, then the person and their title
    (00:21) AE (Sarah): ...   00:21 - Dan: ...      the time in brackets, parentheses or before a dash
    Dan Wu (Finance VP, Kestrel): ...               a name and a title (and company) in parentheses
    Dan Wu, Finance VP: ...   Dan Wu – CFO: ...     a title after a comma or a dash
    Prospective (Raghav): ...                       a misspelt role still gives the name inside it

The person is the name when there is one, the role gives the side (`people.role_side`), the title is
kept. Lines the plain `Name: text` rule already reads (`turns.split_speaker`) are left alone, so what
parsed before parses the same; these are the labels it missed. A later bare `AE:` is the person an
earlier `AE (Sarah Kim):` named when the call has one AE (`resolve_roles`).

Every pattern is bounded: a label is at most 80 characters before its colon.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from lib.transcripts.models import Turn
from lib.transcripts.people import Participant, parse_participant, role_side
from lib.transcripts.turns import looks_like_name, split_speaker

_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LABEL = re.compile(
    rf"^[ \t]{{0,8}}(?:(?P<stamp>[\[(]{_CLOCK}[\])]|{_CLOCK})[ \t]{{0,4}}(?:[-–—|][ \t]{{0,4}})?)?"
    rf"(?P<label>[^\W\d_][^:\n]{{0,80}}?)[ \t]{{0,4}}(?:[\[(](?P<stamp2>{_CLOCK})[\])][ \t]{{0,4}})?[:：](?:[ \t]+|$)"
    r"(?P<text>.*)$")
_INNER = re.compile(r"^(?P<outer>[^()\[\]]{1,60}?)[ \t]{0,4}[(\[](?P<inner>[^()\[\]]{1,80})[)\]]$")
_DASH = re.compile(r"[ \t]{0,4}[–—][ \t]{0,4}|[ \t]{1,4}-[ \t]{1,4}|[ \t]{0,4}\|[ \t]{0,4}")
ROLES = ("ae", "se", "sdr", "bdr", "csm", "am", "rep", "sales rep", "sales", "seller", "vendor", "account executive",
         "sales engineer", "solutions engineer", "account manager", "host", "prospect", "customer", "client",
         "buyer", "lead", "interviewer")
_SIDE_OF = {"host": "seller", "solutions engineer": "seller", "interviewer": "seller", "lead": "buyer"}


@dataclass(frozen=True)
class Label:
    person: str
    role: str | None = None
    name: str | None = None
    title: str | None = None


@dataclass
class Labels:
    """What the labels of one call said about its people, in the order they first spoke."""

    found: dict[str, Label] = field(default_factory=dict)

    def add(self, label: Label) -> None:
        known = self.found.get(label.person)
        if known is None or (label.title and not known.title) or (label.role and not known.role):
            self.found[label.person] = Label(label.person, label.role or (known.role if known else None),
                                             label.name, label.title or (known.title if known else None))

    def participants(self) -> list[Participant]:
        people = []
        for label in self.found.values():
            if not label.name or not (label.role or label.title):  # a bare name adds nothing to the header's list
                continue
            described = parse_participant(f"{label.name} ({label.title})" if label.title else label.name)
            person = described or Participant(name=label.name)
            people.append(Participant(name=person.name, title=person.title, company=person.company,
                                      tag=side_of_role(label.role)))
        return people


def side_of_role(role: str | None) -> str | None:
    if not role:
        return None
    return role_side(role) or _SIDE_OF.get(role.casefold())


def read_label(line: str) -> tuple[int | None, Label, str] | None:
    """(start ms, label, text) for a line the plain rule does not read as a label but this grammar does."""
    match = _LABEL.match(line)
    if not match:
        return None
    label = parse_label(match["label"].strip().strip("*_ ").strip())
    if label is None:
        return None
    stamp = match["stamp"] or match["stamp2"]
    return (clock_ms(stamp) if stamp else None), label, match["text"]


def parse_label(text: str) -> Label | None:
    """`Prospect (Dan – Finance VP)`, `Dan Wu (CFO)`, `Dan Wu, CFO`, `AE`, `Dan`: the parts, or None for
    text that is not a label."""
    inner = _INNER.match(text)
    if inner:
        return _with_parens(inner["outer"].strip(), inner["inner"].strip())
    role = _role(text)
    if role:
        return Label(person=text, role=role)
    for separator in (",", None):
        parts = text.split(",", 1) if separator else _DASH.split(text, maxsplit=1)
        if len(parts) == 2 and _is_name(parts[0].strip()) and parts[1].strip() and len(parts[1]) <= 60:
            name = parts[0].strip()
            return Label(person=name, name=name, title=parts[1].strip())
    return Label(person=text, name=text) if _is_name(text) else None


def _with_parens(outer: str, inner: str) -> Label | None:
    role = _role(outer) or _misspelt_role(outer)
    if role:
        pieces = _DASH.split(inner, maxsplit=1) if _DASH.search(inner) else inner.split(",", 1)
        name = pieces[0].strip()
        title = pieces[1].strip() if len(pieces) > 1 else None
        if _is_name(name) and not _role(name):
            return Label(person=name, role=role, name=name, title=title)
        return Label(person=outer, role=role, title=inner)  # `AE (Northwind)`: the role, described
    if _is_name(outer) and not re.fullmatch(_CLOCK, inner):
        return Label(person=outer, name=outer, title=inner)
    return None


def _role(text: str) -> str | None:
    folded = " ".join(text.casefold().split())
    if folded in ROLES:
        return folded
    return folded if role_side(text) else None


def _misspelt_role(text: str) -> str | None:
    """`Prospective`, `Custmer`: one word close to a role (only roles of four letters or more)."""
    if " " in text.strip():
        return None
    close = difflib.get_close_matches(text.casefold(), [r for r in ROLES if len(r) >= 4], n=1, cutoff=0.75)
    return close[0] if close else None


def _is_name(text: str) -> bool:
    return 0 < len(text) <= 60 and looks_like_name(text) and not any(ch in text for ch in "()[]:")


def clock_ms(stamp: str) -> int:
    parts = [int(p) for p in re.split(r"[:.,]", stamp.strip("[]()"))[:3]]
    if len(parts) == 2 or (len(parts) == 3 and len(stamp.strip("[]()").split(":")) == 2):
        parts = [0, *parts[:2]]
    hours, minutes, seconds = parts
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


def normalise_lines(lines: list[str], labels: Labels) -> list[str]:
    """Each line the grammar reads (and the plain rule did not) rewritten as `[hh:mm:ss] Person: text`,
    its label recorded; plain `Name:` lines are recorded too, so a later bare first name can resolve."""
    result = []
    for line in lines:
        speaker, _ = split_speaker(_unstamped(line))
        if speaker is not None:
            labels.add(parse_label(speaker) or Label(person=speaker))
            result.append(line)
            continue
        read = read_label(line)
        if read is None:
            result.append(line)
            continue
        start_ms, label, text = read
        labels.add(label)
        stamp = f"[{_clock(start_ms)}] " if start_ms is not None else ""
        result.append(f"{stamp}{label.person}: {text}")
    return result


def _unstamped(line: str) -> str:
    return re.sub(rf"^\s*[\[(]{_CLOCK}[\])]\s*", "", line, count=1)


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def resolve_roles(turns: list[Turn], labels: Labels) -> list[Turn]:
    """A bare role label (`AE:`) becomes the one person an earlier label gave that role; a misspelt or
    role-only label stays as written when the call gave the role to several people or to nobody."""
    by_role: dict[str, set[str]] = {}
    for label in labels.found.values():
        if label.role and label.name:
            by_role.setdefault(label.role, set()).add(label.name)
    rename = {}
    for label in labels.found.values():
        if label.role and not label.name and len(by_role.get(label.role, ())) == 1:
            rename[label.person] = next(iter(by_role[label.role]))
    if not rename:
        return turns
    return [t.model_copy(update={"speaker": rename[t.speaker]}) if t.speaker in rename else t for t in turns]
