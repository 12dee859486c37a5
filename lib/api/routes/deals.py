"""`GET /v1/deals` (the board's order, a page at a time) and `GET /v1/deals/{deal_id}` (the roll-up,
the same JSON as `asmis deals ID --json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from lib.api.cursor import decode_cursor, encode_cursor
from lib.api.deps import PoolDep, Reader
from lib.api.fast import json_response
from lib.api.params import Cursor, Limit, Text
from lib.api.problems import Problem
from lib.api.schemas import DealPage, DealSummary
from lib.deals.board import board_key, deals_page, rollup_json
from lib.deals.models import DealRollup
from lib.deals.view import deal_summary

router = APIRouter(tags=["deals"])
DealId = Annotated[Text, Path(min_length=1, max_length=200, description="The deal's id (the CRM opportunity).")]


@router.get("/deals", summary="Deals, newest activity first, a page at a time")
async def list_deals(pool: PoolDep, _: Reader, limit: Limit = 50, cursor: Cursor = None,
                     warning: Annotated[Text | None, Query(max_length=64, description="Only deals with this warning code.")] = None,
                     q: Annotated[Text | None, Query(max_length=200, description="Deal id or a person's name contains this.")] = None,
                     ) -> DealPage:
    after = decode_cursor(cursor, (datetime, str)) if cursor else None
    found = await deals_page(pool, after=after, warning=warning, search=q, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return DealPage(items=[DealSummary(**deal_summary(d)) for d in found],
                    next_cursor=encode_cursor(*board_key(found[-1])) if more else None)


@router.get("/deals/{deal_id}", summary="A deal's roll-up across its calls", response_model=DealRollup,
            responses={404: {"description": "No deal with this id"}})
async def get_deal(pool: PoolDep, _: Reader, deal_id: DealId) -> Response:
    rollup = await rollup_json(pool, deal_id)
    if rollup is None:
        raise Problem(404, f"no deal {deal_id!r}")
    return json_response(rollup)


