"""What the push needs of a CRM, whichever it is: read records, write changed fields, check the fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from lib.crm.fields import CrmField


@dataclass
class RecordState:
    """A record as the CRM holds it: field -> value, and who set each, when the CRM says."""

    values: dict[str, object] = field(default_factory=dict)
    set_by: dict[str, str] = field(default_factory=dict)


class CrmClient(Protocol):
    name: str
    record_id_form: str  # what its record ids look like, for the deals whose ids cannot be one

    def reach(self) -> None:
        """One authenticated request, once per client: CrmAuthError / CrmUnavailable / CrmError when the CRM
        cannot be talked to, so a push never reports on records it never asked about."""

    def is_record_id(self, record_id: str) -> bool:
        """Whether `record_id` can be a record id of this CRM at all (HubSpot: a number)."""

    def read(self, record_ids: list[str], fields: list[CrmField]) -> dict[str, RecordState | None]:
        """record id -> its state, or None for a record the CRM does not know."""

    def write(self, updates: Mapping[str, Mapping[str, str]], fields: list[CrmField]) -> dict[str, str | None]:
        """Write each record's fields; record id -> None when written, else the CRM's error."""

    def field_lengths(self, fields: list[CrmField]) -> dict[str, int]:
        """Text field name -> the most characters the CRM keeps."""

    def check(self, fields: list[CrmField]) -> list[str]:
        """What is missing or wrong among the fields; empty when all is ready."""

    def create(self, fields: list[CrmField]) -> list[str]:
        """Create what is missing; the names created."""
