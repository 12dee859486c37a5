"""TeamRepository: the seller's roster (table `seller_team`), the people on the seller's side of every call."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lib.db.connect import db_errors


@dataclass(frozen=True)
class Member:
    name: str
    email: str | None


class TeamRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, name: str, email: str | None = None) -> bool:
        """True when the person was added, False when already on the roster (their e-mail updated)."""
        with db_errors():
            row = await self.pool.fetchrow(
                "INSERT INTO seller_team (name, email) VALUES ($1, $2) ON CONFLICT (lower(name)) DO UPDATE "
                "SET email = COALESCE(EXCLUDED.email, seller_team.email) RETURNING (xmax = 0) AS inserted",
                " ".join(name.split()), email.strip().lower() if email else None)
        return bool(row and row["inserted"])

    async def remove(self, name: str) -> bool:
        with db_errors():
            status = await self.pool.execute("DELETE FROM seller_team WHERE lower(name) = lower($1)",
                                             " ".join(name.split()))
        return status.endswith(" 1")

    async def list(self) -> list[Member]:
        with db_errors():
            rows = await self.pool.fetch("SELECT name, email FROM seller_team ORDER BY lower(name)")
        return [Member(r["name"], r["email"]) for r in rows]
