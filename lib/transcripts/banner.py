"""A banner of `Key: value` lines above the dialogue, whatever its keys:

    ===========================================
    DISCOVERY CALL                                (a bare line or a heading: the title)
    Industry: Logistics     Call Type: Discovery  (any key: kept in metadata.header)
    **Call Date:** 2025-02-10                     (a date key: the call's date)
    **Attendees:** Sarah Chen (VP Sales, Nextera Health), David Park (AE, SixtySixTen)
    Rep: Priya Nair                               (a role key: that person, on that side)
    Prospect: Tom Gallagher, Head of Talent Acquisition, Breck Financial Services
    ===========================================

A run of such lines at the top is a header, not speakers, when its keys are all different and none of
them speaks again below it (or a rule closes it). Known keys are used: the date (`Date`, `Call Date`,
`Meeting Date`), the people (`Attendees`, `Participants`, `Rep`, `AE`, `Prospect`, `Customer`, ...),
title, company, call id, deal, duration and outcome; every key lands in `metadata.header`. A banner of
keys `header.py` already knows is left to it, so files it read keep their meaning.
"""

from __future__ import annotations

import re
from typing import Any

from lib.transcripts.header import Header, read_header
from lib.transcripts.models import BadTranscript
from lib.transcripts.people import Participant, parse_participant

FIELD = re.compile(r"^[ \t]{0,4}(?:[-*+•][ \t]{1,4})?(?P<open>\*\*|__)?[ \t]{0,2}(?P<key>[A-Za-z][\w &/.'()-]{0,40}?)"
                   r"[ \t]{0,2}(?:(?P=open)[ \t]{0,2}:|:[ \t]{0,2}(?P=open)|:)(?:[ \t]+(?P<value>.*)|[ \t]*)$")
_RULE = re.compile(r"^\s*(?:[-=*_~#]\s*){3,}$")
_HEADING = re.compile(r"^\s*#{1,6}\s+\S")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+\S")
_LIMIT = 40  # lines a banner may take
DATE_KEYS = frozenset({"date", "call date", "meeting date", "date of call", "call_date", "recorded", "recorded on",
                       "date & time", "date and time", "when", "occurred at"})
PEOPLE_KEYS = frozenset({"attendees", "participants", "present", "people", "on the call", "call participants"})
_SELLER_KEYS = frozenset({"rep", "sales rep", "ae", "account executive", "seller", "host", "sdr", "bdr", "se",
                          "csm", "account manager", "sales engineer", "solutions engineer", "vendor", "interviewer"})
_BUYER_KEYS = frozenset({"prospect", "customer", "client", "buyer", "contact", "guest", "champion",
                         "prospect contact", "customer contact"})
_PLAIN = {"title": "title", "call title": "title", "subject": "title", "meeting": "title", "topic": "title",
          "company": "company", "account": "company", "prospect company": "company", "customer company": "company",
          "call id": "call_id", "meeting id": "call_id", "deal": "deal_id", "deal id": "deal_id",
          "opportunity": "deal_id", "duration": "duration", "length": "duration", "outcome": "outcome",
          "time": "time"}
_KNOWN_TO_HEADER = frozenset({"title", "subject", "meeting", "call", "topic", "call id", "meeting id", "deal",
                              "deal id", "opportunity", "date", "occurred at", "when", "recorded", "time",
                              "participants", "attendees", "duration", "company", "account", "location"})


def read_top(lines: list[str], warnings: list[str], *, markdown: bool = False) -> Header:
    """`read_header`, after taking off a banner of arbitrary keys when there is one."""
    front_matter = bool(lines) and lines[0].strip() == "---"  # YAML front matter is read_header's
    end, fields, title = (0, [], None) if front_matter else banner(lines)
    if end == 0:
        return read_header(lines, warnings, markdown=markdown)
    synthesized: list[str] = []
    extra: dict[str, Any] = {}
    people: list[Participant] = []
    raw: dict[str, str] = {}
    for key, value in fields:
        folded = key.casefold().strip()
        raw[key.strip()] = value
        if folded in DATE_KEYS and value:
            synthesized.append(f"Date: {value}")
        elif folded in PEOPLE_KEYS:
            synthesized.append(f"Participants: {value}")
        elif folded in _SELLER_KEYS or folded in _BUYER_KEYS:
            person = parse_participant(value, tag="seller" if folded in _SELLER_KEYS else "buyer")
            if person:
                people.append(person)
        elif _PLAIN.get(folded) in ("title", "call_id", "deal_id", "time"):
            synthesized.append(f"{_PLAIN[folded].replace('_', ' ').title()}: {value}")
        elif folded in _PLAIN:
            extra[_PLAIN[folded]] = value
    header = read_header([*_participant_lines(synthesized), *lines[end:]], warnings, markdown=False)
    if title and "title" not in header.metadata:
        header.metadata["title"] = title
    header.metadata.update({k: v for k, v in extra.items() if v and k not in header.metadata})
    header.metadata["header"] = raw
    named = {p.name.casefold() for p in header.participants}
    header.participants += [p for p in people if p.name.casefold() not in named]
    return header


