"""The gate `asmis prompts sync` consults when ASMIS_EVAL_SET is set: a changed prompt version is
scored on the labelled set beside the active one (the other agent's active version held fixed), and
refused when its mean F1 falls below the active one's by more than ASMIS_EVAL_TOLERANCE."""

from __future__ import annotations

from pathlib import Path

from lib.db.prompts import PromptRepository
from lib.evaluation.session import Evaluator
from lib.models import AGENT_TYPES, AgentType, Prompt
from lib.prompt_files import Gate, GateVerdict


def evaluation_gate(evaluator: Evaluator, eval_set: Path, tolerance: float, repo: PromptRepository) -> Gate:
    async def gate(candidate: Prompt, active: Prompt | None) -> GateVerdict:
        if active is None:
            return GateVerdict(True, "no active version to compare with")
        live = await _live_prompts(repo, evaluator)
        before, _ = await evaluator.evaluate(eval_set, {**live, candidate.agent_type: active})
        after, _ = await evaluator.evaluate(eval_set, {**live, candidate.agent_type: candidate})
        drop = before.mean_f1 - after.mean_f1
        detail = (f"mean F1 {after.mean_f1:.3f} against the active {active.version}'s {before.mean_f1:.3f} "
                  f"({-drop:+.3f}, tolerance {tolerance:g}) on {after.calls} calls in {eval_set}")
        worse = [f"{name} {before.scores[name].f1:.2f}->{after.scores[name].f1:.2f}"
                 for name in after.scored if after.scores[name].f1 < before.scores[name].f1 - tolerance]
        if worse:
            detail += "; fell: " + ", ".join(worse)
        return GateVerdict(drop <= tolerance, detail)

    return gate


async def _live_prompts(repo: PromptRepository, evaluator: Evaluator) -> dict[AgentType, Prompt]:
    files = await evaluator.prompts({})
    live: dict[AgentType, Prompt] = {}
    for agent_type in AGENT_TYPES:
        live[agent_type] = await repo.active(agent_type) or files[agent_type]
    return live
