"""`GET /v1/prompts`, `GET /v1/prompts/{id}`, `POST /v1/prompts` (write: idempotent by content) and
`POST /v1/prompts/{id}/activate` (write: through the evaluation gate `asmis prompts sync` uses)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from lib.api.deps import PoolDep, Reader, SettingsDep, Writer
from lib.api.params import MAX_ID
from lib.api.problems import Problem
from lib.api.schemas import ActivateOut, PromptIn, PromptList, PromptOut
from lib.db.prompts import PromptRepository
from lib.models import AGENT_TYPES, Prompt

router = APIRouter(tags=["prompts"])
PromptId = Annotated[int, Path(ge=1, le=MAX_ID, description="A stored prompt version's id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No prompt version with this id"}}


def prompt_out(prompt: Prompt) -> PromptOut:
    return PromptOut(**prompt.model_dump())


@router.get("/prompts", summary="Stored prompt versions, the active one marked")
async def list_prompts(pool: PoolDep, _: Reader,
                       agent_type: Annotated[str | None, Query(description="meddpic or stakeholder")] = None) -> PromptList:
    if agent_type is not None and agent_type not in AGENT_TYPES:
        raise Problem(422, f"query parameter agent_type: unknown agent type (expected {' or '.join(AGENT_TYPES)})")
    prompts = await PromptRepository(pool).list()
    return PromptList(items=[prompt_out(p) for p in prompts if agent_type in (None, p.agent_type)])


@router.get("/prompts/{prompt_id}", summary="One prompt version", responses=NOT_FOUND)
async def get_prompt(pool: PoolDep, _: Reader, prompt_id: PromptId) -> PromptOut:
    prompt = await PromptRepository(pool).get(prompt_id)
    if prompt is None:
        raise Problem(404, f"no prompt {prompt_id}")
    return prompt_out(prompt)


@router.post("/prompts", status_code=201, summary="Store a prompt version (once per content)",
             responses={200: {"description": "This content is stored already: that version", "model": PromptOut}})
async def create_prompt(pool: PoolDep, _: Writer, body: PromptIn, response: Response) -> PromptOut:
    repo = PromptRepository(pool)
    sha = hashlib.sha256(body.content.encode()).hexdigest()
    existed = any(p.agent_type == body.agent_type and p.content_sha256 == sha for p in await repo.list())
    prompt = await repo.store(body.agent_type, body.content)  # type: ignore[arg-type]
    if existed:
        response.status_code = 200
    return prompt_out(prompt)


@router.post("/prompts/{prompt_id}/activate", summary="Make a version the active one, through the eval gate",
             responses={**NOT_FOUND, 409: {"description": "The evaluation gate refused it (with the scores)"}})
async def activate_prompt(pool: PoolDep, settings: SettingsDep, _: Writer, prompt_id: PromptId,
                          force: Annotated[bool, Query(description="Activate even when the gate refuses, as --force.")] = False,
                          ) -> ActivateOut:
    repo = PromptRepository(pool)
    candidate = await repo.get(prompt_id)
    if candidate is None:
        raise Problem(404, f"no prompt {prompt_id}")
    detail = None
    active = await repo.active(candidate.agent_type)
    if settings.eval_set is not None and (active is None or active.id != candidate.id):
        from lib.evaluation.gate import evaluation_gate
        from lib.evaluation.session import open_evaluator

        async with open_evaluator(settings, repo=repo) as evaluator:
            verdict = await evaluation_gate(evaluator, settings.eval_set, settings.eval_tolerance, repo)(
                candidate, active)
        detail = verdict.detail
        if not verdict.allowed and not force:
            raise Problem(409, f"the evaluation gate refused prompt {prompt_id}: {detail}", scores=detail)
    prompt, changed = await repo.activate(candidate.agent_type, candidate.content, candidate.source_path)
    return ActivateOut(prompt=prompt_out(prompt), changed=changed, gate=detail)
