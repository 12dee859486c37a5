"""CRM pushes over many deals, at the fake Salesforce (HTTPS) and the fake HubSpot: HTTP requests,
fields written, conflicts and wall time for a first push, a second with nothing changed, and a third
after some roll-ups changed and reps edited some fields.

    python -m benchmarks.crm [--deals 1000] [--changed 0.1] [--edited 0.05]

Lib level (no Prefect, no CLI): lib.crm.push.push_deals against a fresh embedded PostgreSQL whose deals
table holds copies of the test fixture's roll-up. Wall times are the client-side floor on loopback."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from lib.crm.fields import load_fields
from lib.crm.push import crm_client, push_deals
from lib.db.connect import create_pool
from lib.db.embedded import EmbeddedPostgres
from lib.db.migrate import migrate
from lib.deals.calls import DealCall, DealRules
from lib.deals.rollup import build_rollup
from lib.settings import Settings
from lib.words import count
from tests.fake_http import FakeServer, make_test_certificate
from tests.fake_hubspot import TOKEN as HUBSPOT_TOKEN
from tests.fake_hubspot import FakeHubSpot
from tests.fake_salesforce import TOKEN as SALESFORCE_TOKEN
from tests.fake_salesforce import FakeSalesforce

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "deals" / "results.json"
NOW = datetime(2025, 4, 30, tzinfo=UTC)


def fixture_rollup() -> dict:
    data = json.loads(FIXTURE.read_text())
    calls = [DealCall(transcript_id=i + 1, occurred_at=datetime(2025, 3, 3 + 7 * i, tzinfo=UTC), title=name,
                      format="txt", meddpic=v["meddpic"], stakeholders=v["stakeholder"])
             for i, (name, v) in enumerate(data.items())]
    return build_rollup("X", calls, DealRules(), NOW).model_dump(mode="json")


async def seed(pool: asyncpg.Pool, ids: list[str]) -> None:
    rollup = fixture_rollup()
    await pool.executemany("INSERT INTO deals (deal_id, rollup, calls) VALUES ($1, $2, 3)",
                           [(i, {**rollup, "deal_id": i}) for i in ids])


async def change(pool: asyncpg.Pool, ids: list[str]) -> None:
    await pool.executemany("UPDATE deals SET rollup = jsonb_set(rollup, '{elements,metrics,summary}', "
                           "to_jsonb('Dispatch time down 30%.'::text)), updated_at = now() WHERE deal_id = $1",
                           [(i,) for i in ids])


async def run(dsn: str, settings: Settings, fake: FakeServer, ids: list[str], changed: float, edited: float) -> None:
    pool = await create_pool(dsn, settings)
    rng = random.Random(7)
    field = next(f.name for f in load_fields(settings.crm or "salesforce", None) if f.key == "champion")
    try:
        client = crm_client(settings)
        for step in ("first push", "nothing changed", "roll-ups changed, reps edited"):
            if step.startswith("roll-ups"):
                await change(pool, rng.sample(ids, int(len(ids) * changed)))
                for deal_id in rng.sample(ids, int(len(ids) * edited)):
                    (fake.edit)(deal_id, field, "typed by a rep")  # type: ignore[attr-defined]
            fake.requests.clear()
            started = time.perf_counter()
            report = await push_deals(pool, settings, client, None, now=datetime.now(UTC))
            seconds = time.perf_counter() - started
            kinds = Counter(f"{r.method} {r.path.rsplit('/', 2)[-2]}/{r.path.rsplit('/', 1)[-1][:10]}"
                            for r in fake.requests)
            print(f"  {step:30} {count(len(fake.requests), 'request'):>14} {report.fields_written:6d} fields written "
                  f"{report.conflicts:4d} conflicts {seconds:6.2f}s  {dict(kinds.most_common(3))}")
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.1, help="share of roll-ups changed before push 3")
    parser.add_argument("--edited", type=float, default=0.05, help="share of records a rep edits before push 3")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="asmis-crm-bench-"))
    server = EmbeddedPostgres(root / "data")
    try:
        dsn = server.start()
        cert = make_test_certificate(root)
        for crm in ("salesforce", "hubspot"):
            db = f"bench_{crm}"
            asyncio.run(_create(dsn, db))
            target = urlunsplit(urlsplit(dsn)._replace(path="/" + db))
            ids = [f"006{n:015d}" for n in range(args.deals)] if crm == "salesforce" else [
                str(10_000_000 + n) for n in range(args.deals)]
            fake: FakeServer = FakeSalesforce(cert) if crm == "salesforce" else FakeHubSpot()
            with fake:
                for i in ids:
                    (fake.add_opportunity if crm == "salesforce" else fake.add_deal)(i)  # type: ignore[attr-defined]
                os.environ["REQUESTS_CA_BUNDLE"] = str(cert[0])
                settings = Settings(crm=crm, salesforce_instance_url=fake.url, salesforce_access_token=SALESFORCE_TOKEN,
                                    hubspot_api_url=fake.url, hubspot_access_token=HUBSPOT_TOKEN)
                print(f"{crm}: {args.deals} deals")
                asyncio.run(_seed_and_run(target, settings, fake, ids, args.changed, args.edited))
    finally:
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)


async def _create(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()


async def _seed_and_run(dsn: str, settings: Settings, fake: FakeServer, ids: list[str], changed: float,
                        edited: float) -> None:
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    pool = await create_pool(dsn, settings)
    await seed(pool, ids)
    await pool.close()
    await run(dsn, settings, fake, ids, changed, edited)


if __name__ == "__main__":
    main()
