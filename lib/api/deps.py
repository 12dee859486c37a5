"""The typed dependencies routes declare: the pool the app's lifespan opened, the settings, and the caller
behind the request's API key (`Reader`, `Writer`)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lib.api.problems import Problem
from lib.db.api_keys import ApiKeyRepository, Caller
from lib.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API key from `asmis api keys create NAME`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


def get_settings_of_app(request: Request) -> Settings:
    return request.app.state.settings


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]


async def caller(pool: PoolDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Problem(401, "an API key is required: Authorization: Bearer KEY", headers=_CHALLENGE)
    found = await ApiKeyRepository(pool).verify(credentials.credentials.strip())
    if found is None:
        raise Problem(401, "the API key is unknown or revoked", headers=_CHALLENGE)
    return found


async def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.may("write"):
        raise Problem(403, f"the key {who.name!r} is read-only; this needs a write key")
    return who


Reader = Annotated[Caller, Depends(caller)]
Writer = Annotated[Caller, Depends(writer)]
