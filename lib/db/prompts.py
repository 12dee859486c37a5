"""PromptRepository: versioned prompt text per agent type, exactly one version active."""

from __future__ import annotations

import hashlib

import asyncpg

from lib.db.connect import db_errors
from lib.errors import AsmisError, PermanentAgentError
from lib.models import AgentType, Prompt

_UPSERT = """
INSERT INTO prompts (agent_type, version, content, content_sha256, source_path)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (agent_type, content_sha256) DO UPDATE SET source_path = EXCLUDED.source_path
RETURNING id, is_active
"""


class PromptNotFound(AsmisError):
    """No stored prompt version matches."""


def prompt_version(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:12]


class PromptRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def activate(self, agent_type: AgentType, content: str, source_path: str | None = None
                       ) -> tuple[Prompt, bool]:
        """Store this text as a version (once) and make it the active one; return (prompt, changed)."""
        sha = hashlib.sha256(content.encode()).hexdigest()
        with db_errors(operation="activate prompt", agent_type=agent_type):
            async with self.pool.acquire() as conn, conn.transaction():
                # Serialise activations per agent type so the one-active index never trips.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('prompt:' || $1))", agent_type)
                row = await conn.fetchrow(_UPSERT, agent_type, prompt_version(content), content, sha,
                                          source_path)
                changed = not row["is_active"]
                if changed:
                    await conn.execute(
                        "UPDATE prompts SET is_active = false WHERE agent_type = $1 AND is_active", agent_type
                    )
                    await conn.execute("UPDATE prompts SET is_active = true WHERE id = $1", row["id"])
                prompt = await conn.fetchrow("SELECT * FROM prompts WHERE id = $1", row["id"])
        return Prompt(**dict(prompt)), changed

    async def store(self, agent_type: AgentType, content: str, source_path: str | None = None) -> Prompt:
        """Store this text as a version (once) without making it active."""
        sha = hashlib.sha256(content.encode()).hexdigest()
        with db_errors(operation="store prompt", agent_type=agent_type):
            row = await self.pool.fetchrow(_UPSERT, agent_type, prompt_version(content), content, sha, source_path)
            prompt = await self.pool.fetchrow("SELECT * FROM prompts WHERE id = $1", row["id"])
        return Prompt(**dict(prompt))

    async def find(self, agent_type: AgentType, version: str) -> Prompt:
        """The stored version of this agent type whose version starts with `version`."""
        with db_errors(operation="find prompt", agent_type=agent_type):
            rows = await self.pool.fetch(
                "SELECT * FROM prompts WHERE agent_type = $1 AND starts_with(version, $2) ORDER BY id",
                agent_type, version.strip())
        if len(rows) != 1:
            problem = "no stored version" if not rows else f"{len(rows)} stored versions"
            raise PromptNotFound(f"{agent_type} prompt {version!r}: {problem} matches (see `asmis prompts list`)")
        return Prompt(**dict(rows[0]))

    async def active(self, agent_type: AgentType) -> Prompt | None:
        with db_errors(operation="active prompt", agent_type=agent_type):
            row = await self.pool.fetchrow(
                "SELECT * FROM prompts WHERE agent_type = $1 AND is_active", agent_type
            )
        return Prompt(**dict(row)) if row else None

    async def get(self, prompt_id: int) -> Prompt | None:
        with db_errors(operation="get prompt", prompt_id=prompt_id):
            row = await self.pool.fetchrow("SELECT * FROM prompts WHERE id = $1", prompt_id)
        return Prompt(**dict(row)) if row else None

    async def list(self) -> list[Prompt]:
        with db_errors(operation="list prompts"):
            rows = await self.pool.fetch("SELECT * FROM prompts ORDER BY agent_type, created_at, id")
        return [Prompt(**dict(r)) for r in rows]


async def prompt_for_run(repo: PromptRepository, cache: dict[int, Prompt], prompt_id: int) -> Prompt:
    """A run's prompt by id, read once: prompt rows never change once written."""
    if (prompt := cache.get(prompt_id)) is None:
        prompt = await repo.get(prompt_id)
        if prompt is None:
            raise PermanentAgentError(f"prompt {prompt_id} does not exist")
        cache[prompt_id] = prompt
    return prompt
