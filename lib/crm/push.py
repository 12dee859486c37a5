"""One push: read the records, decide per field from the ledger, record intents, write, confirm.

A dry run goes through the same reads and the same decision and stops before the first write, so it
shows exactly the writes the real run would make."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg

from lib.crm.client import CrmClient
from lib.crm.decide import Conflict, plan_record
from lib.crm.fields import CrmField, load_fields
from lib.crm.ledger import CrmLedger, Intent
from lib.crm.values import deal_values, normalise
from lib.db.connect import db_errors
from lib.deals.models import StoredDeal
from lib.deals.store import DealRepository
from lib.errors import AsmisError, ConfigError
from lib.settings import Settings

logger = logging.getLogger(__name__)
Outcome = Literal["written", "would write", "unchanged", "not found", "not a record id", "not written",
                  "nothing to write"]
# Changed since the last full push that finished, or left unwritten by it (a record the CRM refused).
# The margin takes in a refresh that committed while that push was starting: a deal looked at twice is
# only read twice (a push of an unchanged deal writes nothing), a deal missed would wait for its next change.
_CHANGED_SINCE_PUSH = """
WITH last AS (
    SELECT max(id) AS id, max(started_at) AS at FROM crm_pushes
    WHERE crm = $1 AND full_push AND NOT dry_run AND finished_at IS NOT NULL AND error IS NULL)
