"""What the roll-up reads: a deal's calls, oldest first, each with its newest completed results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.settings import Settings


@dataclass(frozen=True)
class DealCall:
    transcript_id: int
    occurred_at: datetime
    title: str | None
    format: str
    meddpic: dict[str, Any] | None = None  # MeddpicAnalysis as stored, or None before it is analysed
    stakeholders: dict[str, Any] | None = None  # StakeholderMap as stored
    result_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class DealRules:
    """The thresholds behind the warnings; ASMIS_DEAL_* settings."""

    economic_buyer_calls: int = 2
    champion_calls: int = 2
    paper_process_calls: int = 3
    stale_days: int = 21
    evidence_quotes: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> DealRules:
        return cls(economic_buyer_calls=settings.deal_economic_buyer_calls,
                   champion_calls=settings.deal_champion_calls,
                   paper_process_calls=settings.deal_paper_process_calls,
                   stale_days=settings.deal_stale_days, evidence_quotes=settings.deal_evidence_quotes)


def chronological(calls: list[DealCall]) -> list[DealCall]:
    return sorted(calls, key=lambda c: (c.occurred_at, c.transcript_id))


def call_label(call: DealCall) -> str:
    return f"#{call.transcript_id} ({call.occurred_at:%Y-%m-%d})"
