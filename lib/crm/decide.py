"""The push decision for one CRM record: which fields to write, which are unchanged, which are a person's.

A field is ASMIS's to write when it is empty, or still holds a value the ledger says ASMIS wrote there
(the last confirmed write, or an intent recorded after it: a push killed between its write and its
confirmation leaves one). Any other value is a person's: it is left alone and reported as a conflict,
unless an admin names the field with --overwrite. The update-time field is written only along with
another field, so a push that changes nothing writes nothing."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from lib.crm.fields import CrmField
from lib.crm.values import normalise


@dataclass(frozen=True)
class Conflict:
    field: str
    crm_value: str
    asmis_value: str
    set_by: str | None = None  # who the CRM says set it, when it says (HubSpot's property history)


@dataclass
class RecordPlan:
    writes: dict[str, str] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def plan_record(fields: list[CrmField], desired: Mapping[str, str], current: Mapping[str, object],
                ours: Mapping[str, Collection[str]], overwrite: Collection[str] = (),
                set_by: Mapping[str, str] | None = None) -> RecordPlan:
    """`desired`: field -> value; `current`: the record as the CRM holds it; `ours`: field -> the
    (normalised) values ASMIS may have left there; `overwrite`: field names or keys an admin takes back."""
    plan = RecordPlan()
    stamp = None
    for f in fields:
        if f.name not in desired:
            continue
        want = desired[f.name]
        have = normalise(current.get(f.name), f.kind)
        if f.key == "updated_at":
            stamp = f
            continue
        if normalise(want, f.kind) == have:
            plan.unchanged.append(f.name)
        elif not have or have in ours.get(f.name, ()) or f.name in overwrite or f.key in overwrite:
            plan.writes[f.name] = want
        else:
            plan.conflicts.append(Conflict(f.name, have, want, (set_by or {}).get(f.name)))
    if stamp is not None and plan.writes:
        have = normalise(current.get(stamp.name), stamp.kind)
        if not have or have in ours.get(stamp.name, ()) or stamp.name in overwrite or stamp.key in overwrite:
            plan.writes[stamp.name] = desired[stamp.name]
        else:
            plan.conflicts.append(Conflict(stamp.name, have, desired[stamp.name], (set_by or {}).get(stamp.name)))
    return plan
