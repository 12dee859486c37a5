"""The deal board: deals newest activity first, a page at a time by keyset, filtered by a warning code or a
search over deal ids and people's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from lib.agents.schemas import MEDDPIC_ELEMENTS
from lib.db.connect import db_errors
from lib.deals.models import StoredDeal

_ORDER_KEY = "coalesce(d.last_call_at, '-infinity'::timestamptz)"  # deals_board_idx (migration 0012)
_FILTERS = {
    # (last activity, deal id) after the cursor's, in the board's order: activity descending, id ascending
    "after": f"({_ORDER_KEY} < ${{0}} OR ({_ORDER_KEY} = ${{0}} AND d.deal_id > ${{1}}))",
    "warning": "d.rollup->'warnings' @> jsonb_build_array(jsonb_build_object('code', ${0}::text))",
    "search": ("(d.deal_id ILIKE ${0} OR EXISTS (SELECT 1 FROM jsonb_array_elements(d.rollup->'stakeholders') s"
               " WHERE s->>'name' ILIKE ${0}))"),
}


_SINGLE_THREADED = ("(SELECT count(*) FROM jsonb_array_elements(d.rollup->'stakeholders') s"
                    " WHERE s->>'side' = 'buyer') <= 1")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What the board page shows of a deal, without reading (or validating) its two whole roll-ups.
BOARD_COLUMNS = ("d.deal_id, d.calls, d.last_call_at, d.updated_at,"
                 " (SELECT jsonb_object_agg(e.key, e.value->>'status') FROM jsonb_each(d.rollup->'elements') e)"
                 " AS statuses, d.rollup->'warnings' AS warnings,"
                 " (SELECT count(*) FROM jsonb_array_elements(d.rollup->'stakeholders') s WHERE s->>'side' = 'buyer')"
                 " AS buyer_people")


def deals_page_query(after: tuple[datetime, str] | None = None, warning: str | None = None,
                     search: str | None = None, limit: int = 50, columns: str = "d.*",
                     single_threaded: bool = False) -> tuple[str, list[Any]]:
    """One page of the board; `columns` is `d.*` (whole rows) or BOARD_COLUMNS, never caller text;
    `single_threaded` keeps the deals with at most one person on the buyer side (the board page's filter)."""
    where: list[str] = [_SINGLE_THREADED] if single_threaded else []
    args: list[Any] = []
    for name, value in (("after", after), ("warning", warning), ("search", _like(search) if search else None)):
        if value is None:
            continue
        values = list(value) if isinstance(value, tuple) else [value]
        numbers = [len(args) + 1 + i for i in range(len(values))]
        where.append(_FILTERS[name].format(*numbers))
        args += values
    args.append(limit)
    sql = (f"SELECT {columns} FROM deals d"  # noqa: S608 - constant fragments; values are parameters
           + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY {_ORDER_KEY} DESC, d.deal_id LIMIT ${len(args)}")
    return sql, args


def board_key(deal: StoredDeal) -> tuple[datetime, str]:
    """The keyset cursor's value for the row after which the next page starts."""
    return (deal.last_call_at or datetime.min.replace(tzinfo=None), deal.deal_id)


async def deals_page(pool: asyncpg.Pool, *, after: tuple[datetime, str] | None = None, warning: str | None = None,
                     search: str | None = None, limit: int = 50) -> list[StoredDeal]:
    sql, args = deals_page_query(after, warning, search, limit)
    with db_errors(operation="list deals"):
        rows = await pool.fetch(sql, *args)
    return [StoredDeal(**dict(r)) for r in rows]


async def board_rows(pool: asyncpg.Pool, *, after: tuple[datetime, str] | None = None, warning: str | None = None,
                     search: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """A page of the board as plain rows: deal_id, calls, last_call_at, updated_at, statuses (element ->
    status), warnings (the roll-up's list of {code, message}) and buyer_people; the warning
    `single_threaded` (not a roll-up code) keeps the deals with at most one buyer-side person."""
    lone = warning == "single_threaded"
    sql, args = deals_page_query(after, None if lone else warning, search, limit, columns=BOARD_COLUMNS,
                                 single_threaded=lone)
    with db_errors(operation="list deals"):
        return [dict(r) for r in await pool.fetch(sql, *args)]


async def rollup_json(pool: asyncpg.Pool, deal_id: str) -> dict[str, Any] | None:
    """A deal's stored roll-up as `asmis deals ID --json` prints it (stored from that very model's JSON),
    its elements put back in MEDDPICC order (jsonb keeps keys in an order of its own)."""
    with db_errors(operation="get deal", deal_id=deal_id):
        rollup = await pool.fetchval("SELECT rollup FROM deals WHERE deal_id = $1", deal_id)
    if rollup is None:
        return None
    elements = rollup.get("elements") or {}
    rollup["elements"] = {name: elements[name] for name in MEDDPIC_ELEMENTS if name in elements} | elements
    return dict(rollup)
