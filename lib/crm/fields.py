"""Which roll-up value goes to which CRM field: the defaults per CRM, and a mapping file
(ASMIS_CRM_MAPPING, JSON) that renames fields or leaves some out:

    {"metrics": "Metrics_Notes__c", "warnings": null}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.errors import ConfigError

CrmName = Literal["salesforce", "hubspot"]
FieldKind = Literal["text", "number", "datetime"]
KEYS: tuple[str, ...] = (*MEDDPIC_ELEMENTS, "score", "warnings", "updated_at")
# What an admin creates: long text fields of this length (Salesforce's Long Text Area default).
TEXT_LENGTH = 32768
HUBSPOT_TEXT_LENGTH = 65536  # HubSpot's limit for a string property value


@dataclass(frozen=True)
class CrmField:
    key: str  # metrics ... competition, score, warnings, updated_at
    name: str  # the CRM's API name
    kind: FieldKind
    label: str
    length: int | None = None  # characters, for text


def _kind(key: str) -> FieldKind:
    return "number" if key == "score" else "datetime" if key == "updated_at" else "text"


def _label(key: str) -> str:
    return "MEDDPICC " + key.replace("_", " ").title().replace("At", "at")


def _salesforce_name(key: str) -> str:
    return "MEDDPICC_" + "_".join(w.capitalize() for w in key.split("_")) + "__c"


def default_fields(crm: CrmName) -> list[CrmField]:
    fields = []
    for key in KEYS:
        name = _salesforce_name(key) if crm == "salesforce" else f"meddpicc_{key}"
        length = (TEXT_LENGTH if crm == "salesforce" else HUBSPOT_TEXT_LENGTH) if _kind(key) == "text" else None
        fields.append(CrmField(key=key, name=name, kind=_kind(key), label=_label(key), length=length))
    return fields


def load_fields(crm: CrmName, mapping: Path | None) -> list[CrmField]:
    """The defaults, with the mapping file's renames applied and its null entries left out."""
    fields = default_fields(crm)
    if mapping is None:
        return fields
    try:
        overrides = json.loads(mapping.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"ASMIS_CRM_MAPPING {mapping}: cannot read a JSON object: {exc}") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"ASMIS_CRM_MAPPING {mapping}: must be a JSON object of key -> field name")
    unknown = sorted(set(overrides) - set(KEYS))
    if unknown:
        raise ConfigError(f"ASMIS_CRM_MAPPING {mapping}: unknown key(s) {', '.join(unknown)}; "
                          f"known: {', '.join(KEYS)}")
    bad = sorted(k for k, v in overrides.items() if v is not None and (not isinstance(v, str) or not v.strip()))
    if bad:
        raise ConfigError(f"ASMIS_CRM_MAPPING {mapping}: {', '.join(bad)} must be a field name or null")
    return [replace(f, name=overrides[f.key]) if overrides.get(f.key) else f
            for f in fields if f.key not in overrides or overrides[f.key] is not None]
