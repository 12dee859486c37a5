"""Prompt text lives in prompts/<agent_type>.md, version-controlled, and is synced into the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lib.db.prompts import PromptRepository
from lib.errors import AsmisError
from lib.models import AGENT_TYPES, AgentType, Prompt

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@dataclass(frozen=True)
class GateVerdict:
    """What the evaluation gate made of a changed prompt version."""

    allowed: bool
    detail: str  # the figures, one line


# (the changed version, stored but not active; the active one, if any) -> the verdict
Gate = Callable[[Prompt, Prompt | None], Awaitable[GateVerdict]]


@dataclass(frozen=True)
class PromptSync:
    prompt: Prompt
    changed: bool  # this version is now active and was not before
    verdict: GateVerdict | None = None  # set when a gate evaluated it

    @property
    def refused(self) -> bool:
        return self.verdict is not None and not self.verdict.allowed and not self.prompt.is_active


def read_prompt_files(directory: Path = PROMPTS_DIR) -> dict[AgentType, Path]:
    if not directory.is_dir():
        raise AsmisError(f"{directory}: not a directory of prompt files")
    found: dict[AgentType, Path] = {}
    for path in sorted(directory.glob("*.md")):
        if path.stem not in AGENT_TYPES:
            raise AsmisError(f"{path}: unknown agent type {path.stem!r} (expected one of {', '.join(AGENT_TYPES)})")
        if not path.read_text(encoding="utf-8").strip():
            raise AsmisError(f"{path}: prompt file is empty")
        found[cast(AgentType, path.stem)] = path
    if not found:
        raise AsmisError(f"{directory}: no prompt files (expected {', '.join(a + '.md' for a in AGENT_TYPES)})")
    return found


async def sync_prompts(repo: PromptRepository, directory: Path = PROMPTS_DIR,
                       only: set[AgentType] | None = None, gate: Gate | None = None,
                       force: bool = False) -> list[PromptSync]:
    """Store each file's text as a version and activate it (for the `only` agent types, if given). With
    a `gate`, a version that differs from the active one is stored first and activated only when the
    gate allows it (or `force`)."""
    synced = []
    for agent_type, path in read_prompt_files(directory).items():
        if only is not None and agent_type not in only:
            continue
        content = path.read_text(encoding="utf-8")
        active = await repo.active(agent_type)
        verdict = None
        if gate is not None and (active is None or active.content != content):
            stored = await repo.store(agent_type, content, str(path))
            verdict = await gate(stored, active)
            if not verdict.allowed and not force:
                synced.append(PromptSync(stored, False, verdict))
                continue
        prompt, changed = await repo.activate(agent_type, content, str(path))
        synced.append(PromptSync(prompt, changed, verdict))
    return synced
