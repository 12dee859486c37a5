"""`GET /v1/calls`, `GET /v1/calls/{id}`, `GET /v1/calls/{id}/results`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from lib.api.cursor import decode_cursor, encode_cursor
from lib.api.deps import PoolDep, Reader
from lib.api.fast import json_response
from lib.api.params import CallId, Cursor, Limit, Text, When
from lib.api.problems import Problem
from lib.api.schemas import CallDetail, CallPage, ResultList, ResultOut
from lib.db.calls import CallRepository
from lib.models import AGENT_TYPES

router = APIRouter(tags=["calls"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No call with this id"}}


def call_item(row: dict[str, Any]) -> dict[str, Any]:
    analyses = {agent: "pending" for agent in AGENT_TYPES} | dict(row["analyses"] or {})
    return {**row, "speakers": list(row["speakers"] or []), "analyses": analyses}


@router.get("/calls", summary="Calls, newest first, a page at a time", response_model=CallPage)
async def list_calls(pool: PoolDep, _: Reader, deal_id: Annotated[Text | None, Query(max_length=200)] = None,
                     since: When | None = None, until: When | None = None, limit: Limit = 50,
                     cursor: Cursor = None) -> Response:
    after = decode_cursor(cursor, (datetime, int)) if cursor else None
    rows = await CallRepository(pool).page(deal_id=deal_id, since=since, until=until,
                                           after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["occurred_at"], rows[-1]["id"]) if more else None
    return json_response({"items": [call_item(r) for r in rows], "next_cursor": next_cursor})


@router.get("/calls/{call_id}", summary="One call with its turns", responses=NOT_FOUND)
async def get_call(pool: PoolDep, _: Reader, call_id: CallId) -> CallDetail:
    row = await CallRepository(pool).get(call_id)
    if row is None:
        raise Problem(404, f"no call {call_id}")
    turns = [{"speaker": t.get("speaker"), "start_ms": t.get("start_ms"), "end_ms": t.get("end_ms"),
              "start": t["start_ms"] / 1000 if t.get("start_ms") is not None else None, "text": t.get("text", "")}
             for t in row["turns"]]
    return CallDetail(**call_item(row) | {"turns": turns, "metadata": row["metadata"] or {}})


@router.get("/calls/{call_id}/results", summary="The newest result per agent type", responses=NOT_FOUND)
async def call_results(pool: PoolDep, _: Reader, call_id: CallId) -> ResultList:
    repo = CallRepository(pool)
    rows = await repo.newest_results(call_id)
    if not rows and not await repo.exists(call_id):
        raise Problem(404, f"no call {call_id}")
    return ResultList(items=[result_out(r) for r in rows])


def result_out(row: dict[str, Any]) -> ResultOut:
    """A stored result in the shape of the seed's AgentResult."""
    metadata = {k: row[k] for k in ("model", "model_requested", "prompt_id", "prompt_version", "attempts",
                                    "input_tokens", "output_tokens", "llm_mode", "llm_provider", "cache_tier", "run_id")}
    return ResultOut.model_validate({
        "id": row["id"], "transcript_id": row["transcript_id"], "agent_type": row["agent_type"],
        "status": row["status"], "data": row["data"], "confidence_score": row["confidence"],
        "processing_time": row["processing_ms"] / 1000, "timestamp": row["updated_at"],
        "metadata": metadata | {"cost_usd": float(row["cost_usd"]), "errors": list(row["errors"] or []),
                                "warnings": list(row["warnings"] or [])}})
