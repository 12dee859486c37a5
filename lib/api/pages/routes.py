"""The pages: `/` (the deal board), `/deals/{deal_id}`, `/calls/{id}`, `/prompts`, and their stylesheet.
Read-only: every page is a GET behind the session; none changes data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from lib.api.cursor import decode_cursor, encode_cursor
from lib.api.deps import PoolDep, SettingsDep
from lib.api.pages.auth import Viewer
from lib.api.pages.render import board_cell, page, static_response
from lib.api.pages.views import (
    SHORT,
    SYMBOL,
    WARNING_LABELS,
    board_marks,
    calls_of_people,
    clock,
    element_grid,
    highlight_transcript,
    quote_anchor,
)
from lib.api.params import MAX_ID, Text
from lib.api.problems import Problem
from lib.crm.ledger import CrmLedger
from lib.db.calls import CallRepository
from lib.db.prompts import PromptRepository
from lib.deals.board import board_rows
from lib.deals.changes import what_changed
from lib.deals.store import DealRepository
from lib.models import AGENT_TYPES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FILTERS = {code: label for code, label in WARNING_LABELS.items()}
NEVER = datetime.min.replace(tzinfo=UTC)


def common(viewer: Any, **context: Any) -> dict[str, Any]:
    return {"viewer": viewer, "symbol": SYMBOL, "short": SHORT, "warning_labels": WARNING_LABELS, **context}


@router.get("/static/{name}")
async def static(name: str) -> Response:
    return static_response(name)


@router.get("/")
async def board(request: Request, pool: PoolDep, settings: SettingsDep, viewer: Viewer,
                warning: Annotated[Text | None, Query(max_length=64)] = None,
                q: Annotated[Text | None, Query(max_length=200)] = None,
                cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    warning = warning if warning in FILTERS else None
    search = (q or "").strip() or None
    try:
        after = decode_cursor(cursor, (datetime, str)) if cursor else None
    except Problem:
        after, cursor = None, None
    rows = await board_rows(pool, after=after, warning=warning, search=search, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    crm = await CrmLedger(pool, settings.crm).deal_states([r["deal_id"] for r in rows]) if settings.crm else None
    deals = [{**r, "marks": Markup("").join(board_cell(name, status) for name, status in board_marks(r["statuses"])),
              "warning_codes": [w["code"] for w in r["warnings"] or []]
              + (["single_threaded"] if r["buyer_people"] <= 1 else []),
              "identified": sum(s == "identified" for s in (r["statuses"] or {}).values())} for r in rows]
    filters = {k: v for k, v in (("warning", warning), ("q", search)) if v}
    next_url = None
    if more:
        last = rows[-1]
        next_url = "/?" + urlencode({**filters, "cursor": encode_cursor(last["last_call_at"] or NEVER, last["deal_id"])})
    return page("board.html", **common(viewer, deals=deals, crm=crm, crm_name=settings.crm, filters=FILTERS,
                                       warning=warning, q=search or "", next_url=next_url, paged=cursor is not None,
                                       first_url="/?" + urlencode(filters) if filters else "/"))


@router.get("/deals/{deal_id}")
async def deal(pool: PoolDep, settings: SettingsDep, viewer: Viewer,
               deal_id: Annotated[Text, Path(min_length=1, max_length=200)]) -> Response:
    repo = DealRepository(pool)
    stored = await repo.get(deal_id)
    if stored is None:
        return page("not_found.html", 404, **common(viewer, what=f"deal {deal_id}"))
    rollup = stored.rollup
    people_calls = calls_of_people(rollup, await repo.stakeholder_maps(deal_id))
    crm = (await CrmLedger(pool, settings.crm).deal_states([deal_id])).get(deal_id) if settings.crm else None
    changed = what_changed(stored.previous_rollup, rollup) if stored.previous_rollup is not None else []
    calls = {c.transcript_id: c for c in rollup.timeline}
    return page("deal.html", **common(viewer, deal=stored, rollup=rollup, grid=element_grid(rollup),
                                      people_calls=people_calls, calls=calls, crm=crm, crm_name=settings.crm,
                                      changed=changed, anchor=quote_anchor))


@router.get("/calls/{call_id}")
async def call(pool: PoolDep, viewer: Viewer, call_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    repo = CallRepository(pool)
    row = await repo.get(call_id)
    if row is None:
        return page("not_found.html", 404, **common(viewer, what=f"call {call_id}"))
    results = {r["agent_type"]: r for r in await repo.newest_results(call_id)}
    meddpic = results.get("meddpic")
    stakeholder = results.get("stakeholder")
    analysis = meddpic["data"] if meddpic and meddpic["status"] == "completed" else None
    people = (stakeholder["data"] or {}).get("people", []) if stakeholder and stakeholder["status"] == "completed" else []
    metadata = row["metadata"] or {}
    sides: dict[str, str] = {p["name"]: p.get("side", "unknown") for p in people if p.get("name")}
    sides |= {k: v for k, v in (metadata.get("sides") or {}).items() if isinstance(v, str)}
    evidence: list[tuple[str, str | None]] = []
    elements = []
    if analysis:
        for name in SHORT:
            element = analysis.get(name) or {}
            quotes = element.get("evidence") or []
            elements.append((name, element, len(evidence), len(quotes)))
            evidence += [(q.get("quote", ""), q.get("speaker")) for q in quotes]
    people_rows = []
    for person in people:
        quotes = person.get("evidence") or []
        people_rows.append((person, len(evidence), len(quotes)))
        evidence += [(q.get("quote", ""), q.get("speaker")) for q in quotes]
    turns, items = highlight_transcript(list(row["turns"] or []), evidence, sides)
    cost = sum(float(r["cost_usd"] or 0) for r in results.values())
    return page("call.html", **common(viewer, call=row, metadata=metadata, results=results, analysis=analysis,
                                      elements=elements, people=people_rows, turns=turns, items=items,
                                      speaker_sides=sides, cost=cost, clock=clock,
                                      gaps=(analysis or {}).get("gaps") or [],
                                      parse_warnings=metadata.get("parse_warnings") or []))


@router.get("/prompts")
async def prompts(pool: PoolDep, viewer: Viewer) -> Response:
    stored = await PromptRepository(pool).list()
    groups = {agent: sorted((p for p in stored if p.agent_type == agent), key=lambda p: p.created_at, reverse=True)
              for agent in AGENT_TYPES}
    return page("prompts.html", **common(viewer, groups=groups))
