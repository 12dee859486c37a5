"""The values a roll-up gives each CRM field, as text the ledger stores and compares.

An element is its status word first, then the summary, then the best quote with its speaker and call
date; the economic buyer and champion fields name the person the deal gives that role (with their title
and functional role), as the stakeholder map and the CSV do. The score counts identified as 1 and partial as 0.5 (0 to 8). Warnings are their codes and texts,
one a line (empty when none: the field is cleared). A deal no call of which was analysed gives nothing:
ASMIS never writes a placeholder."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.crm.fields import CrmField
from lib.deals.models import DealElement, DealRollup, DealStakeholder

ELLIPSIS = "…"


def deal_values(rollup: DealRollup, fields: list[CrmField], now: datetime) -> dict[str, str]:
    """Field name -> value; `{}` for a deal with no analysed call."""
    if not any(call.analysed for call in rollup.timeline):
        return {}
    values: dict[str, str] = {}
    for field in fields:
        if field.key in rollup.elements:
            value = element_text(rollup, rollup.elements[field.key], field.key)
        elif field.key == "score":
            value = number_text(score(rollup))
        elif field.key == "warnings":
            value = "\n".join(f"{w.code}: {w.message}" for w in rollup.warnings)
        else:
            value = datetime_text(now)
        values[field.name] = cut(value, field.length) if field.kind == "text" else value
    return values


def score(rollup: DealRollup) -> float:
    return sum({"identified": 1.0, "partial": 0.5}.get(e.status, 0.0) for e in rollup.elements.values())


def element_text(rollup: DealRollup, element: DealElement, key: str = "") -> str:
    text = f"{element.status}: {element.summary}"
    if element.evidence:
        best = element.evidence[0]
        dates = {c.transcript_id: c.occurred_at for c in rollup.timeline}
        when = dates.get(best.transcript_id)
        said = ", ".join(part for part in (best.speaker, f"{when:%Y-%m-%d}" if when else None) if part)
        text += f"\n“{best.quote}”" + (f" ({said})" if said else "")
    holders = [p for p in rollup.stakeholders if p.side == "buyer" and p.role == key]
    if holders:
        text += f"\n{key.replace('_', ' ')}: " + "; ".join(person_text(p) for p in holders)
    return text


def person_text(person: DealStakeholder) -> str:
    """'Rob Chen (Director of Customer Onboarding; user)'."""
    about = [part for part in (person.title, person.functional_role.replace("_", " ")) if part and part != "unknown"]
    return person.name + (f" ({'; '.join(about)})" if about else "")


def cut(value: str, length: int | None) -> str:
    """At most `length` characters, the last an ellipsis when something was cut."""
    if length is None or len(value) <= length:
        return value
    return value[:max(length - 1, 0)] + ELLIPSIS


def number_text(value: float) -> str:
    return f"{value:g}"


def datetime_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise(value: object, kind: str) -> str:
    """A CRM's value as the ledger writes values: '' for empty; numbers as %g; datetimes in UTC to the
    second (Salesforce answers 2026-01-02T03:04:05.000+0000 for what we sent as ...05Z); text with its
    newlines as \\n and no trailing blanks (a text area may hand back \\r\\n)."""
    if value is None or value == "":
        return ""
    if kind == "number":
        try:
            return number_text(float(str(value)))
        except ValueError:
            return str(value)
    if kind == "datetime":
        text = str(value)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return datetime_text(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return str(value).replace("\r\n", "\n").rstrip()
