"""SessionRepository: the pages' sign-in sessions. A session id is 32 random bytes held only in the
browser's cookie; the table keeps its SHA-256 and the key that signed in, so revoking the key (or the
session's end) ends it. The key itself is never stored here or in the cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import asyncpg

from lib.db.api_keys import Caller
from lib.db.connect import db_errors

SESSION_TTL = timedelta(hours=12)

_RESOLVE = """
SELECT s.session_sha256, k.id, k.name, k.scope FROM api_sessions s JOIN api_keys k ON k.id = s.key_id
WHERE s.session_sha256 = $1 AND s.expires_at > now() AND k.revoked_at IS NULL
"""


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, caller: Caller, ttl: timedelta = SESSION_TTL) -> str:
        """A new session for the caller's key; the id returned is the only copy (it goes in the cookie)."""
        session_id = secrets.token_urlsafe(32)
        with db_errors(operation="create session"):
            await self.pool.execute("DELETE FROM api_sessions WHERE expires_at < now()")
            await self.pool.execute(
                "INSERT INTO api_sessions (session_sha256, key_id, expires_at) VALUES ($1, $2, now() + $3)",
                session_hash(session_id), caller.key_id, ttl)
        return session_id

    async def resolve(self, session_id: str) -> Caller | None:
        """The caller behind a live session of a key not revoked, or None."""
        digest = session_hash(session_id)
        with db_errors(operation="resolve session"):
            row = await self.pool.fetchrow(_RESOLVE, digest)
        if row is None or not hmac.compare_digest(row["session_sha256"], digest):
            return None
        return Caller(row["id"], row["name"], row["scope"])

    async def end(self, session_id: str) -> bool:
        with db_errors(operation="end session"):
            status = await self.pool.execute("DELETE FROM api_sessions WHERE session_sha256 = $1",
                                             session_hash(session_id))
        return status != "DELETE 0"
