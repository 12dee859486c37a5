"""Shared by the CRM and digest tests: the fixture deal analysed and rolled up, copies of it under other
ids, and edits to a stored roll-up (what a new call would change)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from typer.testing import CliRunner

from lib.cli.main import app
from lib.db import open_database
from lib.deals.refresh import refresh_deals
from lib.settings import Settings
from tests.test_deals import DEAL, NOW, analysed_deal


def prepare_deals(settings: Settings, copies: tuple[str, ...] = ()) -> list[str]:
    """The fixture deal OPP-LUMEN-7731 rolled up, plus a copy of its roll-up under each id in `copies`."""
    async def go() -> list[str]:
        async with open_database(settings) as pool:
            await analysed_deal(pool, settings)
            await refresh_deals(pool, [DEAL], settings, now=NOW)
            for deal_id in copies:
                await pool.execute(
                    "INSERT INTO deals (deal_id, rollup, calls, first_call_at, last_call_at, result_ids) "
                    "SELECT $2, jsonb_set(rollup, '{deal_id}', to_jsonb($2::text)), calls, first_call_at, last_call_at, "
                    "result_ids FROM deals WHERE deal_id = $1", DEAL, deal_id)
        return [DEAL, *copies]

    return asyncio.run(go())


def edit_rollup(settings: Settings, deal_id: str, path: list[str], value: Any) -> None:
    """Change one value of a stored roll-up, as a refresh after a new call would."""
    async def go() -> None:
        async with open_database(settings) as pool:
            await pool.execute("UPDATE deals SET previous_rollup = rollup, rollup = jsonb_set(rollup, $2::text[], "
                               "$3::jsonb), updated_at = now() WHERE deal_id = $1", deal_id, path, value)

    asyncio.run(go())


def fetch(settings: Settings, query: str, *args: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with open_database(settings) as pool:
            return [dict(r) for r in await pool.fetch(query, *args)]

    return asyncio.run(go())


def rollup_of(settings: Settings, deal_id: str) -> Any:
    from lib.deals.models import DealRollup

    [row] = fetch(settings, "SELECT rollup FROM deals WHERE deal_id = $1", deal_id)
    return DealRollup.model_validate(row["rollup"])


def push(*args: str) -> dict[str, Any]:
    """`asmis crm push --json ARGS`, which must succeed, as JSON."""
    result = CliRunner().invoke(app, ["crm", "push", "--json", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))