SELECT deal_id FROM deals WHERE updated_at > coalesce((SELECT at FROM last) - interval '5 minutes', '-infinity')
UNION
SELECT w.deal_id FROM crm_writes w JOIN deals d ON d.deal_id = w.deal_id
WHERE w.crm = $1 AND w.push_id = (SELECT id FROM last) AND w.state <> 'confirmed'
ORDER BY 1
"""


@dataclass
class DealPush:
    deal_id: str
    record_id: str
    outcome: Outcome
    written: dict[str, str] = field(default_factory=dict)  # field -> value (to be) written
    before: dict[str, str] = field(default_factory=dict)  # field -> what the CRM held before
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    error: str | None = None


@dataclass
class PushReport:
    crm: str
    dry_run: bool
    push_id: int | None
    deals: list[DealPush]

    def count(self, outcome: str) -> int:
        return sum(d.outcome == outcome for d in self.deals)

    @property
    def conflicts(self) -> int:
        return sum(len(d.conflicts) for d in self.deals)

    @property
    def fields_written(self) -> int:
        return sum(len(d.written) for d in self.deals if d.outcome == "written")

    def as_json(self) -> dict[str, Any]:
        return {"crm": self.crm, "dry_run": self.dry_run, "push_id": self.push_id,
                "deals": [asdict(d) for d in self.deals]}


def crm_client(settings: Settings) -> CrmClient:
    if settings.crm == "salesforce":
        from lib.crm.salesforce import SalesforceClient

        return SalesforceClient(settings)
    if settings.crm == "hubspot":
        from lib.crm.hubspot import HubSpotClient

        return HubSpotClient(settings)
    raise ConfigError("no CRM configured: set ASMIS_CRM to salesforce or hubspot")


def crm_fields(settings: Settings) -> list[CrmField]:
    assert settings.crm is not None
    return load_fields(settings.crm, settings.crm_mapping)


async def deals_changed_since_last_push(pool: asyncpg.Pool, crm: str) -> list[str]:
    """The deals whose roll-up row changed after the last completed push (every deal before the first)."""
    with db_errors(operation="deals changed since the last CRM push"):
        return [r["deal_id"] for r in await pool.fetch(_CHANGED_SINCE_PUSH, crm)]


async def push_deals(pool: asyncpg.Pool, settings: Settings, client: CrmClient, deal_ids: list[str] | None, *,
                     dry_run: bool = False, overwrite: Collection[str] = (), now: datetime | None = None,
                     full: bool | None = None) -> PushReport:
    """Push the roll-ups of `deal_ids` (None: every deal). One push per CRM at a time. `full` (default:
    every deal asked) marks the push as the one "changed since the last push" counts from; a push of a few
    named deals must not, or the deals changed before it would never go out."""
    fields = crm_fields(settings)
    unknown = sorted(set(overwrite) - {f.name for f in fields} - {f.key for f in fields})
    if unknown:
        raise ConfigError(f"--overwrite {', '.join(unknown)}: not a mapped field ({', '.join(f.name for f in fields)})")
    repo = DealRepository(pool)
    deals = await (repo.list() if deal_ids is None else repo.get_many(deal_ids))
    missing = sorted(set(deal_ids or []) - {d.deal_id for d in deals})
    if missing:
        raise AsmisError(f"deal {', '.join(missing)}: no such deal (asmis deals --refresh builds roll-ups)")
    async with pool.acquire() as lock:
        await lock.execute("SELECT pg_advisory_lock(hashtext('crm-push:' || $1))", client.name)
        try:
            return await _push(pool, client, fields, deals, dry_run, overwrite, now or datetime.now(UTC),
                               deal_ids is None if full is None else full)
        finally:
            await lock.execute("SELECT pg_advisory_unlock(hashtext('crm-push:' || $1))", client.name)


async def _push(pool: asyncpg.Pool, client: CrmClient, fields: list[CrmField], deals: list[StoredDeal],
                dry_run: bool, overwrite: Collection[str], now: datetime, full: bool) -> PushReport:
    ledger = CrmLedger(pool, client.name)
    report = PushReport(client.name, dry_run, None, [])
    await asyncio.to_thread(client.reach)  # nothing is reported of a CRM that was never asked
    if not deals:
        if not dry_run and full:  # nothing changed: the mark still moves
            report.push_id = await ledger.start_push(full=True)
            await ledger.finish_push(report.push_id, deals=0, written=0, conflicts=0, not_found=0)
        return report
    lengths = await asyncio.to_thread(client.field_lengths, fields)
    fields = [replace(f, length=lengths.get(f.name, f.length)) for f in fields]
    record_ids = [d.deal_id for d in deals if client.is_record_id(d.deal_id)]
    states = await asyncio.to_thread(client.read, record_ids, fields) if record_ids else {}
    ours = await ledger.ours(record_ids)
    kinds = {f.name: f.kind for f in fields}
    for deal in deals:
        state, desired = states.get(deal.deal_id), deal_values(deal.rollup, fields, now)
        if not client.is_record_id(deal.deal_id):
            report.deals.append(DealPush(deal.deal_id, deal.deal_id, "not a record id",
                                         error=f"a {client.name} record id is {client.record_id_form}"))
            continue
        if state is None:
            report.deals.append(DealPush(deal.deal_id, deal.deal_id, "not found"))
            continue
        mine = {name: {normalise(v, kinds[name]) for v in values} for name, values in ours.get(deal.deal_id, {}).items()
                if name in kinds}
        plan = plan_record(fields, desired, state.values, mine, overwrite, state.set_by)
        outcome: Outcome = ("would write" if dry_run else "written") if plan.writes else (
            "unchanged" if desired else "nothing to write")
        report.deals.append(DealPush(deal.deal_id, deal.deal_id, outcome, plan.writes,
                                     {k: normalise(state.values.get(k), kinds[k]) for k in plan.writes},
                                     plan.unchanged, plan.conflicts))
    if not dry_run:
        await _write(ledger, client, fields, report, full)
    logger.info("crm push", extra={"crm": client.name, "dry_run": dry_run, "deals": len(report.deals),
                                   "fields": sum(len(d.written) for d in report.deals), "conflicts": report.conflicts})
    return report


async def _write(ledger: CrmLedger, client: CrmClient, fields: list[CrmField], report: PushReport,
                 full: bool) -> None:
    push_id = report.push_id = await ledger.start_push(full=full)
    pending = [d for d in report.deals if d.written]
    intents = await ledger.record_intents(push_id, [Intent(d.deal_id, d.record_id, name, value)
                                                    for d in pending for name, value in d.written.items()])
    try:
        results = await asyncio.to_thread(client.write, {d.record_id: d.written for d in pending}, fields) \
            if pending else {}
    except AsmisError as exc:
        # The intents stay: some records may have been written before the CRM failed.
        await ledger.finish_push(push_id, deals=len(report.deals), written=0, conflicts=report.conflicts,
                                 not_found=report.count("not found"), error=str(exc))
        raise
    for d in pending:
        ids = [intents[(d.record_id, name)] for name in d.written]
        error = results.get(d.record_id, "no answer")
        await ledger.settle(ids, confirmed=error is None)
        if error is not None:
            d.outcome, d.error = "not written", error
    for d in report.deals:
        if d.outcome not in ("not found", "not a record id"):
            await ledger.save_conflicts(push_id, d.deal_id, d.record_id, d.conflicts)
    await ledger.finish_push(push_id, deals=len(report.deals), written=report.fields_written,
                             conflicts=report.conflicts, not_found=report.count("not found"))
