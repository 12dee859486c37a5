"""A row per deal for a CRM import: Salesforce and HubSpot map each column onto a custom field (the
README has the mapping). Every value comes from the roll-up, so the same roll-up exports the same row.
Values are plain: dates as YYYY-MM-DD, lists joined with '; '. A cell a spreadsheet would run as a
formula (starting with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, as
OWASP's CSV-injection advice has it: text a customer said on a call must never execute in Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.deals.models import DealRollup, StoredDeal

COLUMNS: tuple[str, ...] = (
    "deal_id", "calls", "first_call_at", "last_call_at", "elements_identified",
    *MEDDPIC_ELEMENTS, "economic_buyer_name", "champion_name", "warnings", "next_question",
)


def csv_row(deal: StoredDeal) -> dict[str, str]:
    r = deal.rollup
    row = {"deal_id": r.deal_id, "calls": str(r.calls),
           "first_call_at": f"{r.first_call_at:%Y-%m-%d}" if r.first_call_at else "",
           "last_call_at": f"{r.last_call_at:%Y-%m-%d}" if r.last_call_at else "",
           "elements_identified": str(r.identified())}
    row |= {name: r.elements[name].status for name in MEDDPIC_ELEMENTS}
    row |= {"economic_buyer_name": _people(r, "economic_buyer"), "champion_name": _people(r, "champion"),
            "warnings": "; ".join(w.code for w in r.warnings),
            "next_question": (f"{r.next_questions[0].element}: {r.next_questions[0].question}"
                              if r.next_questions else "")}
    return row


def _people(rollup: DealRollup, role: str) -> str:
    return "; ".join(p.name for p in rollup.stakeholders if p.side == "buyer" and p.role == role)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(deals: Iterable[StoredDeal], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for deal in deals:
        writer.writerow({k: spreadsheet_safe(v) for k, v in csv_row(deal).items()})
        count += 1
    return count