def _participant_lines(lines: list[str]) -> list[str]:
    """`Participants:` values, joined into one line `read_header` reads (several keys may list people)."""
    people = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Participants:")]
    others = [line for line in lines if not line.startswith("Participants:")]
    return [*others, *([f"Participants: {', '.join(p for p in people if p)}"] if any(people) else [])]


def banner(lines: list[str]) -> tuple[int, list[tuple[str, str]], str | None]:
    """(lines the banner takes, its fields, a title line), or (0, [], None) when the top is no banner
    of keys `header.py` does not know already."""
    fields: list[tuple[str, str]] = []
    title = None
    end = closed = 0
    index = 0
    pending: tuple[str, list[str]] | None = None  # a key with its value in the list items below it
    while index < min(len(lines), _LIMIT):
        line = lines[index].strip()
        index += 1
        if not line:
            continue
        if _RULE.match(line):
            if fields or pending:
                if pending:
                    fields.append((pending[0], ", ".join(pending[1])))
                    pending = None
                end = closed = index
                break
            continue
        if pending and _ITEM.match(line):
            pending[1].append(re.sub(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", "", line))
            end = index
            continue
        if pending:
            fields.append((pending[0], ", ".join(pending[1])))
            pending = None
        match = FIELD.match(line)
        if match and not any(k.casefold() == match["key"].strip().casefold() for k, _ in fields):
            value = _plain(match["value"] or "")
            if value:
                fields.append((match["key"].strip(), value))
            else:
                pending = (match["key"].strip(), [])
            end = index
            continue
        if not fields and title is None and (_HEADING.match(line) or len(line) <= 80) and not match:
            title = _plain(line.lstrip("#").strip())
            continue
        break
    if pending:
        fields.append((pending[0], ", ".join(pending[1])))
    if len(fields) < (1 if closed else 2) or all(key.casefold() in _KNOWN_TO_HEADER for key, _ in fields):
        return 0, [], None
    if not closed and _speaks_below([key for key, _ in fields], lines[end:]):
        return 0, [], None
    if not any(FIELD.match(line.strip()) for line in lines[end:]):
        return 0, [], None  # nothing below that reads as a label: this was the dialogue
    return end, fields, title


def _speaks_below(keys: list[str], below: list[str]) -> bool:
    folded = {key.casefold() for key in keys}
    for line in below:
        match = FIELD.match(re.sub(r"^\s*[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*", "", line.strip()))
        if match and match["key"].strip().casefold() in folded:
            return True
    return False


def _plain(text: str) -> str:
    return re.sub(r"(\*\*|__|`)", "", text).strip().strip("\"'").strip()


def second_call(lines: list[str], first_line: int) -> None:
    """Refuse a file holding several calls: a date or attendees line below the dialogue's first turns,
    with more dialogue after it. `first_line` numbers `lines[0]` in the file."""
    seen_turn = False
    for index, line in enumerate(lines):
        match = None if _ITEM.match(line) else FIELD.match(line.strip())
        if not match:
            continue
        key = match["key"].strip().casefold()
        if seen_turn and (key in DATE_KEYS or key in PEOPLE_KEYS) and _dialogue_after(lines[index + 1:], key):
            raise BadTranscript(f"holds more than one call: a second header ({match['key'].strip()!r} at line "
                                f"{first_line + index}) after the first call's dialogue; split it, one call per file")
        seen_turn = seen_turn or key not in DATE_KEYS | PEOPLE_KEYS
    return None


def _dialogue_after(lines: list[str], key: str) -> bool:
    keys = [m["key"].strip().casefold() for line in lines[:400] if (m := FIELD.match(line.strip()))]
    talk = [k for k in keys if k not in DATE_KEYS | PEOPLE_KEYS | _PLAIN.keys()]
    return len(talk) >= 2 and key not in talk
