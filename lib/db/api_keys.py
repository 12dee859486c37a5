"""ApiKeyRepository: the HTTP API's keys. A key is 32 random bytes shown once; only its SHA-256 is stored
(a fast hash is right for a random secret: there is no dictionary to guess from), looked up by that hash
and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from lib.db.connect import db_errors
from lib.errors import AsmisError

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
KEY_PREFIX = "asmis_"


class ApiKeyError(AsmisError):
    """The API key could not be changed."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    scope: Scope
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Caller:
    """Who a request's key belongs to."""

    key_id: int
    name: str
    scope: Scope

    def may(self, needed: Scope) -> bool:
        return needed == "read" or self.scope == "write"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, name: str, scope: Scope) -> str:
        """Store a new key under `name` and return it: the only time it is ever shown."""
        name = name.strip()
        if not name:
            raise ApiKeyError("a key needs a name")
        if scope not in SCOPES:
            raise ApiKeyError(f"scope {scope!r}: expected read or write")
        key = new_key()
        with db_errors(operation="create api key"):
            try:
                await self.pool.execute(
                    "INSERT INTO api_keys (name, scope, key_sha256, key_prefix) VALUES ($1, $2, $3, $4)",
                    name, scope, key_hash(key), key[: len(KEY_PREFIX) + 4])
            except asyncpg.UniqueViolationError:
                raise ApiKeyError(f"a key named {name!r} exists (`asmis api keys revoke {name}` first)") from None
        return key

    async def list(self, *, include_revoked: bool = False) -> list[ApiKey]:
        with db_errors(operation="list api keys"):
            rows = await self.pool.fetch(
                "SELECT name, scope, key_prefix, created_at, last_used_at, revoked_at FROM api_keys"
                " WHERE $1 OR revoked_at IS NULL ORDER BY name, created_at", include_revoked)
        return [ApiKey(**dict(r)) for r in rows]

    async def revoke(self, name: str) -> bool:
        with db_errors(operation="revoke api key"):
            status = await self.pool.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name.strip())
        return status != "UPDATE 0"

    async def verify(self, key: str) -> Caller | None:
        """The caller this key belongs to, or None for an unknown or revoked key."""
        digest = key_hash(key)
        with db_errors(operation="verify api key"):
            row = await self.pool.fetchrow(
                # last_used_at is a hint for people, not an audit log: written at most once a minute per key
                "SELECT id, name, scope, key_sha256,"
                " last_used_at IS NULL OR last_used_at < now() - interval '60 seconds' AS stale"
                " FROM api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL", digest)
            if row is None or not hmac.compare_digest(row["key_sha256"], digest):
                return None
            if row["stale"]:
                await self.pool.execute("UPDATE api_keys SET last_used_at = now() WHERE id = $1", row["id"])
        return Caller(row["id"], row["name"], row["scope"])
