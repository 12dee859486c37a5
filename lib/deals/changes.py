"""What a refresh changed in a deal's roll-up: element statuses, calls, stakeholders and warnings."""

from __future__ import annotations

from lib.deals.models import DealRollup
from lib.deals.people import resolve_people
from lib.words import count


def element_changes(before: DealRollup | None, after: DealRollup) -> dict[str, str]:
    """Element -> 'old -> new' for each element whose deal status moved."""
    if before is None:
        return {}
    return {name: f"{before.elements[name].status} → {element.status}"
            for name, element in after.elements.items()
            if name in before.elements and before.elements[name].status != element.status}


def what_changed(before: DealRollup | None, after: DealRollup) -> list[str]:
    """Short lines, newest facts first; empty when nothing a reader would notice moved."""
    if before is None:
        return [f"new deal: {count(after.calls, 'call')}, {after.identified()}/8 elements identified"]
    lines = []
    if after.calls != before.calls:
        lines.append(f"calls {before.calls} → {after.calls}")
    lines += [f"{name.replace('_', ' ')}: {move}" for name, move in element_changes(before, after).items()]
    # Names are matched as the roll-up matches them: "Helen" last time and "Helen Cho" now is one person.
    identities = resolve_people((p.side, p.name) for p in [*before.stakeholders, *after.stakeholders])
    known = {identities[(p.side, p.name)] for p in before.stakeholders}
    added = [p.name for p in after.stakeholders if identities[(p.side, p.name)] not in known]
    if added:
        lines.append("new stakeholder(s): " + ", ".join(added))
    old_codes = {w.code for w in before.warnings}
    new_codes = {w.code for w in after.warnings}
    lines += [f"new warning: {code}" for code in sorted(new_codes - old_codes)]
    lines += [f"warning cleared: {code}" for code in sorted(old_codes - new_codes)]
    return lines
